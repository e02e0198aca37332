"""Mapbox Vector Tiles on WebMercatorQuad, built by PostGIS (ST_AsMVT), cached per data version.

Tiles are cut from the storage CRS with integer SRIDs (a text SRID costs ~13 ms a row, as
measured on PostGIS 3.3) and simplified to the tile's resolution. At low zooms (and in a tile
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
# Greek Grid metres per Web Mercator metre at Rethymno's latitude (cos 35.37°)
GREEK_GRID_PER_MERCATOR = 0.8154
DETAIL_ZOOM = 14  # from this zoom on, every feature is kept whole (up to TILE_BUDGET a tile)
TILE_FIELD_TYPES = ("integer", "bigint", "real", "boolean", "date", "timestamptz", "text")
LONG_TEXT_FIELDS = ("description",)

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
    """The SQL of one tile. Below DETAIL_ZOOM, or above TILE_BUDGET features, the tile is
    thinned, never cut: points, and lines or polygons smaller than a pixel (as points on
    their surface), are kept one per pixel of a 256-pixel tile — the lowest id, with
    ``dimos:count`` the number of features it stands for — and larger shapes whole. The
    same data gives the same tile every time."""
    points_only = "point" in layer.geometry_type.lower()
    # a line or polygon whose bounding box is under a pixel would be drawn as a dot anyway
    tiny = sql.SQL("true") if points_only else sql.SQL(
        "ST_Dimension(t.geom) = 0 OR greatest(ST_XMax(t.geom) - ST_XMin(t.geom), "
        "ST_YMax(t.geom) - ST_YMin(t.geom)) < %(pixel)s")
    one_type = geometry_type_clause(layer, "t.geom")
    type_filter = sql.SQL("") if one_type is None else sql.SQL(" AND ") + one_type
    simplified = sql.SQL("candidates.shape") if points_only else \
        sql.SQL("ST_SimplifyPreserveTopology(candidates.shape, %(unit)s)")
    dot = sql.SQL("candidates.shape") if points_only else \
        sql.SQL("ST_PointOnSurface(candidates.shape)")
    names = [sql.Identifier(name) for name in tile_fields(layer)]
    source_columns = sql.SQL("").join(sql.SQL(", t.{}").format(name) for name in names)
    columns = sql.SQL("").join(sql.SQL(", {}").format(name) for name in names)
    # the CTEs are MATERIALIZED so that ST_AsMVTGeom and ST_Transform run once a row, not
    # again in each filter the planner would inline them into
    whole_geom = sql.SQL("ST_AsMVTGeom(ST_Transform({}, 3857), bounds.mercator, {}, {}, true)"
                         ).format(simplified, sql.Literal(EXTENT), sql.Literal(BUFFER))
    dot_geom = sql.SQL("ST_AsMVTGeom(pixels.mercator, bounds.mercator, {}, {}, true)").format(
        sql.Literal(EXTENT), sql.Literal(BUFFER))
    return sql.SQL("""
        WITH bounds AS (
            SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS mercator,
                   ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s) AS buffered,
                   ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s),
                                {srid}) AS native
        ), candidates AS MATERIALIZED (
            SELECT t.id{source_columns}, t.geom AS shape, ({tiny}) AS tiny
            FROM {table} AS t, bounds
            WHERE t.geom && bounds.native{type_filter}
        ), thinning AS (
            SELECT %(z)s < {detail_zoom} OR count(*) > {budget} AS thinned FROM candidates
        ), whole AS MATERIALIZED (
            SELECT id{columns}, NULL::bigint AS "dimos:count", {whole_geom} AS geom
            FROM candidates, thinning, bounds
            WHERE NOT (thinning.thinned AND candidates.tiny)
        ), dots AS MATERIALIZED (
            SELECT id{columns}, ST_Transform({dot}, 3857) AS mercator
            FROM candidates, thinning
            WHERE thinning.thinned AND candidates.tiny
        ), placed AS MATERIALIZED (
            -- the pixel of a dot, in tile coordinates (256 to a side); a dot outside the
            -- tile and its buffer is not drawn, nor counted
            SELECT dots.*,
                   floor((ST_X(dots.mercator) - ST_XMin(bounds.mercator)) / %(pixel_m)s) AS px,
                   floor((ST_YMax(bounds.mercator) - ST_Y(dots.mercator)) / %(pixel_m)s) AS py
            FROM dots, bounds
            WHERE dots.mercator && bounds.buffered
        ), pixels AS MATERIALIZED (
            SELECT DISTINCT ON (px, py) id{columns},
                   count(*) OVER (PARTITION BY px, py) AS "dimos:count", mercator
            FROM placed
            ORDER BY px, py, id
        ), features AS (
            (SELECT * FROM whole WHERE geom IS NOT NULL ORDER BY id)
            UNION ALL
            (SELECT id{columns}, "dimos:count", {dot_geom} AS geom
             FROM pixels, bounds ORDER BY id)
        )
        SELECT ST_AsMVT(features, {name}, {extent}, 'geom', 'id') FROM features
    """).format(srid=sql.Literal(int(layer.srid)), source_columns=source_columns,
                columns=columns, tiny=tiny, table=sql.Identifier(layer.table),
                type_filter=type_filter, detail_zoom=sql.Literal(DETAIL_ZOOM),
                budget=sql.Literal(TILE_BUDGET), whole_geom=whole_geom, dot=dot,
                dot_geom=dot_geom, name=sql.Literal(layer.id),
                extent=sql.Literal(EXTENT))


def render_tile(cur, layer: Layer, z: int, x: int, y: int) -> bytes:
    """The MVT of one tile (empty bytes when no feature falls in it)."""
    check_tile(z, x, y)
    tile_m = WORLD_M / 2 ** z
    unit = tile_m / EXTENT * GREEK_GRID_PER_MERCATOR  # one MVT unit, in storage metres
    cur.execute(_tile_query(layer), {"z": z, "x": x, "y": y, "margin": BUFFER / EXTENT,
                                     "unit": unit, "pixel": unit * EXTENT / TILE_PIXELS,
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
