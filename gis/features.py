"""Feature queries built in SQL: GeoJSON features straight from PostGIS, public fields only.

Every identifier comes from the layer catalogue and goes through ``sql.Identifier``; every
value is a bound parameter; numbers are coerced before use.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime

from psycopg2 import sql

from gis.cql import cql_to_sql
from layers.model import Layer

#: Tables larger than this report no exact numberMatched (the planner's estimate instead).
EXACT_COUNT_LIMIT = 100_000


@dataclass
class FeatureQuery:
    """What a client asked of one layer. Geometries and bbox are in the storage CRS."""

    layer: Layer
    limit: int = 10
    offset: int = 0
    bbox: tuple[float, float, float, float] | None = None
    datetime_: tuple[date | datetime | None, date | datetime | None] | None = None
    equals: list[tuple[str, str]] = field(default_factory=list)
    cql: object | None = None  # a pygeofilter AST
    sortby: list[tuple[str, bool]] = field(default_factory=list)  # (field, ascending)
    properties: list[str] | None = None
    skip_geometry: bool = False
    out_srid: int = 4326
    swap_axes: bool = False  # EPSG:4326 proper is latitude, longitude
    jurisdiction_id: str | None = None
    feature_id: int | None = None


def geometry_type_clause(layer: Layer, column: str = "geom") -> sql.Composable | None:
    """The condition confining a shared table to one collection's geometry type (the type is
    the catalogue's, never a request's); None for a layer with its table to itself."""
    if layer.geometry_filter is None:
        return None
    return sql.SQL("GeometryType({}) = {}").format(sql.Identifier(*column.split(".")),
                                                   sql.Literal(layer.geometry_filter))


def _where(q: FeatureQuery) -> tuple[sql.Composable, list]:
    """The WHERE clause of a query and its values."""
    clauses: list[sql.Composable] = []
    params: list = []
    one_type = geometry_type_clause(q.layer)
    if one_type is not None:
        clauses.append(one_type)
    if q.feature_id is not None:
        clauses.append(sql.SQL("id = %s"))
        params.append(int(q.feature_id))
    if q.jurisdiction_id is not None:
        clauses.append(sql.SQL("jurisdiction_id = %s"))
        params.append(q.jurisdiction_id)
    if q.bbox is not None:
        # the index box first, then the geometry itself must meet the bbox (Features Part 1);
        # dimos_meets_bbox is ST_Intersects costed so pages can walk the primary key (0010)
        envelope = sql.SQL("ST_MakeEnvelope(%s, %s, %s, %s, {})").format(
            sql.Literal(int(q.layer.srid)))
        clauses.append(sql.SQL("geom && {0} AND dimos_meets_bbox(geom, {0})").format(envelope))
        params.extend(float(v) for v in q.bbox * 2)
    if q.datetime_ is not None and q.layer.temporal:
        clause, values = _where_datetime(q.layer, q.datetime_)
        clauses.append(clause)
        params.extend(values)
    for name, value in q.equals:
        clauses.append(sql.SQL("{}::text = %s").format(sql.Identifier(q.layer.field(name).name)))
        params.append(value)
    if q.cql is not None:
        clause, values = cql_to_sql(q.cql, q.layer)
        clauses.append(sql.SQL("({})").format(clause))
        params.extend(values)
    if not clauses:
        return sql.SQL(""), []
    return sql.SQL(" WHERE ") + sql.SQL(" AND ").join(clauses), params


def _where_datetime(layer: Layer, interval) -> tuple[sql.Composable, list]:
    """Features whose instant or validity interval meets ``interval`` (open ends allowed)."""
    start_field = sql.Identifier(layer.temporal.start)
    end_field = sql.Identifier(layer.temporal.end or layer.temporal.start)
    start, end = interval
    clauses, params = [], []
    if end is not None:
        clauses.append(sql.SQL("{} <= %s").format(start_field))
        params.append(end)
    if start is not None:
        # an interval still open (no end) is in force after any start
        clauses.append(sql.SQL("({0} IS NULL OR {0} >= %s)").format(end_field)
                       if layer.temporal.end else sql.SQL("{} >= %s").format(end_field))
        params.append(start)
    if not clauses:  # both ends open: every feature
        return sql.SQL("TRUE"), []
    return sql.SQL(" AND ").join(clauses), params


def _order_by(q: FeatureQuery) -> sql.Composable:
    """ORDER BY the requested fields, then id, so pages are stable."""
    keys = [sql.SQL("{} {}").format(sql.Identifier(q.layer.field(name).name),
                                    sql.SQL("ASC" if ascending else "DESC"))
            for name, ascending in q.sortby]
    keys.append(sql.SQL("id"))
    return sql.SQL(" ORDER BY ") + sql.SQL(", ").join(keys)


def _feature_json(q: FeatureQuery) -> sql.Composable:
    """A json_build_object producing one GeoJSON Feature from a row."""
    names = q.properties if q.properties is not None else [f.name for f in q.layer.public_fields]
    pairs = sql.SQL(", ").join(
        sql.SQL("{}, {}").format(sql.Literal(name), sql.Identifier(q.layer.field(name).name))
        for name in names)
    properties = sql.SQL("json_build_object({})").format(pairs) if names else sql.SQL("'{}'::json")
    if q.skip_geometry:
        geometry = sql.SQL("NULL")
    else:
        geom = sql.SQL("geom")
        if int(q.out_srid) != int(q.layer.srid):
            geom = sql.SQL("ST_Transform(geom, {})").format(sql.Literal(int(q.out_srid)))
        if q.swap_axes:
            geom = sql.SQL("ST_FlipCoordinates({})").format(geom)
        # 2100/3857 are metres: 3 decimals are millimetres; degrees need 8 for ~1 mm
        digits = 8 if int(q.out_srid) == 4326 else 3
        geometry = sql.SQL("ST_AsGeoJSON({}, {}, 0)::json").format(geom, sql.Literal(digits))
    return sql.SQL("json_build_object('type', 'Feature', 'id', id, 'geometry', {}, "
                   "'properties', {})").format(geometry, properties)


def query_features(cur, q: FeatureQuery) -> tuple[list[dict], int | None]:
    """The features of one page and numberMatched (None when the table is too large to count)."""
    where, params = _where(q)
    query = sql.SQL("SELECT {} FROM {}{}{} LIMIT %s OFFSET %s").format(
        _feature_json(q), sql.Identifier(q.layer.table), where, _order_by(q))
    cur.execute(query, [*params, int(q.limit), int(q.offset)])
    features = [row[0] for row in cur.fetchall()]
    return features, _number_matched(cur, q, where, params, len(features))


_ESTIMATES: dict[str, tuple[float, int]] = {}
ESTIMATE_TTL_S = 60.0


def _row_estimate(cur, table: str) -> int:
    """The planner's row estimate of a table, remembered for a minute (it moves slowly)."""
    now = time.monotonic()
    known = _ESTIMATES.get(table)
    if known is None or now - known[0] > ESTIMATE_TTL_S:
        cur.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", (table,))
        known = _ESTIMATES[table] = (now, cur.fetchone()[0])
    return known[1]


def _number_matched(cur, q: FeatureQuery, where, params, returned: int) -> int | None:
    if q.offset == 0 and returned < q.limit:
        return returned  # the whole answer is on this page
    if _row_estimate(cur, q.layer.table) > EXACT_COUNT_LIMIT:
        return None
    cur.execute(sql.SQL("SELECT count(*) FROM {}{}").format(sql.Identifier(q.layer.table), where),
                params)
    return cur.fetchone()[0]


def get_feature(cur, layer: Layer, feature_id: int, out_srid: int = 4326,
                swap_axes: bool = False) -> dict | None:
    """One feature by id, or None."""
    q = FeatureQuery(layer=layer, limit=1, feature_id=int(feature_id), out_srid=out_srid,
                     swap_axes=swap_axes)
    features, _ = query_features(cur, q)
    return features[0] if features else None
