"""CQL2 parsers (text and JSON) that also read S_DWITHIN(a, b, distance[, units]).

pygeofilter's CQL2 grammars stop at the basic spatial operators; dimos adds S_DWITHIN
(distance in metres by default: the data is stored in a metric CRS) on top of them.
"""
from __future__ import annotations

import json
import os

from lark import Lark, v_args
from pygeofilter import ast, values
from pygeofilter.parsers.cql2_json.parser import walk_cql_json
from pygeofilter.parsers.cql2_text import parser as cql2_text

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


def parse_cql2_text(text: str):
    """The pygeofilter AST of a CQL2 text filter (S_DWITHIN included)."""
    return _bboxes_as_polygons(_PARSER.parse(text))


def _distance_nodes(node):
    if isinstance(node, list):
        return [_distance_nodes(n) for n in node]
    if not isinstance(node, dict):
        return node
    if node.get("op", "").lower() == "s_dwithin":
        lhs, rhs, distance, *units = node["args"]
        return ast.DistanceWithin(walk_cql_json(_distance_nodes(lhs)),
                                  walk_cql_json(_distance_nodes(rhs)), float(distance),
                                  units[0] if units else "m")
    return {key: _distance_nodes(value) for key, value in node.items()}


def parse_cql2_json(document):
    """The pygeofilter AST of a CQL2 JSON filter (S_DWITHIN: {"op": "s_dwithin", ...})."""
    root = json.loads(document) if isinstance(document, (str, bytes)) else document
    return _bboxes_as_polygons(walk_cql_json(_distance_nodes(root)))


def parse_filter_crs84(text: str, layer):
    """A CQL2 text filter whose geometries are in CRS84, as an AST in ``layer``'s storage CRS;
    InvalidParameter if it does not parse (for dimos' own endpoints: processes, exports)."""
    from lark.exceptions import LarkError
    from pygeoapi.crs import modify_pygeofilter

    from gis.errors import InvalidParameter
    from ogc.config import CRS_URIS

    if not isinstance(text, str):
        raise InvalidParameter("filter: CQL2 text (a string)")
    try:
        node = parse_cql2_text(text)
    except LarkError as exc:
        raise InvalidParameter(f"filter: malformed CQL2 text ({str(exc).splitlines()[0]})") from None
    return modify_pygeofilter(node, filter_crs_uri=CRS_URIS["CRS84"],
                              storage_crs_uri=CRS_URIS[layer.srid], geometry_column_name="geom")
