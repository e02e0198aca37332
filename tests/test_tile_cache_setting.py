"""`DIMOS_TILE_CACHE_MB=0` turns the tile cache off (README, settings).

A cached tile is keyed by the layer's data version, which a trigger bumps on every write. A
change made with the triggers off leaves the version as it was: a server that caches goes on
serving the tile it rendered before, a server that does not renders the change. Both are
shown, so the probe itself is proven to see a cache.
"""
from __future__ import annotations

import math

import pytest
import requests

from gis import db, migrate
from tests.helpers import rows, serving

LON, LAT = 24.4747, 35.3676
ZOOM = 16


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """WebMercatorQuad row and column of the tile holding lon/lat."""
    n = 2 ** z
    col = int((lon + 180) / 360 * n)
    row = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return row, col


def _execute(url: str, *statements: tuple[str, tuple]) -> None:
    conn = db.connect(url)
    try:
        with conn, conn.cursor() as cur:
            for statement, params in statements:
                cur.execute(statement, params)
    finally:
        conn.close()


@pytest.fixture
def one_bus_stop(make_database) -> str:
    """A database of its own holding one municipality and one bus stop named 'before'."""
    url = make_database("dimos_tile_cache")
    migrate.upgrade(url)
    point = "ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), 2100)"
    _execute(url, (
        "INSERT INTO jurisdictions (id, name_el, name_en, boundary) VALUES "
        f"('rethymno', 'Ρέθυμνο', 'Rethymno', ST_Multi(ST_Buffer({point}, 2000)))",
        (LON, LAT)), (
        "INSERT INTO bus_stops (jurisdiction_id, stop_id, name, smart, geom) VALUES "
        f"('rethymno', 'S-1', 'before', false, {point})", (LON, LAT)))
    return url


def _rename_behind_the_triggers_back(url: str, name: str) -> None:
    """A change that leaves the layer's data version (and so the cache keys) as they were."""
    (version,), = rows(url, "SELECT version FROM layer_changes WHERE layer_id = 'bus_stops'")
    _execute(url, ("SET LOCAL session_replication_role = replica", ()),
             ("UPDATE bus_stops SET name = %s", (name,)))
    assert rows(url, "SELECT version FROM layer_changes WHERE layer_id = 'bus_stops'") == \
        [(version,)]


def _tile(base: str) -> bytes:
    row, col = _tile_of(LON, LAT, ZOOM)
    answer = requests.get(f"{base}/ogc/collections/bus_stops/tiles/WebMercatorQuad/"
                          f"{ZOOM}/{row}/{col}", params={"f": "mvt"}, timeout=30)
    assert answer.status_code == 200, answer.text[:300]
    return answer.content


@pytest.mark.parametrize("cache_mb, served", [(64, b"before"), (0, b"after")])
def test_tile_cache_mb_0_renders_every_tile_afresh(one_bus_stop, tmp_path, cache_mb, served):
    # one worker: the second request reaches the process that cached the first
    with serving(one_bus_stop, tmp_path, workers=1, tile_cache_mb=cache_mb) as base:
        assert b"before" in _tile(base)
        _rename_behind_the_triggers_back(one_bus_stop, "after")
        assert served in _tile(base)
