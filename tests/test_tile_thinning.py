"""Tiles are thinned, never cut: a dense tile's dots carry ``dimos:count``, adding up to every
feature in it, and the same data gives the same tile every time."""
from __future__ import annotations

import math

import mapbox_vector_tile
import pytest

import layers
from gis import db
from gis.tiles import TILE_BUDGET, render_tile
from tests.helpers import add_municipality

OLD_TOWN = (24.4735, 35.3695)
STOPS = TILE_BUDGET + 5_000  # more than a detail tile holds before it is thinned


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


Z16 = tile_of(*OLD_TOWN, 16)


@pytest.fixture(scope="module")
def dense(make_database, migrated_template):
    """A database of its own: a municipality over the old town, STOPS bus stops on a 157 × 160
    grid in the middle half of one z16 tile (about 2 m apart: some pixels hold one, some
    two), and in the same tile 3,000 permits of 1 m² (3 m apart) and 20 of 50 m × 50 m."""
    url = make_database("dimos_test_thinning", template=migrated_template)
    add_municipality(url, "oldtown", "Old town", 520_000, 3_900_000, 300_000)
    conn = db.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("""
            WITH tile AS (SELECT ST_TileEnvelope(%s, %s, %s) AS box),
            cells AS (SELECT i, j,
                             ST_XMin(box) + (ST_XMax(box) - ST_XMin(box)) * (0.25 + i / 314.0) AS x,
                             ST_YMin(box) + (ST_YMax(box) - ST_YMin(box)) * (0.25 + j / 320.0) AS y
                      FROM tile, generate_series(0, 156) AS i, generate_series(0, 159) AS j)
            INSERT INTO bus_stops (jurisdiction_id, stop_id, smart, geom)
            SELECT 'oldtown', 'dense-' || i || '-' || j, (i + j) %% 2 = 0,
                   ST_Transform(ST_SetSRID(ST_MakePoint(x, y), 3857), 2100)
            FROM cells ORDER BY i * 160 + j LIMIT %s""", (*Z16, STOPS))
        cur.execute("""
            WITH tile AS (SELECT ST_Transform(ST_TileEnvelope(%s, %s, %s), 2100) AS box),
            spots AS (SELECT n, ST_XMin(box) + 100 + (n %% 60) * 3 AS x,
                             ST_YMin(box) + 100 + (n / 60) * 3 AS y, false AS big
                      FROM tile, generate_series(0, 2999) AS n
                      UNION ALL
                      SELECT 3000 + n, ST_XMin(box) + 10 + (n %% 5) * 60,
                             ST_YMax(box) - 60 * (n / 5 + 1), true
                      FROM tile, generate_series(0, 19) AS n)
            INSERT INTO building_permits (jurisdiction_id, permit_number, issue_date, permit_type,
                                          status, geom)
            SELECT 'oldtown', 'thin-' || n, DATE '2020-01-01', 'addition', 'issued',
                   ST_Multi(ST_MakeEnvelope(x, y, x + CASE WHEN big THEN 50 ELSE 1 END,
                                            y + CASE WHEN big THEN 50 ELSE 1 END, 2100))
            FROM spots""", Z16[:3])
    conn.close()
    return url


def tile(url, layer_id, z, x, y):
    conn = db.connect(url)
    try:
        with conn.cursor() as cur:
            content = render_tile(cur, layers.collection(layer_id), z, x, y)
    finally:
        conn.close()
    return content, (mapbox_vector_tile.decode(content)[layer_id]["features"] if content else [])


def test_a_dense_detail_tile_is_thinned_with_counts_that_add_up_to_every_stop(dense):
    content, features = tile(dense, "bus_stops", *Z16)
    counts = [f["properties"]["dimos:count"] for f in features]
    assert sum(counts) == STOPS  # every stop is in one dot's count
    assert len(features) < STOPS and max(counts) > 1  # some pixels stand for several
    assert len({f["id"] for f in features}) == len(features)
    # each dot is a stop of its own, with its attributes
    assert all(f["properties"]["stop_id"].startswith("dense-") for f in features)
    again, _ = tile(dense, "bus_stops", *Z16)
    assert again == content  # the same tile on every run


def test_a_tile_within_its_budget_keeps_every_stop_whole(dense):
    z, x, y = Z16
    quarter = (18, x * 4 + 1, y * 4 + 1)  # one of the z18 tiles inside the z16 one
    _, features = tile(dense, "bus_stops", *quarter)
    conn = db.connect(dense)
    with conn.cursor() as cur:
        cur.execute("""SELECT count(*) FROM bus_stops WHERE ST_Intersects(ST_Transform(geom, 3857),
                       ST_TileEnvelope(%s, %s, %s, margin => 64.0 / 4096))""", quarter)
        (expected,), = cur.fetchall()
    conn.close()
    assert 0 < len(features) == expected < TILE_BUDGET
    assert not any("dimos:count" in f["properties"] for f in features)


def test_a_low_zoom_tile_turns_tiny_parcels_into_counted_dots_and_keeps_large_ones(dense):
    z, x, y = Z16
    low = (12, x >> 4, y >> 4)  # the z12 tile holding the z16 one: a pixel is 38 m
    content, features = tile(dense, "building_permits", *low)
    dots = [f for f in features if f["geometry"]["type"] == "Point"]
    shapes = [f for f in features if f["geometry"]["type"] != "Point"]
    assert sum(f["properties"]["dimos:count"] for f in dots) == 3000
    assert len(dots) < 3000
    assert len(shapes) == 20 and not any("dimos:count" in f["properties"] for f in shapes)
    assert tile(dense, "building_permits", *low)[0] == content
