"""OGC API Tiles: vector tiles from PostGIS, small at low zoom, never stale, revalidatable."""
from __future__ import annotations

import math

import mapbox_vector_tile
import pytest
import requests

import layers
from gis import db

TMS = "WebMercatorQuad"
OLD_TOWN = (24.4735, 35.3695)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def tile_url(ogc: str, layer_id: str, z: int, x: int, y: int) -> str:
    return f"{ogc}/collections/{layer_id}/tiles/{TMS}/{z}/{y}/{x}?f=mvt"


@pytest.fixture(scope="module")
def ogc(live_server):
    return f"{live_server}/ogc"


def fetch(ogc, layer_id, z, x, y, **headers):
    return requests.get(tile_url(ogc, layer_id, z, x, y), headers=headers, timeout=60)


def decode(content: bytes) -> dict:
    return mapbox_vector_tile.decode(content) if content else {}


def count_in_tile(url, layer, z, x, y) -> int:
    conn = db.connect(url)
    try:
        with conn.cursor() as cur:
            # tiles carry a 64/4096 buffer around the tile, as map renderers need
            cur.execute(f"SELECT count(*) FROM {layer.table} WHERE ST_Intersects(ST_Transform("
                        "geom, 3857), ST_TileEnvelope(%s, %s, %s, margin => 64.0 / 4096))",
                        (z, x, y))
            return cur.fetchone()[0]
    finally:
        conn.close()


def test_a_z16_tile_holds_every_bay_of_the_old_town_with_public_attributes(ogc, demo_url):
    z, x, y = tile_of(*OLD_TOWN, 16)
    answer = fetch(ogc, "parking_bays", z, x, y)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/vnd.mapbox-vector-tile"
    tile = decode(answer.content)["parking_bays"]
    assert len(tile["features"]) == count_in_tile(demo_url, layers.get("parking_bays"), z, x, y) > 0
    properties = tile["features"][0]["properties"]
    assert {"bay_id", "occupancy_state", "bay_type"} <= set(properties)


def test_request_tiles_carry_no_personal_data_nor_free_text(ogc):
    z, x, y = tile_of(*OLD_TOWN, 15)
    features = decode(fetch(ogc, "service_requests", z, x, y).content)["service_requests"]["features"]
    assert features
    for feature in features:
        assert not {"reporter_name", "reporter_email", "reporter_phone", "description"} & set(
            feature["properties"])


@pytest.mark.parametrize("layer", layers.CATALOGUE, ids=lambda layer: layer.id)
def test_low_zoom_tiles_stay_small(ogc, layer):
    for z in (6, 8, 10, 12):
        answer = fetch(ogc, layer.id, *tile_of(*OLD_TOWN, z))
        assert answer.status_code == 200
        assert len(answer.content) < 500_000, (layer.id, z, len(answer.content))


def test_sub_pixel_features_are_counted_dots_at_low_zoom_and_whole_when_zoomed_in(ogc, demo_url):
    """Thinned, never dropped (gis/tiles.py; tests/test_tile_thinning.py for dense tiles)."""
    z8 = decode(fetch(ogc, "buildings", *tile_of(*OLD_TOWN, 8)).content)["buildings"]["features"]
    # houses are smaller than a 600 m pixel: a dot per pixel, counting the houses it stands for
    assert {f["geometry"]["type"] for f in z8} == {"Point"}
    assert sum(f["properties"]["dimos:count"] for f in z8) == count_in_tile(
        demo_url, layers.get("buildings"), *tile_of(*OLD_TOWN, 8))
    z16 = decode(fetch(ogc, "buildings", *tile_of(*OLD_TOWN, 16)).content)["buildings"]["features"]
    assert z16 and not any("dimos:count" in f["properties"] for f in z16)
    assert {f["geometry"]["type"] for f in z16} == {"Polygon"}


@pytest.mark.parametrize("path, words", [
    ("22/0/9999999", "column 9999999 or row 0 outside 0–4194303 at zoom 22"),
    ("14/-1/5", "column 5 or row -1 outside 0–16383 at zoom 14"),
    ("30/0/0", "zoom 30 outside 0–22"),
    ("14/99999/1", "column 1 or row 99999 outside 0–16383 at zoom 14"),
    ("abc/0/0", "z, row and column must be integers"),
    ("14/1.5/3", "z, row and column must be integers")])
def test_invalid_tile_coordinates_are_a_400(ogc, path, words):
    """OGC API - Tiles /req/core/tc-error allows 400 or 404 for a tile outside the matrix set:
    dimos answers 400, saying the range (the client's arithmetic is wrong, not the data)."""
    answer = requests.get(f"{ogc}/collections/zoning/tiles/{TMS}/{path}?f=mvt", timeout=30)
    assert answer.status_code == 400, answer.text
    assert answer.json()["description"] == f"tile: {words}"


@pytest.mark.parametrize("path", ["WorldCRS84Quad/14/1/1", "WorldCRS84Quad/metadata"])
def test_a_tile_matrix_set_not_offered_is_a_404(ogc, path):
    answer = requests.get(f"{ogc}/collections/zoning/tiles/{path}?f=json", timeout=30)
    assert answer.status_code == 404, answer.text
    assert "'WorldCRS84Quad' not offered: use WebMercatorQuad" in answer.json()["description"]


def test_a_changed_zone_is_never_served_stale(ogc, demo_url):
    z, x, y = tile_of(*OLD_TOWN, 15)
    before = decode(fetch(ogc, "zoning", z, x, y).content)["zoning"]["features"]
    zone_id = before[0]["properties"]["zone_id"]
    conn = db.connect(demo_url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("UPDATE zoning SET building_coefficient = 9.9 WHERE zone_id = %s",
                        (zone_id,))
        after = decode(fetch(ogc, "zoning", z, x, y).content)["zoning"]["features"]
        changed = [f for f in after if f["properties"]["zone_id"] == zone_id]
        assert changed and changed[0]["properties"]["building_coefficient"] == 9.9
    finally:
        with conn, conn.cursor() as cur:
            cur.execute("UPDATE zoning SET building_coefficient = %s WHERE zone_id = %s",
                        (before[0]["properties"]["building_coefficient"], zone_id))
        conn.close()


def test_tiles_and_items_revalidate_with_304(ogc):
    z, x, y = tile_of(*OLD_TOWN, 14)
    first = fetch(ogc, "zoning", z, x, y)
    assert first.headers["Cache-Control"] == "public, max-age=3600"
    assert "Last-Modified" in first.headers
    again = fetch(ogc, "zoning", z, x, y, **{"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.content
    bays = requests.get(f"{ogc}/collections/parking_bays/items?f=json&limit=5", timeout=30)
    assert bays.headers["Cache-Control"] == "public, max-age=5"  # live sensors
    assert requests.get(f"{ogc}/collections/parking_bays/items?f=json&limit=5", timeout=30,
                        headers={"If-None-Match": bays.headers["ETag"]}).status_code == 304


@pytest.mark.parametrize("accept", [None, "*/*", "application/*"])
def test_a_tile_asked_for_without_a_format_is_a_vector_tile(ogc, accept):
    # GDAL, curl and most tile clients send no f= and Accept: */* (or nothing)
    z, x, y = tile_of(*OLD_TOWN, 16)
    asked = requests.Request("GET", tile_url(ogc, "parking_bays", z, x, y).removesuffix("?f=mvt"),
                             headers={"Accept": accept} if accept else {}).prepare()
    if accept is None:
        asked.headers.pop("Accept", None)
    answer = requests.Session().send(asked, timeout=60)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "application/vnd.mapbox-vector-tile"
    assert decode(answer.content)["parking_bays"]["features"]
