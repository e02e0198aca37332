"""CQL2 parsers (text and JSON) that also read S_DWITHIN(a, b, distance[, units]).

pygeofilter's CQL2 grammars stop at the basic spatial operators; dimos adds S_DWITHIN
(distance in metres by default: the data is stored in a metric CRS) on top of them. The ASTs
they give are what gis/cql.py writes as SQL; the OGC API (ogc/mount.py), the processes and the
exports parse their filters here.
"""
from __future__ import annotations

import os

from lark import Lark, v_args
from pygeofilter import ast, values
from pygeofilter.cql2 import BINARY_OP_PREDICATES_MAP
from pygeofilter.parsers.cql2_json.parser import walk_cql_json
from pygeofilter.parsers.cql2_text import parser as cql2_text

from gis.crs_uris import CRS_URIS
from gis.errors import InvalidParameter
from gis.parameters import crs_bounds, read_json

_BBOX_RULE = '-> bbox_spatial_predicate\n'
_DWITHIN_RULE = ('                  | "S_DWITHIN"i "(" expression "," expression "," full_number '
                 '["," attribute] ")" -> s_dwithin\n')


@v_args(inline=True)
class _Transformer(cql2_text.CQLTransformer):
    def s_dwithin(self, lhs, rhs, distance, units=None):
        return ast.DistanceWithin(lhs, rhs, distance, units.name if units is not None else "m")


def _text_parser() -> Lark:
    folder = os.path.dirname(cql2_text.__file__)
    with open(os.path.join(folder, "grammar.lark"), encoding="utf-8") as f:
        grammar = f.read()
    if _BBOX_RULE not in grammar:
        raise RuntimeError("pygeofilter's CQL2 grammar changed: cannot add S_DWITHIN")
    grammar = grammar.replace(_BBOX_RULE, _BBOX_RULE + _DWITHIN_RULE, 1)
    return Lark(grammar, parser="lalr", maybe_placeholders=False, transformer=_Transformer(),
                import_paths=[os.path.dirname(folder)])


_PARSER = _text_parser()


def _envelope(x1, y1, x2, y2) -> values.Geometry:
    ring = [[x1, y1], [x2, y1], [x2, y2], [x1, y2], [x1, y1]]
    return values.Geometry({"type": "Polygon", "coordinates": [ring]})


def _envelope_literal(node):
    """CQL2's envelope literal BBOX(x1, y1, x2, y2), which pygeofilter reads as a function."""
    if (isinstance(node, ast.Function) and node.name.lower() == "bbox"
            and len(node.arguments) == 4
            and all(isinstance(v, (int, float)) for v in node.arguments)):
        return _envelope(*node.arguments)
    return node


def _bboxes_as_polygons(node):
    """BBOX(geometry, x1, y1, x2, y2) as S_INTERSECTS with a polygon, and envelope literals as
    polygons, so that pygeoapi reprojects them from filter-crs to the storage CRS like every
    other filter geometry."""
    if isinstance(node, ast.BBox):
        return ast.GeometryIntersects(node.lhs, _envelope(node.minx, node.miny,
                                                          node.maxx, node.maxy))
    if isinstance(node, ast.DistanceWithin):
        return ast.DistanceWithin(_envelope_literal(node.lhs), _envelope_literal(node.rhs),
                                  node.distance, node.units)
    if isinstance(node, ast.SpatialComparisonPredicate):
        return type(node)(_envelope_literal(node.lhs), _envelope_literal(node.rhs))
    if isinstance(node, (ast.And, ast.Or)):
        return type(node)(_bboxes_as_polygons(node.lhs), _bboxes_as_polygons(node.rhs))
    if isinstance(node, ast.Not):
        return ast.Not(_bboxes_as_polygons(node.sub_node))
    return node


#: conditions within conditions a filter may nest: a flat OR of 150 terms is 150 deep; the
#: bound keeps pygeoapi's and our recursive walks far from the stack's end
MAX_FILTER_DEPTH = 200


def parse_cql2_text(text: str):
    """The pygeofilter AST of a CQL2 text filter (S_DWITHIN included); InvalidParameter,
    in words of our own, when it does not parse."""
    from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput

    if not isinstance(text, str):
        raise InvalidParameter("filter: CQL2 text (a string)")
    try:
        node = _PARSER.parse(text)
    except UnexpectedCharacters as exc:
        raise InvalidParameter(f"filter: malformed CQL2 text: unexpected "
                               f"{text[exc.pos_in_stream:exc.pos_in_stream + 1]!r} at character "
                               f"{exc.pos_in_stream + 1}") from None
    except UnexpectedInput as exc:
        where = getattr(exc, "pos_in_stream", None)
        at = f" at character {where + 1}" if isinstance(where, int) and where >= 0 else ""
        raise InvalidParameter(f"filter: malformed CQL2 text{at} (unexpected end or token)"
                               ) from None
    except (LarkError, RecursionError, ValueError, TypeError):
        # a literal pygeofilter cannot read (a date, a geometry), or nesting past the stack
        raise InvalidParameter("filter: malformed CQL2 text (check literals and nesting)"
                               ) from None
    _check_depth(node)
    return _bboxes_as_polygons(node)


def _check_depth(root) -> None:
    """InvalidParameter for a filter nested deeper than MAX_FILTER_DEPTH (walked without
    recursion: pygeoapi and the translators below do recurse)."""
    pending = [(root, 1)]
    while pending:
        node, depth = pending.pop()
        if depth > MAX_FILTER_DEPTH:
            raise InvalidParameter(f"filter: nested deeper than {MAX_FILTER_DEPTH} levels")
        if isinstance(node, ast.Node):
            pending.extend((child, depth + 1) for child in node.get_sub_nodes()
                           if isinstance(child, ast.Node))


#: CQL2 JSON operators pygeofilter reads, and those dimos reads before it
_JSON_OPERATORS = {"and", "or", "not", "isNull", "between", "like", "in", "casei",
                   *BINARY_OP_PREDICATES_MAP}
_DIMOS_OPERATORS = {"s_dwithin", "accenti"}


def _dimos_nodes(node):
    """CQL2 JSON as pygeofilter reads it, with what it does not read made AST nodes first:
    S_DWITHIN, ACCENTI, BETWEEN's standard three arguments, a CASEI pattern of LIKE; an
    unknown operator is InvalidParameter naming it."""
    if isinstance(node, list):
        return [_dimos_nodes(n) for n in node]
    if not isinstance(node, dict):
        return node
    op = node.get("op")
    if op is None:
        return {key: _dimos_nodes(value) for key, value in node.items()}
    if not isinstance(op, str) or op not in _JSON_OPERATORS | _DIMOS_OPERATORS \
            and op.lower() not in _DIMOS_OPERATORS:
        raise InvalidParameter(f"filter: unknown function {str(op)[:40]}() (CQL2 JSON op)")
    args = node.get("args")
    if not isinstance(args, list):
        raise InvalidParameter(f"filter: {op} needs a list of args")
    args = [_dimos_nodes(a) for a in args]
    if op.lower() == "s_dwithin":
        if len(args) not in (3, 4):
            raise InvalidParameter("filter: s_dwithin takes geometry, geometry, distance[, units]")
        lhs, rhs, distance, *units = args
        return ast.DistanceWithin(walk_cql_json(lhs), walk_cql_json(rhs), distance,
                                  units[0] if units else "m")
    if op.lower() == "accenti":
        return ast.Function("accenti", [walk_cql_json(a) for a in args])
    if op == "between" and len(args) == 3:  # CQL2's form; pygeofilter reads [a, [low, high]]
        args = [args[0], [args[1], args[2]]]
    if op == "like" and len(args) == 2:
        args = [args[0], walk_cql_json(args[1])]
    return {**node, "args": args}


def parse_cql2_json(document):
    """The pygeofilter AST of a CQL2 JSON filter (S_DWITHIN: {"op": "s_dwithin", ...});
    InvalidParameter, in words of our own, when it is not one."""
    root = read_json(document, "filter") if isinstance(document, (str, bytes)) else document
    try:
        node = walk_cql_json(_dimos_nodes(root))
    except InvalidParameter:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError):
        raise InvalidParameter("filter: not a CQL2 JSON expression (see "
                               "/ogc/conformance: CQL2 JSON)") from None
    if not isinstance(node, ast.Node):
        raise InvalidParameter("filter: not a CQL2 JSON expression (a condition)")
    _check_depth(node)
    return _bboxes_as_polygons(node)


def parse_filter_crs84(text: str, layer):
    """A CQL2 text filter whose geometries are in CRS84, as an AST in ``layer``'s storage CRS;
    InvalidParameter if it does not parse (for dimos' own endpoints: processes, exports)."""
    from pygeoapi.crs import modify_pygeofilter

    node = parse_cql2_text(text)
    check_filter_geometries(node, CRS_URIS["CRS84"])
    return modify_pygeofilter(node, filter_crs_uri=CRS_URIS["CRS84"],
                              storage_crs_uri=CRS_URIS[layer.srid], geometry_column_name="geom")


def check_filter_geometries(root, crs: str) -> None:
    """InvalidParameter for a filter geometry with a coordinate outside where ``crs``'s can
    lie (reprojecting it would give infinities, or an error pygeoapi reports as a fault)."""
    import shapely
    from shapely.geometry import shape

    west, south, east, north = crs_bounds(crs)
    pending = [root]
    while pending:
        node = pending.pop()
        if isinstance(node, values.Geometry):
            try:
                coordinates = shapely.get_coordinates(shape(node.geometry))
            except (ValueError, TypeError, IndexError, AttributeError, KeyError,
                    shapely.errors.ShapelyError):
                raise InvalidParameter("filter: a malformed geometry") from None
            inside = ((coordinates[:, 0] >= west) & (coordinates[:, 0] <= east)
                      & (coordinates[:, 1] >= south) & (coordinates[:, 1] <= north))
            if not inside.all():
                raise InvalidParameter(f"filter: a geometry with coordinates outside "
                                       f"{west:g},{south:g},{east:g},{north:g}, where those of "
                                       f"{crs} can lie")
        elif isinstance(node, ast.Node):
            pending.extend(node.get_sub_nodes())
        elif isinstance(node, list):
            pending.extend(node)
