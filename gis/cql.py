"""CQL2 filters (pygeofilter's AST) to SQL: identifiers from the catalogue, values bound.

Geometries in a filter arrive already in the layer's storage CRS (EPSG:2100, metres), so
S_DWITHIN's distance is metres on the ground, not degrees.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import shapely
from psycopg2 import sql
from pygeofilter import ast, values
from shapely.geometry import mapping, shape

from gis.errors import InvalidParameter
from layers.model import Layer

GEOMETRY_NAMES = ("geom", "geometry")

_COMPARISONS = {
    ast.Equal: "=", ast.NotEqual: "<>", ast.LessThan: "<", ast.LessEqual: "<=",
    ast.GreaterThan: ">", ast.GreaterEqual: ">=",
}
_SPATIAL = {
    ast.GeometryIntersects: "ST_Intersects", ast.GeometryDisjoint: "ST_Disjoint",
    ast.GeometryContains: "ST_Contains", ast.GeometryWithin: "ST_Within",
    ast.GeometryTouches: "ST_Touches", ast.GeometryCrosses: "ST_Crosses",
    ast.GeometryOverlaps: "ST_Overlaps", ast.GeometryEquals: "ST_Equals",
}
# Bounds on what one filter may ask of the database (a heavy filter must not starve the rest)
MAX_CONDITIONS = 100
MAX_VERTICES = 10_000
#: the widest S_DWITHIN: farther than any two places of the country
MAX_DISTANCE_M = 2_000_000
_TO_METRES = {None: 1.0, "m": 1.0, "meters": 1.0, "metres": 1.0, "km": 1000.0,
              "kilometers": 1000.0, "kilometres": 1000.0}


#: what a catalogue field type is called in messages (the queryables' words)
_KINDS = {"text": "text", "integer": "integer", "bigint": "integer", "real": "number",
          "boolean": "boolean", "date": "date", "timestamptz": "date-time",
          "text[]": "list of text"}
#: kinds that compare with each other (PostgreSQL has the operators)
_COMPATIBLE = {"integer": "number", "number": "number", "date": "time", "date-time": "time",
               "text": "text", "boolean": "boolean", "list of text": "list of text"}
_ARTICLES = {"integer": "an integer", "number": "a number", "boolean": "a boolean",
             "date": "a date", "date-time": "a date-time", "list of text": "a list of text",
             "text": "text", "null": "null"}
#: CQL2 functions this server evaluates (pygeofilter reads CASEI(x) as lower(x))
FUNCTIONS = {"lower": "CASEI"}
BIGINT = 2 ** 63 - 1


@dataclass
class Operand:
    """One side of a comparison: a property (``sql`` set) or a literal (``value``), its kind
    and how a message names it."""

    kind: str
    label: str
    sql: sql.Composable | None = None
    value: object = None
    is_property: bool = False


def _label(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:40] + "…")
    if isinstance(value, datetime):
        return f"TIMESTAMP('{value.isoformat()}')"
    if isinstance(value, date):
        return f"DATE('{value.isoformat()}')"
    return str(value)


class CqlTranslator:
    """Translate one filter for one layer; ``params`` collects the bound values in order.

    Each operand's type is checked against the catalogue before its clause is built, so a
    filter the database could not run (text = number, LIKE on a number...) is a 400 naming
    the property and both types, never an SQL error.
    """

    def __init__(self, layer: Layer):
        self.layer = layer
        self.fields = {f.name: f for f in layer.public_fields}
        self.params: list = []
        self.conditions = 0

    def translate(self, node) -> sql.Composable:
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            raise InvalidParameter(f"filter: more than {MAX_CONDITIONS} conditions; split the "
                                   "query or use a bbox")
        handler = self._handler(node)
        if handler is None:
            raise InvalidParameter(
                f"filter: {type(node).__name__} is not supported on {self.layer.id}")
        return handler(node)

    def _handler(self, node):
        if isinstance(node, (ast.And, ast.Or)):
            return self._combination
        if isinstance(node, ast.Not):
            return lambda n: sql.SQL("NOT ({})").format(self.translate(n.sub_node))
        if type(node) in _COMPARISONS:
            return self._comparison
        if type(node) in _SPATIAL:
            return self._spatial
        return {
            ast.Between: self._between, ast.Like: self._like, ast.In: self._in,
            ast.IsNull: self._is_null, ast.DistanceWithin: self._distance,
            ast.DistanceBeyond: self._distance, ast.BBox: self._bbox,
            ast.Include: lambda n: sql.SQL("FALSE" if n.not_ else "TRUE"),
        }.get(type(node))

    def _combination(self, node) -> sql.Composable:
        joiner = sql.SQL(" AND " if isinstance(node, ast.And) else " OR ")
        parts = [sql.SQL("({})").format(self.translate(n)) for n in (node.lhs, node.rhs)]
        return joiner.join(parts)

    def _comparison(self, node) -> sql.Composable:
        lhs, rhs = self._operand(node.lhs), self._operand(node.rhs)
        self._in_range(lhs, rhs)
        self._in_range(rhs, lhs)
        if lhs.sql is None:  # the literal first: a text literal may be read as a date
            lhs = self._matched(lhs, rhs)
        rhs = self._matched(rhs, lhs)
        lhs = self._matched(lhs, rhs)
        if "list of text" in (lhs.kind, rhs.kind) or "null" in (lhs.kind, rhs.kind):
            raise InvalidParameter(f"filter: {lhs.label} and {rhs.label} cannot be compared "
                                   "with " + _COMPARISONS[type(node)])
        return sql.SQL("{} " + _COMPARISONS[type(node)] + " {}").format(
            self._bind(lhs), self._bind(rhs))

    def _between(self, node) -> sql.Composable:
        lhs = self._operand(node.lhs)
        low, high = (self._matched(self._operand(n), lhs) for n in (node.low, node.high))
        return sql.SQL("{} " + ("NOT " if node.not_ else "") + "BETWEEN {} AND {}").format(
            self._bind(lhs), self._bind(low), self._bind(high))

    def _like(self, node) -> sql.Composable:
        # CQL2 wildcards are SQL's own (% and _); the pattern is a bound value
        lhs, pattern = self._operand(node.lhs), self._operand(node.pattern)
        if lhs.kind != "text":
            raise InvalidParameter(f"filter: LIKE compares text; {lhs.label} is "
                                   f"{_ARTICLES[lhs.kind]}")
        if pattern.kind != "text":
            raise InvalidParameter(f"filter: the LIKE pattern for {lhs.label} must be text; "
                                   f"{pattern.label} is {_ARTICLES[pattern.kind]}")
        operator = ("NOT " if node.not_ else "") + ("ILIKE" if node.nocase else "LIKE")
        return sql.SQL("{} " + operator + " {}").format(self._bind(lhs), self._bind(pattern))

    def _in(self, node) -> sql.Composable:
        lhs = self._operand(node.lhs)
        items = [self._matched(self._operand(n), lhs) for n in node.sub_nodes]
        return sql.SQL("{} " + ("NOT " if node.not_ else "") + "IN ({})").format(
            self._bind(lhs), sql.SQL(", ").join(self._bind(item) for item in items))

    def _is_null(self, node) -> sql.Composable:
        return sql.SQL("{} IS " + ("NOT " if node.not_ else "") + "NULL").format(
            self._bind(self._operand(node.lhs)))

    def _spatial(self, node) -> sql.Composable:
        return sql.SQL(_SPATIAL[type(node)] + "({}, {})").format(
            self._spatial_operand(node.lhs), self._spatial_operand(node.rhs))

    def _distance(self, node) -> sql.Composable:
        distance = node.distance
        if isinstance(distance, bool) or not isinstance(distance, (int, float)):
            raise InvalidParameter(f"filter: the S_DWITHIN distance is a number of metres, not "
                                   f"{_label(distance)}")
        if not math.isfinite(distance) or abs(distance) > MAX_DISTANCE_M:
            raise InvalidParameter(f"filter: the S_DWITHIN distance {distance:g} is out of "
                                   f"range (finite, at most {MAX_DISTANCE_M:,.0f} m)")
        if distance < 0:
            raise InvalidParameter(f"filter: the S_DWITHIN distance must not be negative "
                                   f"({distance:g})")
        try:
            metres = float(distance) * _TO_METRES[(node.units or "m").lower()]
        except (KeyError, TypeError, ValueError, AttributeError):
            raise InvalidParameter(f"filter: distance units {node.units!r} unknown; use m or km")
        within = sql.SQL("ST_DWithin({}, {}, {})").format(
            self._spatial_operand(node.lhs), self._spatial_operand(node.rhs), self._value(metres))
        return within if isinstance(node, ast.DistanceWithin) else sql.SQL("NOT ") + within

    def _bbox(self, node) -> sql.Composable:
        corners = (node.minx, node.miny, node.maxx, node.maxy)
        if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in corners):
            raise InvalidParameter("filter: BBOX takes four finite numbers")
        envelope = sql.SQL("ST_MakeEnvelope({}, {}, {}, {}, {})").format(
            *(self._value(float(v)) for v in corners), sql.Literal(int(self.layer.srid)))
        return sql.SQL("ST_Intersects({}, {})").format(self._spatial_operand(node.lhs), envelope)

    def _operand(self, node) -> Operand:
        """A property, a literal or CASEI() of either, with its kind; nothing bound yet."""
        if isinstance(node, ast.Attribute):
            if node.name in GEOMETRY_NAMES:
                raise InvalidParameter("filter: the geometry can only be used in spatial predicates")
            field = self._field(node)
            return Operand(_KINDS[field.type], field.name, sql=sql.Identifier(field.name),
                           is_property=True)
        if isinstance(node, ast.Function):
            return self._function(node)
        if isinstance(node, bool):
            return Operand("boolean", _label(node), value=node)
        if isinstance(node, (int, float)):
            return Operand("number", _label(node), value=node)
        if isinstance(node, datetime):
            return Operand("date-time", _label(node), value=node)
        if isinstance(node, date):
            return Operand("date", _label(node), value=node)
        if isinstance(node, str):
            return Operand("text", _label(node), value=node)
        if node is None:
            return Operand("null", "NULL", value=None)
        if isinstance(node, values.Interval):
            raise InvalidParameter("filter: intervals are only allowed in temporal predicates")
        if isinstance(node, (values.Geometry, values.Envelope)):
            raise InvalidParameter("filter: a geometry can only be used in spatial predicates")
        raise InvalidParameter(f"filter: {type(node).__name__} cannot be compared")

    def _function(self, node) -> Operand:
        name = node.name.lower()
        shown = FUNCTIONS.get(name, node.name.upper())
        if name not in FUNCTIONS and name != "accenti":
            raise InvalidParameter(f"filter: unknown function {node.name}(); the functions "
                                   f"are {', '.join(FUNCTIONS.values())}")
        if len(node.arguments) != 1:
            raise InvalidParameter(f"filter: {shown} takes one argument")
        argument = self._operand(node.arguments[0])
        if argument.kind != "text":
            raise InvalidParameter(f"filter: {shown} takes text; {argument.label} is "
                                   f"{_ARTICLES[argument.kind]}")
        if name == "accenti":
            raise InvalidParameter("filter: ACCENTI is not supported here; CASEI is")
        bound = self._bind(argument)
        return Operand("text", f"{shown}({argument.label})", sql=sql.SQL("lower({})").format(
            bound), is_property=argument.is_property)

    def _matched(self, operand: Operand, other: Operand) -> Operand:
        """``operand`` checked against what it is compared with: finite numbers within
        bigint, kinds PostgreSQL can compare; text literals read as dates for date fields."""
        self._in_range(operand, other)
        if operand.kind == "null" or other.kind == "null":
            return operand
        if operand.sql is None and operand.kind == "text" and _COMPATIBLE[other.kind] == "time":
            return self._as_time(operand, other)
        if _COMPATIBLE[operand.kind] != _COMPATIBLE[other.kind]:
            first, second = (other, operand) if other.is_property else (operand, other)
            raise InvalidParameter(f"filter: {first.label} is {_ARTICLES[first.kind]}, "
                                   f"{second.label} is {_ARTICLES[second.kind]}")
        return operand

    @staticmethod
    def _in_range(operand: Operand, other: Operand) -> None:
        """A number literal finite and within bigint (1e400 is read as infinity)."""
        value = operand.value
        if operand.sql is None and operand.kind == "number" and (
                (isinstance(value, float) and not math.isfinite(value)) or abs(value) > BIGINT):
            raise InvalidParameter(f"filter: the number compared with {other.label} is out "
                                   "of range (finite numbers within ±9.2e18 only)")

    @staticmethod
    def _as_time(operand: Operand, other: Operand) -> Operand:
        """A text literal compared with a date or date-time property, read as ISO 8601."""
        text = operand.value
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(
                text.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidParameter(f"filter: {other.label} is {_ARTICLES[other.kind]}, "
                                   f"{operand.label} is text, not a date (YYYY-MM-DD)") from None
        return Operand("date-time" if isinstance(value, datetime) else "date", operand.label,
                       value=value)

    def _bind(self, operand: Operand) -> sql.Composable:
        return operand.sql if operand.sql is not None else self._value(operand.value)

    def _field(self, node: ast.Attribute):
        if node.name in self.fields:
            return self.fields[node.name]
        known = ", ".join(self.fields)
        raise InvalidParameter(
            f"filter: unknown property {node.name!r} for {self.layer.id}; queryables: {known}")

    def _spatial_operand(self, node) -> sql.Composable:
        if isinstance(node, ast.Attribute):
            if node.name in GEOMETRY_NAMES:
                return sql.Identifier("geom")
            raise InvalidParameter(
                f"filter: {node.name!r} is not a geometry; spatial predicates take 'geometry'")
        if isinstance(node, values.Envelope):
            node = values.Geometry(node.geometry)
        if isinstance(node, values.Geometry):
            try:
                geometry = shape(node.geometry)
            except (ValueError, TypeError, IndexError, AttributeError, KeyError,
                    shapely.errors.ShapelyError):
                raise InvalidParameter("filter: a malformed geometry") from None
            if shapely.get_num_coordinates(geometry) > MAX_VERTICES:
                raise InvalidParameter(f"filter: a geometry of more than {MAX_VERTICES:,} "
                                       "vertices; simplify it")
            if not np.isfinite(shapely.get_coordinates(geometry)).all():
                raise InvalidParameter("filter: a geometry with coordinates out of range "
                                       "(finite numbers only)")
            if not geometry.is_valid:
                raise InvalidParameter("filter: the geometry is not valid (self-intersecting?)")
            return sql.SQL("ST_SetSRID(ST_GeomFromGeoJSON({}), {})").format(
                self._value(json.dumps(mapping(geometry))), sql.Literal(int(self.layer.srid)))
        raise InvalidParameter(f"filter: {type(node).__name__} is not a geometry")

    def _value(self, value) -> sql.Composable:
        self.params.append(value)
        return sql.Placeholder()


def cql_to_sql(node, layer: Layer) -> tuple[sql.Composable, list]:
    """A WHERE clause for ``node`` on ``layer`` and its bound values; InvalidParameter if not."""
    translator = CqlTranslator(layer)
    clause = translator.translate(node)
    return clause, translator.params
