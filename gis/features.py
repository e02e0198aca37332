"""Feature queries built in SQL: GeoJSON features straight from PostGIS, public fields only.

Every identifier comes from the layer catalogue and goes through ``sql.Identifier``; every
value is a bound parameter; numbers are coerced before use.
"""
from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime
from threading import Lock

from psycopg2 import sql

from gis.cql import cql_to_sql
from layers.model import Layer

#: A page carries numberMatched, counted, when its query is expected (by the planner) to match
#: at most this many features; above it, only when the page shows it exactly.
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
    #: the key of the last feature of the page before (gis/page_cursor.py), or None
    after: list | None = None
    #: whether numberMatched may be counted (one feature by id, an export: no)
    count: bool = True
    #: the most features a page's query may be expected to match for it to be counted
    #: (0: never, but for resulttype=hits); the setting DIMOS_COUNT_LIMIT
    count_limit: int = EXACT_COUNT_LIMIT


def geometry_type_clause(layer: Layer, column: str = "geom") -> sql.Composable | None:
    """The condition confining a shared table to one collection's geometry type (the type is
    the catalogue's, never a request's); None for a layer with its table to itself."""
    if layer.geometry_filter is None:
        return None
    return sql.SQL("GeometryType({}) = {}").format(sql.Identifier(*column.split(".")),
                                                   sql.Literal(layer.geometry_filter))


def _where(q: FeatureQuery, after: bool = False) -> tuple[sql.Composable, list]:
    """The WHERE clause of a query and its values; with ``after``, only the rows after the
    cursor's key too (what the count leaves out)."""
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
    if after and q.after is not None:
        clause, values = _where_after(q)
        clauses.append(clause)
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


@dataclass
class FeaturePage:
    """One page: its features, numberMatched when known exactly (None otherwise) and the
    key of its last feature when more follow (sort values as text, then the id)."""

    features: list[dict]
    number_matched: int | None
    next_key: list | None


def _sort_keys(q: FeatureQuery) -> list[tuple[str, bool, str]]:
    """The page's order as (column, ascending, type), the id last to break ties."""
    return [(q.layer.field(name).name, ascending, q.layer.field(name).type)
            for name, ascending in q.sortby] + [("id", True, "bigint")]


def _where_after(q: FeatureQuery) -> tuple[sql.Composable, list]:
    """The rows after the key ``q.after`` in the page's order (ORDER BY's NULL placement:
    last when ascending, first when descending), as nested (greater OR (equal AND ...))."""
    keys = _sort_keys(q)
    column, _, type_ = keys[-1]
    clause, params = sql.SQL("{} > %s").format(sql.Identifier(column)), [int(q.after[-1])]
    for (column, ascending, type_), value in reversed(list(zip(keys[:-1], q.after[:-1]))):
        name = sql.Identifier(column)
        # values travel as PostgreSQL's text of the column's type (gis/page_cursor.py checked it)
        literal = sql.SQL("CAST(%s AS {})").format(sql.SQL(_SQL_TYPES[type_]))
        if value is None:
            equal, equal_params = sql.SQL("{} IS NULL").format(name), []
            after = None if ascending else (sql.SQL("{} IS NOT NULL").format(name), [])
        else:
            equal, equal_params = sql.SQL("{} = {}").format(name, literal), [value]
            after = (sql.SQL("({} > {} OR {} IS NULL)").format(name, literal, name), [value]) \
                if ascending else (sql.SQL("{} < {}").format(name, literal), [value])
        nested = sql.SQL("({} AND {})").format(equal, clause)
        nested_params = equal_params + params
        if after is None:
            clause, params = nested, nested_params
        else:
            clause = sql.SQL("({} OR {})").format(after[0], nested)
            params = after[1] + nested_params
    return clause, params


#: the column types of the catalogue's field types (gis/schema.py: "real" is double precision)
_SQL_TYPES = {"integer": "integer", "bigint": "bigint", "real": "double precision",
              "boolean": "boolean", "date": "date", "timestamptz": "timestamptz", "text": "text"}


def query_page(cur, q: FeatureQuery) -> FeaturePage:
    """One page of features: the ids (and sort values) of the page are found first, so no
    JSON is built for rows an offset skips or a cursor walks past; then the GeoJSON of those
    rows only. One row more than the page says whether another follows."""
    where, params = _where(q)
    features, next_key, exhausted = [], None, True
    if q.limit > 0:
        page_where, page_params = _where(q, after=True)
        keys = _sort_keys(q)[:-1]
        key_columns = sql.SQL("").join(
            sql.SQL(", {}::text AS {}").format(sql.Identifier(column), sql.Identifier(f"dimos_k{i}"))
            for i, (column, _, _) in enumerate(keys))
        key_values = sql.SQL("").join(sql.SQL(", page.{}").format(sql.Identifier(f"dimos_k{i}"))
                                      for i in range(len(keys)))
        query = sql.SQL("WITH page AS (SELECT id{} FROM {}{}{} LIMIT %s OFFSET %s) "
                        "SELECT {}{}, page.id FROM {} JOIN page USING (id){}").format(
            key_columns, sql.Identifier(q.layer.table), page_where, _order_by(q),
            _feature_json(q), key_values, sql.Identifier(q.layer.table), _order_by(q))
        cur.execute(query, [*page_params, int(q.limit) + 1, int(q.offset)])
        rows = cur.fetchall()
        exhausted = len(rows) <= q.limit
        rows = rows[:q.limit]
        features = [row[0] for row in rows]
        if not exhausted:
            next_key = [*rows[-1][1:-1], int(rows[-1][-1])]
    return FeaturePage(features, _number_matched(cur, q, where, params, len(features),
                                                 exhausted), next_key)


def query_features(cur, q: FeatureQuery) -> tuple[list[dict], int | None]:
    """The features of one page and numberMatched (None when not known exactly)."""
    page = query_page(cur, q)
    return page.features, page.number_matched


_ESTIMATES: dict[str, tuple[float, int]] = {}
ESTIMATE_TTL_S = 60.0
#: how long a query's count is reused (it is keyed by the layer's data version as well, so a
#: write makes it unreachable at once); at most COUNT_CACHE_SIZE queries per process
COUNT_TTL_S = 60.0
COUNT_CACHE_SIZE = 1024
_COUNTS: OrderedDict = OrderedDict()
_COUNTS_LOCK = Lock()


def _row_estimate(cur, table: str) -> int:
    """The planner's row estimate of a table, remembered for a minute (it moves slowly)."""
    now = time.monotonic()
    known = _ESTIMATES.get(table)
    if known is None or now - known[0] > ESTIMATE_TTL_S:
        cur.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", (table,))
        known = _ESTIMATES[table] = (now, cur.fetchone()[0])
    return known[1]


def _number_matched(cur, q: FeatureQuery, where, params, returned: int,
                    exhausted: bool) -> int | None:
    """numberMatched, exact or None (the count policy, README "Paging and numberMatched"):
    known from the page when an offset page reaches the end; else a count(*), for a
    ``resulttype=hits`` request always, for a page only when the query is expected to match
    at most ``q.count_limit`` features (the table's size, or if larger the planner's estimate
    of the query), and then once per query and data version for COUNT_TTL_S, not again on
    every page."""
    if exhausted and q.after is None and q.limit > 0 and (returned or not q.offset):
        return q.offset + returned  # this page reaches the end (a page past it shows nothing)
    if not q.count or (q.limit > 0 and q.count_limit == 0):
        return None
    cur.execute("SELECT version FROM layer_changes WHERE layer_id = %s", (q.layer.table,))
    version = cur.fetchone()
    key = (cur.connection.dsn, q.layer.id, version and version[0], where.as_string(cur),
           repr(params), q.limit > 0 and q.count_limit)
    now = time.monotonic()
    with _COUNTS_LOCK:
        known = _COUNTS.get(key)
    if known is not None and now - known[0] <= COUNT_TTL_S:
        return known[1]
    count_sql = sql.SQL("SELECT count(*) FROM {}{}").format(sql.Identifier(q.layer.table), where)
    count = None
    # a table never analysed has no size yet (-1): then the planner's estimate decides
    if q.limit == 0 or 0 <= _row_estimate(cur, q.layer.table) <= q.count_limit \
            or _match_estimate(cur, count_sql, params) <= q.count_limit:
        cur.execute(count_sql, params)
        count = cur.fetchone()[0]
    with _COUNTS_LOCK:
        _COUNTS[key] = (now, count)
        _COUNTS.move_to_end(key)
        while len(_COUNTS) > COUNT_CACHE_SIZE:
            _COUNTS.popitem(last=False)
    return count


def _match_estimate(cur, count_sql: sql.Composable, params: list) -> float:
    """The planner's estimate of the rows a count would read (its plan, not run)."""
    cur.execute(sql.SQL("EXPLAIN (FORMAT JSON) ") + count_sql, params)
    plan = cur.fetchone()[0][0]["Plan"]
    while plan.get("Plans") and plan["Node Type"] == "Aggregate":
        plan = plan["Plans"][0]
    return plan["Plan Rows"]


def get_feature(cur, layer: Layer, feature_id: int, out_srid: int = 4326,
                swap_axes: bool = False) -> dict | None:
    """One feature by id, or None."""
    q = FeatureQuery(layer=layer, limit=1, feature_id=int(feature_id), out_srid=out_srid,
                     swap_axes=swap_axes, count=False)
    features = query_page(cur, q).features
    return features[0] if features else None
