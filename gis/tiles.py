"""Mapbox Vector Tiles on WebMercatorQuad, built by PostGIS (ST_AsMVT), cached per data version.

Tiles are cut from the storage CRS with integer SRIDs (a text SRID costs ~13 ms a row, as
measured on PostGIS 3.3), simplified to the tile's resolution, and at low zooms features
smaller than a pixel are dropped, so low-zoom tiles stay small.
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
MAX_FEATURES = 20_000  # per tile: a hard cap, whatever the zoom
WORLD_M = 40_075_016.68  # EPSG:3857 world width
# Greek Grid metres per Web Mercator metre at Rethymno's latitude (cos 35.37°)
GREEK_GRID_PER_MERCATOR = 0.8154
DETAIL_ZOOM = 14  # from this zoom on, every feature is kept whatever its size
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


def _tile_query(layer: Layer, z: int) -> sql.Composable:
    points_only = "point" in layer.geometry_type.lower()
    thinning = small_feature_filter = order = sql.SQL("")
    if z < DETAIL_ZOOM and points_only:
        # one point per pixel (the lowest id): the others would be drawn on top of it
        thinning = sql.SQL("DISTINCT ON (ST_SnapToGrid(t.geom, %(pixel)s)) ")
        order = sql.SQL(" ORDER BY ST_SnapToGrid(t.geom, %(pixel)s), t.id")
    elif z < DETAIL_ZOOM:
        # a line or polygon whose bounding box is under a pixel is invisible: drop it
        small_feature_filter = sql.SQL(
            " AND (ST_Dimension(t.geom) = 0 OR greatest(ST_XMax(t.geom) - ST_XMin(t.geom), "
            "ST_YMax(t.geom) - ST_YMin(t.geom)) >= %(pixel)s)")
    one_type = geometry_type_clause(layer, "t.geom")
    if one_type is not None:
        small_feature_filter = sql.SQL(" AND ") + one_type + small_feature_filter
    simplified = sql.SQL("t.geom") if points_only else \
        sql.SQL("ST_SimplifyPreserveTopology(t.geom, %(unit)s)")
    columns = sql.SQL("").join(sql.SQL(", t.{}").format(sql.Identifier(name))
                               for name in tile_fields(layer))
    return sql.SQL("""
        WITH bounds AS (
            SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS mercator,
                   ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s),
                                {srid}) AS native
        ), features AS (
            SELECT {thinning}t.id{columns},
                   ST_AsMVTGeom(ST_Transform({simplified}, 3857), bounds.mercator,
                                {extent}, {buffer}, true) AS geom
            FROM {table} AS t, bounds
            WHERE t.geom && bounds.native{small_feature_filter}{order}
            LIMIT {max_features}
        )
        SELECT ST_AsMVT(features, {name}, {extent}, 'geom', 'id')
        FROM features WHERE geom IS NOT NULL
    """).format(srid=sql.Literal(int(layer.srid)), columns=columns, simplified=simplified,
                extent=sql.Literal(EXTENT), buffer=sql.Literal(BUFFER), thinning=thinning,
                table=sql.Identifier(layer.table), small_feature_filter=small_feature_filter, order=order,
                max_features=sql.Literal(MAX_FEATURES), name=sql.Literal(layer.id))


def render_tile(cur, layer: Layer, z: int, x: int, y: int) -> bytes:
    """The MVT of one tile (empty bytes when no feature falls in it)."""
    check_tile(z, x, y)
    tile_m = WORLD_M / 2 ** z
    unit = tile_m / EXTENT * GREEK_GRID_PER_MERCATOR  # one MVT unit, in storage metres
    # with LIMIT and no ORDER BY the planner may price a sequential scan like the GiST one and
    # read half a million rows; the index is always right for one tile (and gives the same
    # features every time, so ETags hold). Local: ends with the request's transaction.
    cur.execute("SET LOCAL enable_seqscan = off")
    cur.execute(_tile_query(layer, z), {"z": z, "x": x, "y": y, "margin": BUFFER / EXTENT,
                                     "unit": unit, "pixel": unit * EXTENT / 256})
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
