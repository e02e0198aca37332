"""CQL2 filters (pygeofilter's AST) to SQL: identifiers from the catalogue, values bound.

Geometries in a filter arrive already in the layer's storage CRS (EPSG:2100, metres), so
S_DWITHIN's distance is metres on the ground, not degrees.
"""
from __future__ import annotations

import json
from datetime import date, datetime

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
_TO_METRES = {None: 1.0, "m": 1.0, "meters": 1.0, "metres": 1.0, "km": 1000.0,
              "kilometers": 1000.0, "kilometres": 1000.0}


class CqlTranslator:
    """Translate one filter for one layer; ``params`` collects the bound values in order."""

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
        return sql.SQL("{} " + _COMPARISONS[type(node)] + " {}").format(
            self._scalar(node.lhs), self._scalar(node.rhs))

    def _between(self, node) -> sql.Composable:
        return sql.SQL("{} " + ("NOT " if node.not_ else "") + "BETWEEN {} AND {}").format(
            self._scalar(node.lhs), self._scalar(node.low), self._scalar(node.high))

    def _like(self, node) -> sql.Composable:
        # CQL2 wildcards are SQL's own (% and _); the pattern is a bound value
        operator = ("NOT " if node.not_ else "") + ("ILIKE" if node.nocase else "LIKE")
        return sql.SQL("{}::text " + operator + " {}").format(
            self._scalar(node.lhs), self._value(node.pattern))

    def _in(self, node) -> sql.Composable:
        items = sql.SQL(", ").join(self._scalar(n) for n in node.sub_nodes)
        return sql.SQL("{} " + ("NOT " if node.not_ else "") + "IN ({})").format(
            self._scalar(node.lhs), items)

    def _is_null(self, node) -> sql.Composable:
        return sql.SQL("{} IS " + ("NOT " if node.not_ else "") + "NULL").format(
            self._scalar(node.lhs))

    def _spatial(self, node) -> sql.Composable:
        return sql.SQL(_SPATIAL[type(node)] + "({}, {})").format(
            self._spatial_operand(node.lhs), self._spatial_operand(node.rhs))

    def _distance(self, node) -> sql.Composable:
        try:
            metres = float(node.distance) * _TO_METRES[(node.units or "m").lower()]
        except (KeyError, TypeError, ValueError):
            raise InvalidParameter(f"filter: distance units {node.units!r} unknown; use m or km")
        within = sql.SQL("ST_DWithin({}, {}, {})").format(
            self._spatial_operand(node.lhs), self._spatial_operand(node.rhs), self._value(metres))
        return within if isinstance(node, ast.DistanceWithin) else sql.SQL("NOT ") + within

    def _bbox(self, node) -> sql.Composable:
        envelope = sql.SQL("ST_MakeEnvelope({}, {}, {}, {}, {})").format(
            *(self._value(float(v)) for v in (node.minx, node.miny, node.maxx, node.maxy)),
            sql.Literal(int(self.layer.srid)))
        return sql.SQL("ST_Intersects({}, {})").format(self._spatial_operand(node.lhs), envelope)

    def _attribute(self, node: ast.Attribute) -> sql.Composable:
        if node.name in self.fields:
            return sql.Identifier(node.name)
        known = ", ".join(self.fields)
        raise InvalidParameter(
            f"filter: unknown property {node.name!r} for {self.layer.id}; queryables: {known}")

    def _scalar(self, node) -> sql.Composable:
        if isinstance(node, ast.Attribute):
            if node.name in GEOMETRY_NAMES:
                raise InvalidParameter("filter: the geometry can only be used in spatial predicates")
            return self._attribute(node)
        if isinstance(node, (str, int, float, bool, date, datetime)) or node is None:
            return self._value(node)
        if isinstance(node, values.Interval):
            raise InvalidParameter("filter: intervals are only allowed in temporal predicates")
        raise InvalidParameter(f"filter: {type(node).__name__} cannot be compared")

    def _spatial_operand(self, node) -> sql.Composable:
        if isinstance(node, ast.Attribute):
            if node.name in GEOMETRY_NAMES:
                return sql.Identifier("geom")
            raise InvalidParameter(
                f"filter: {node.name!r} is not a geometry; spatial predicates take 'geometry'")
        if isinstance(node, values.Envelope):
            node = values.Geometry(node.geometry)
        if isinstance(node, values.Geometry):
            geometry = shape(node.geometry)
            if shapely.get_num_coordinates(geometry) > MAX_VERTICES:
                raise InvalidParameter(f"filter: a geometry of more than {MAX_VERTICES:,} "
                                       "vertices; simplify it")
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
