"""Mapbox Vector Tiles on WebMercatorQuad, built by PostGIS (ST_AsMVT), cached per data version.

Tiles are cut from each feature's stored Web Mercator geometry (``geom_mercator``, transformed
once on write) and simplified to the tile's resolution. At low zooms (and in a tile
over its budget) features are thinned, visibly and deterministically: one dot per pixel
carrying ``dimos:count``, the number of features it stands for, so low-zoom tiles stay small
and no feature is dropped without a trace.
"""
from __future__ import annotations

from collections import OrderedDict
from threading import Lock

from psycopg2 import sql

from gis.errors import InvalidParameter
from gis.features import geometry_type_clause
from layers.model import Layer

EXTENT = 4096  # MVT tile units
BUFFER = 64
MAX_ZOOM = 22
#: features a tile at DETAIL_ZOOM or above holds before it is thinned (never cut)
TILE_BUDGET = 20_000
TILE_PIXELS = 256  # a tile's width in screen pixels: thinning keeps one dot per pixel
WORLD_M = 40_075_016.68  # EPSG:3857 world width
DETAIL_ZOOM = 14  # from this zoom on, every feature is kept whole (up to TILE_BUDGET a tile)
TILE_FIELD_TYPES = ("integer", "bigint", "real", "boolean", "date", "timestamptz", "text")
LONG_TEXT_FIELDS = ("description",)

ENVELOPE = sql.SQL("ST_TileEnvelope(%(z)s, %(x)s, %(y)s)")
BUFFERED = sql.SQL("ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s)")

CHANGES_SQL = "SELECT version, changed_at FROM layer_changes WHERE layer_id = %s"


def check_tile(z: int, x: int, y: int) -> None:
    """InvalidParameter unless z/x/y is a WebMercatorQuad tile."""
    if not 0 <= z <= MAX_ZOOM:
        raise InvalidParameter(f"tile: zoom {z} outside 0–{MAX_ZOOM}")
    if not (0 <= x < 2 ** z and 0 <= y < 2 ** z):
        raise InvalidParameter(f"tile: column {x} or row {y} outside 0–{2 ** z - 1} at zoom {z}")


def tile_fields(layer: Layer) -> list[str]:
    """The columns a tile carries: short public attributes (no free text, no lists)."""
    return [f.name for f in layer.public_fields
            if f.type in TILE_FIELD_TYPES and f.name not in LONG_TEXT_FIELDS]


def _tile_query(layer: Layer) -> sql.Composable:
    """The SQL of one tile, on the stored Web Mercator geometry (``geom_mercator``, 0029).
    Below DETAIL_ZOOM, or above TILE_BUDGET features, the tile is thinned, never cut: points,
    and lines or polygons smaller than a pixel (as points on their surface), are kept one per
    pixel of a 256-pixel tile — the lowest id, with ``dimos:count`` the number of features it
    stands for — and larger shapes whole. The same data gives the same tile every time."""
    points_only = "point" in layer.geometry_type.lower()
    # a line or polygon whose bounding box is under a pixel would be drawn as a dot anyway
    tiny = sql.SQL("true") if points_only else sql.SQL(
        "(ST_Dimension(t.geom_mercator) = 0 OR greatest("
        "ST_XMax(t.geom_mercator) - ST_XMin(t.geom_mercator), "
        "ST_YMax(t.geom_mercator) - ST_YMin(t.geom_mercator)) < %(pixel_m)s)")
    one_type = geometry_type_clause(layer, "t.geom")
    type_filter = sql.SQL("") if one_type is None else sql.SQL(" AND ") + one_type
    simplified = sql.SQL("t.geom_mercator") if points_only else \
        sql.SQL("ST_SimplifyPreserveTopology(t.geom_mercator, %(unit_m)s)")
    dot = sql.SQL("t.geom_mercator") if points_only else \
        sql.SQL("ST_PointOnSurface(t.geom_mercator)")
    # a dot outside the tile and its buffer is not drawn, nor counted (a point's is inside)
    dot_inside = sql.SQL("") if points_only else sql.SQL(" AND dots.dot && {}").format(BUFFERED)
    names = [sql.Identifier(name) for name in tile_fields(layer)]
    columns = sql.SQL("").join(sql.SQL(", t.{}").format(name) for name in names)
    in_tile = sql.SQL("t.geom_mercator && {}").format(BUFFERED) + type_filter
    # the tile's envelope is written out, not taken from a CTE: on constants, the planner
    # folds it and estimates the rows in the tile (a hash, not an on-disk sort, of the pixels)
    return sql.SQL("""
        WITH thinning AS MATERIALIZED (
            -- counting stops at the budget: a detail tile's count costs at most that many rows
            SELECT %(z)s < {detail_zoom} OR (
                SELECT count(*) FROM (SELECT FROM {table} AS t WHERE {in_tile}
                                      LIMIT {budget} + 1) AS capped) > {budget} AS thinned
        ), pixels AS (
            -- the pixel of a dot, in tile coordinates (256 to a side), and the lowest id in it
            SELECT min(dots.id) AS id, count(*) AS "dimos:count"
            FROM (SELECT t.id, {dot} AS dot FROM {table} AS t
                  WHERE (SELECT thinned FROM thinning) AND {in_tile} AND {tiny}) AS dots
            WHERE true{dot_inside}
            GROUP BY floor((ST_X(dots.dot) - ST_XMin({envelope})) / %(pixel_m)s),
                     floor((ST_YMax({envelope}) - ST_Y(dots.dot)) / %(pixel_m)s)
        ), features AS (
            (SELECT t.id{columns}, NULL::bigint AS "dimos:count",
                    ST_AsMVTGeom({simplified}, {envelope}, {extent}, {buffer}, true) AS geom
             FROM {table} AS t
             WHERE {in_tile} AND NOT ((SELECT thinned FROM thinning) AND {tiny})
             ORDER BY t.id)
            UNION ALL
            (SELECT t.id{columns}, pixels."dimos:count",
                    ST_AsMVTGeom({dot}, {envelope}, {extent}, {buffer}, true) AS geom
             -- one lookup by key a pixel (LIMIT 1 keeps it one: the planner, which cannot
             -- guess how many pixels there are, would otherwise walk the whole key)
             FROM pixels, LATERAL (SELECT * FROM {table} AS t WHERE t.id = pixels.id LIMIT 1) AS t
             ORDER BY t.id)
        )
        SELECT ST_AsMVT(features, {name}, {extent}, 'geom', 'id') FROM features
        WHERE geom IS NOT NULL
    """).format(table=sql.Identifier(layer.table), in_tile=in_tile, tiny=tiny, dot=dot,
                dot_inside=dot_inside, simplified=simplified, columns=columns,
                envelope=ENVELOPE, detail_zoom=sql.Literal(DETAIL_ZOOM),
                budget=sql.Literal(TILE_BUDGET), name=sql.Literal(layer.id),
                extent=sql.Literal(EXTENT), buffer=sql.Literal(BUFFER))


def render_tile(cur, layer: Layer, z: int, x: int, y: int) -> bytes:
    """The MVT of one tile (empty bytes when no feature falls in it)."""
    check_tile(z, x, y)
    tile_m = WORLD_M / 2 ** z
    cur.execute(_tile_query(layer), {"z": z, "x": x, "y": y, "margin": BUFFER / EXTENT,
                                     "unit_m": tile_m / EXTENT,  # one MVT unit
                                     "pixel_m": tile_m / TILE_PIXELS})
    return bytes(cur.fetchone()[0] or b"")


def layer_version(cur, layer: Layer) -> tuple[int, object]:
    """The layer's data version and when it last changed (bumped by trigger on write)."""
    cur.execute(CHANGES_SQL, (layer.table,))
    row = cur.fetchone()
    return (row[0], row[1]) if row else (0, None)


class TileCache:
    """An in-process LRU of tiles keyed by the layer's data version: a write makes old keys
    unreachable at once, so no tile is served stale after the write commits."""

    def __init__(self, max_bytes: int = 64 * 2 ** 20):
        self.max_bytes = max_bytes
        self._tiles: OrderedDict = OrderedDict()
        self._bytes = 0
        self._lock = Lock()

    def get(self, key):
        with self._lock:
            tile = self._tiles.get(key)
            if tile is not None:
                self._tiles.move_to_end(key)
            return tile

    def put(self, key, tile: bytes) -> None:
        with self._lock:
            if key in self._tiles:
                return
            self._tiles[key] = tile
            self._bytes += len(tile)
            while self._bytes > self.max_bytes and self._tiles:
                _, old = self._tiles.popitem(last=False)
                self._bytes -= len(old)
