"""OGC API Features Part 4: staff create, replace and delete features; nobody else can;
bad features are refused with the property named, and nothing stored changes."""
from __future__ import annotations

import pytest
import requests

import layers
from gis import db
from tests.helpers import dimos
from tests.helpers import rows as stored

CRS2100 = "http://www.opengis.net/def/crs/EPSG/0/2100"
GEOJSON = "application/geo+json"
OLD_TOWN = [24.4747, 35.3676]


@pytest.fixture(scope="module")
def ogc(live_server):
    return f"{live_server}/ogc"


@pytest.fixture(scope="module")
def tokens(demo_url):
    """A staff and a citizen token, issued with the CLI as an administrator would."""
    issued = {}
    for role in ("staff", "citizen"):
        dimos("token", "revoke", f"test-{role}", url=demo_url)
        made = dimos("token", "create", f"test-{role}", "--role", role, "--jurisdiction",
                     "rethymno", url=demo_url)
        assert made.returncode == 0, made.stderr
        issued[role] = made.stdout.strip()
    return issued


def headers(token, **extra):
    return {"Authorization": f"Bearer {token}", "Content-Type": GEOJSON, **extra}


def permit(number, coordinates=OLD_TOWN, **properties):
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": coordinates},
            "properties": {"permit_number": number, "issue_date": "2026-11-02",
                           "permit_type": "new_building", "status": "issued",
                           "kaek": "491157393460", "floors": 2, **properties}}


@pytest.fixture
def cleanup(demo_url):
    numbers = []
    yield numbers
    conn = db.connect(demo_url)
    with conn, conn.cursor() as cur:
        cur.execute("DELETE FROM building_permits WHERE permit_number = ANY(%s)", (numbers,))
    conn.close()


def test_a_point_written_to_the_parcels_collection_is_refused_naming_its_type(ogc, tokens,
                                                                            demo_url, cleanup):
    cleanup.append("T-WRONG/2026")
    answer = requests.post(f"{ogc}/collections/building_permits/items",
                           json=permit("T-WRONG/2026"), headers=headers(tokens["staff"]),
                           timeout=30)
    assert answer.status_code == 400, answer.text
    assert "building_permits takes MULTIPOLYGON, not POINT" in answer.json()["description"]
    assert stored(demo_url, "SELECT count(*) FROM building_permits WHERE "
                            "permit_number = 'T-WRONG/2026'") == [(0,)]


def test_staff_create_read_replace_and_delete_a_permit(ogc, tokens, demo_url, cleanup):
    cleanup.append("T-1/2026")
    items = f"{ogc}/collections/building_permit_sites/items"
    created = requests.post(items, json=permit("T-1/2026"), headers=headers(tokens["staff"]),
                            timeout=30)
    assert created.status_code == 201, created.text
    location = created.headers["Location"]
    assert location.startswith(items + "/")
    read = requests.get(location, params={"f": "json"}, timeout=30).json()
    assert read["properties"]["permit_number"] == "T-1/2026"
    assert read["geometry"]["coordinates"] == pytest.approx(OLD_TOWN, abs=1e-7)
    assert stored(demo_url, "SELECT jurisdiction_id FROM building_permits WHERE "
                            "permit_number = 'T-1/2026'") == [("rethymno",)]

    # replace, in Greek Grid coordinates: stored as sent, to the centimetre
    replacement = permit("T-1/2026", [543000.12, 3914000.34], floors=3, status="completed")
    replaced = requests.put(location, json=replacement, timeout=30,
                            headers=headers(tokens["staff"], **{"Content-Crs": f"<{CRS2100}>"}))
    assert replaced.status_code == 204, replaced.text
    read = requests.get(location, params={"f": "json", "crs": CRS2100}, timeout=30).json()
    assert read["geometry"]["coordinates"] == pytest.approx([543000.12, 3914000.34], abs=0.005)
    assert read["properties"]["floors"] == 3 and read["properties"]["status"] == "completed"

    deleted = requests.delete(location, headers=headers(tokens["staff"]), timeout=30)
    assert deleted.status_code == 200
    assert requests.get(location, params={"f": "json"}, timeout=30).status_code == 404
    assert requests.delete(location, headers=headers(tokens["staff"]), timeout=30
                           ).status_code == 404


@pytest.mark.parametrize("who, status", [(None, 401), ("bogus-token", 401), ("citizen", 403)])
def test_only_staff_may_write(ogc, tokens, demo_url, who, status):
    token = tokens.get(who, who)
    sent = {"Content-Type": GEOJSON} if token is None else headers(token)
    items = f"{ogc}/collections/building_permits/items"
    before = stored(demo_url, "SELECT count(*), max(id) FROM building_permits")
    one = stored(demo_url, "SELECT id FROM building_permits ORDER BY id LIMIT 1")[0][0]
    answers = [requests.post(items, json=permit("T-2/2026"), headers=sent, timeout=30),
               requests.put(f"{items}/{one}", json=permit("T-2/2026"), headers=sent, timeout=30),
               requests.delete(f"{items}/{one}", headers=sent, timeout=30)]
    assert [a.status_code for a in answers] == [status] * 3
    if status == 401:
        assert all(a.headers["WWW-Authenticate"].startswith("Bearer") for a in answers)
    assert stored(demo_url, "SELECT count(*), max(id) FROM building_permits") == before


def test_a_revoked_token_no_longer_writes(ogc, demo_url):
    token = dimos("token", "create", "test-revoked", "--jurisdiction", "rethymno",
                  url=demo_url).stdout.strip()
    assert dimos("token", "revoke", "test-revoked", url=demo_url).returncode == 0
    answer = requests.post(f"{ogc}/collections/building_permits/items", json=permit("T-3/2026"),
                           headers=headers(token), timeout=30)
    assert answer.status_code == 401 and "revoked" in answer.json()["description"]


def test_reads_and_filter_posts_stay_public(ogc):
    assert requests.get(f"{ogc}/collections/building_permits/items", params={"f": "json"},
                        timeout=30).status_code == 200


@pytest.mark.parametrize("change, status, words", [
    ({"floors": 99}, 400, "floors: at most 60"),
    ({"status": "approved"}, 400, "status: 'approved' is not one of"),
    ({"kaek": "12"}, 400, "kaek: must match"),
    ({"floors": "two"}, 400, "floors: a integer"),
    ({"issue_date": "2026-13-01"}, 400, "issue_date"),
    ({"permit_type": None}, 400, "permit_type: required"),
    ({"colour": "red"}, 400, "colour: not a property"),
    ({"geometry": {"type": "Point", "coordinates": [23.7, 37.9]}}, 400, "outside every"),
    ({"geometry": {"type": "LineString", "coordinates": [OLD_TOWN, [24.48, 35.37]]}}, 400,
     "not LINESTRING"),
    ({"geometry": {"type": "Polygon", "coordinates": [[[24.47, 35.36], [24.48, 35.37],
                                                       [24.48, 35.36], [24.47, 35.37],
                                                       [24.47, 35.36]]]}}, 400, "Self-intersection"),
    ({"geometry": {"type": "Point", "coordinates": "here"}}, 400, "geometry"),
    ({"body": "{not json"}, 400, "not JSON"),
    ({"permit_number": "EXISTING"}, 409, "permit_number: a feature of building_permit_sites"),
])
def test_a_bad_replacement_is_refused_and_changes_nothing(ogc, tokens, demo_url, change, status,
                                                          words):
    # a polygon replaces a parcel permit, anything else a point one: each collection one type
    polygon = change.get("geometry", {}).get("type") == "Polygon"
    collection, kind = ("building_permits", "MULTIPOLYGON") if polygon else \
        ("building_permit_sites", "POINT")
    (feature_id, number, existing), = stored(demo_url, """
        SELECT a.id, a.permit_number, b.permit_number FROM building_permits a, building_permits b
        WHERE a.id < b.id AND a.jurisdiction_id = b.jurisdiction_id
          AND GeometryType(a.geom) = %s ORDER BY a.id, b.id LIMIT 1""", (kind,))
    before = stored(demo_url, "SELECT building_permits::text, ST_AsEWKB(geom) FROM "
                              "building_permits WHERE id = %s", (feature_id,))
    feature = permit(number)
    change = dict(change)
    if "geometry" in change:
        feature["geometry"] = change.pop("geometry")
    if change.get("permit_number") == "EXISTING":
        change["permit_number"] = existing
    feature["properties"].update(change)
    body = change.pop("body", None)
    sent = dict(data=body) if body else dict(json=feature)
    answer = requests.put(f"{ogc}/collections/{collection}/items/{feature_id}",
                          headers=headers(tokens["staff"]), timeout=30, **sent)
    assert answer.status_code == status, answer.text
    assert words in answer.json()["description"]
    assert stored(demo_url, "SELECT building_permits::text, ST_AsEWKB(geom) FROM "
                            "building_permits WHERE id = %s", (feature_id,)) == before


def test_personal_data_cannot_be_written_through_the_ogc_api(ogc, tokens):
    request = {"type": "Feature", "geometry": {"type": "Point", "coordinates": OLD_TOWN},
               "properties": {"reporter_email": "someone@example.gr"}}
    answer = requests.post(f"{ogc}/collections/service_requests/items", json=request,
                           headers=headers(tokens["staff"]), timeout=30)
    assert answer.status_code == 400
    assert "personal data" in answer.json()["description"]


def test_layers_staff_do_not_edit_refuse_writes(ogc, tokens):
    assert requests.get(f"{ogc}/collections/roads/items/1", timeout=30).status_code == 200
    answer = requests.delete(f"{ogc}/collections/roads/items/1", headers=headers(tokens["staff"]),
                             timeout=30)
    assert answer.status_code == 400 and "not editable" in answer.json()["description"]


def test_editable_collections_are_the_catalogue_s(ogc):
    for layer in layers.CATALOGUE:
        allowed = requests.options(f"{ogc}/collections/{layer.id}/items", timeout=30)
        assert ("POST" in allowed.headers["Allow"]) == layer.editable, layer.id
    assert {layer.id for layer in layers.CATALOGUE if layer.editable} == {
        "zoning", "building_permits", "settlements", "service_requests", "parking_bays",
        "wifi_access_points"}


def test_a_zone_edited_through_the_api_is_never_served_stale(ogc, tokens, demo_url):
    from tests.test_ogc_tiles import OLD_TOWN as TOWN
    from tests.test_ogc_tiles import decode, fetch, tile_of

    z, x, y = tile_of(*TOWN, 15)
    zone = decode(fetch(ogc, "zoning", z, x, y).content)["zoning"]["features"][0]["properties"]
    (feature_id,), = stored(demo_url, "SELECT id FROM zoning WHERE zone_id = %s",
                            (zone["zone_id"],))
    item = f"{ogc}/collections/zoning/items/{feature_id}"
    original = requests.get(item, params={"f": "json", "crs": CRS2100}, timeout=30).json()
    edited = {"type": "Feature", "geometry": original["geometry"],
              "properties": {**original["properties"], "building_coefficient": 7.7}}
    crs = {"Content-Crs": f"<{CRS2100}>"}
    try:
        answer = requests.put(item, json=edited, headers=headers(tokens["staff"], **crs),
                              timeout=30)
        assert answer.status_code == 204, answer.text
        after = decode(fetch(ogc, "zoning", z, x, y).content)["zoning"]["features"]
        assert [f["properties"]["building_coefficient"] for f in after
                if f["properties"]["zone_id"] == zone["zone_id"]] == [7.7]
    finally:
        restored = {"type": "Feature", "geometry": original["geometry"],
                    "properties": original["properties"]}
        requests.put(item, json=restored, headers=headers(tokens["staff"], **crs), timeout=30)
