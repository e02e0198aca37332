"""OGC API Features Part 4 `update` and optimistic locking: a feature's GET carries a strong
ETag of its stored state; PATCH (JSON Merge Patch), PUT and DELETE with a stale If-Match get
412 and change nothing; with the current one they succeed and the ETag changes; of two
planners holding the same version exactly one wins."""
from __future__ import annotations

import threading
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import pytest
import requests

from gis import db
from tests.helpers import add_municipality, rows, token

GEOJSON = "application/geo+json"
MERGE_PATCH = "application/merge-patch+json"
OLD_TOWN = [24.4747, 35.3676]
PERMIT_SQL = "SELECT floors, status, ST_AsText(geom) FROM building_permits WHERE id = %s"


@pytest.fixture(scope="module")
def ogc(live_server):
    return f"{live_server}/ogc"


@pytest.fixture(scope="module")
def planners(demo_url):
    # Chania far west of the demo's Rethymno, so its planner holds no Rethymno feature
    add_municipality(demo_url, "chania", "Chania", 500_000, 3_920_000, size_m=10_000)
    return {town: token(demo_url, f"lock-planner-{town}", "planner", town)
            for town in ("rethymno", "chania")}


def auth(key, media=MERGE_PATCH, **extra):
    return {"Authorization": f"Bearer {key}", "Content-Type": media, **extra}


_serial = iter(range(1, 10_000))


@pytest.fixture
def permit(ogc, planners, demo_url):
    """A permit of its own: its item URL and its id; deleted afterwards."""
    number = f"L-{next(_serial)}/2026"
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": OLD_TOWN},
               "properties": {"permit_number": number, "issue_date": "2026-11-02",
                              "permit_type": "new_building", "status": "issued",
                              "kaek": "491157393460", "floors": 2}}
    created = requests.post(f"{ogc}/collections/building_permit_sites/items", json=feature,
                            headers=auth(planners["rethymno"], GEOJSON), timeout=30)
    assert created.status_code == 201, created.text
    location = created.headers["Location"]
    yield location, int(location.rsplit("/", 1)[1])
    conn = db.connect(demo_url)
    with conn, conn.cursor() as cur:
        cur.execute("DELETE FROM building_permits WHERE permit_number = %s", (number,))
    conn.close()


def etag_of(location, **params):
    answer = requests.get(location, params={"f": "json", **params}, timeout=30)
    assert answer.status_code == 200, answer.text
    etag = answer.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    return etag


def test_the_etag_is_the_stored_state_whatever_the_format_or_crs(ogc, permit, planners):
    location, _ = permit
    etag = etag_of(location)
    assert etag_of(location, crs="http://www.opengis.net/def/crs/EPSG/0/2100") == etag
    assert requests.get(location, params={"f": "json"}, headers={"If-None-Match": etag},
                        timeout=30).status_code == 304
    # a write that stores the same values is no change
    same = requests.patch(location, json={"properties": {"floors": 2}}, timeout=30,
                          headers=auth(planners["rethymno"]))
    assert same.status_code == 204, same.text
    assert same.headers["ETag"] == etag == etag_of(location)


def test_a_stale_if_match_on_patch_is_412_and_the_current_one_succeeds(ogc, permit, planners,
                                                                      demo_url):
    location, feature_id = permit
    first = etag_of(location)
    changed = requests.patch(location, json={"properties": {"floors": 3}}, timeout=30,
                             headers=auth(planners["rethymno"], **{"If-Match": first}))
    assert changed.status_code == 204, changed.text
    second = changed.headers["ETag"]
    assert second != first and etag_of(location) == second
    before = rows(demo_url, PERMIT_SQL, (feature_id,))
    stale = requests.patch(location, json={"properties": {"floors": 5}}, timeout=30,
                           headers=auth(planners["rethymno"], **{"If-Match": first}))
    assert stale.status_code == 412, stale.text
    assert "changed since" in stale.json()["description"] and second in stale.json()["description"]
    assert stale.headers["ETag"] == second
    assert rows(demo_url, PERMIT_SQL, (feature_id,)) == before == [(3, "issued", before[0][2])]


def test_a_merge_patch_removes_with_null_replaces_geometry_and_keeps_the_rest(ogc, permit,
                                                                             planners, demo_url):
    location, feature_id = permit
    moved = [24.4750, 35.3680]
    answer = requests.patch(location, timeout=30, headers=auth(planners["rethymno"]),
                            json={"geometry": {"type": "Point", "coordinates": moved},
                                  "properties": {"status": "completed", "floors": None}})
    assert answer.status_code == 204, answer.text
    read = requests.get(location, params={"f": "json"}, timeout=30).json()
    assert read["geometry"]["coordinates"] == pytest.approx(moved, abs=1e-7)
    assert read["properties"]["status"] == "completed"
    assert read["properties"]["floors"] is None
    assert read["properties"]["permit_number"].startswith("L-")


@pytest.mark.parametrize("patch, words", [
    ({"properties": {"floors": 99}}, "floors: at most 60"),
    ({"properties": {"status": None}}, "status: required"),
    ({"properties": {"owner": "x"}}, "owner: not a property"),
    ({"id": 1}, "id: a feature's id cannot change"),
    ({"geometry": {"type": "LineString", "coordinates": [OLD_TOWN, [24.48, 35.37]]}},
     "takes POINT"),
    ({"geometry": None}, "geometry: a GeoJSON geometry object"),
    ([1, 2], "body: "),
])
def test_a_patch_that_breaks_a_rule_is_400_and_changes_nothing(ogc, permit, planners, demo_url,
                                                               patch, words):
    location, feature_id = permit
    if patch == {"id": 1}:
        patch = {"id": feature_id + 1}
    before = rows(demo_url, PERMIT_SQL, (feature_id,))
    answer = requests.patch(location, json=patch, headers=auth(planners["rethymno"]), timeout=30)
    assert answer.status_code == 400, answer.text
    assert words in answer.json()["description"]
    assert rows(demo_url, PERMIT_SQL, (feature_id,)) == before


def test_patch_takes_only_merge_patches_of_features_that_exist(ogc, permit, planners):
    location, feature_id = permit
    wrong = requests.patch(location, json={"properties": {}}, timeout=30,
                           headers=auth(planners["rethymno"], "application/json-patch+json"))
    assert wrong.status_code == 415 and MERGE_PATCH in wrong.json()["description"]
    missing = requests.patch(location.rsplit("/", 1)[0] + "/999999999", json={}, timeout=30,
                             headers=auth(planners["rethymno"]))
    assert missing.status_code == 404
    anonymous = requests.patch(location, json={}, headers={"Content-Type": MERGE_PATCH},
                               timeout=30)
    assert anonymous.status_code == 401


def test_put_and_delete_with_a_stale_if_match_are_412_and_with_the_current_succeed(
        ogc, permit, planners, demo_url):
    location, feature_id = permit
    stale = '"0123456789abcdef0123456789abcdef"'
    feature = requests.get(location, params={"f": "json"}, timeout=30).json()
    feature["properties"]["floors"] = 4
    replacement = {"type": "Feature", "geometry": feature["geometry"],
                   "properties": {k: v for k, v in feature["properties"].items() if k != "id"}}
    key = planners["rethymno"]
    before = rows(demo_url, PERMIT_SQL, (feature_id,))
    refused = requests.put(location, json=replacement, timeout=30,
                           headers=auth(key, GEOJSON, **{"If-Match": stale}))
    assert refused.status_code == 412, refused.text
    assert rows(demo_url, PERMIT_SQL, (feature_id,)) == before
    current = etag_of(location)
    replaced = requests.put(location, json=replacement, timeout=30,
                            headers=auth(key, GEOJSON, **{"If-Match": current}))
    assert replaced.status_code == 204, replaced.text
    assert replaced.headers["ETag"] not in (current, None) and rows(
        demo_url, "SELECT floors FROM building_permits WHERE id = %s", (feature_id,)) == [(4,)]

    staff = token(demo_url, "lock-staff", "staff")  # deleting is staff's
    gone = requests.delete(location, headers=auth(staff, GEOJSON, **{"If-Match": current}),
                           timeout=30)
    assert gone.status_code == 412, gone.text
    assert rows(demo_url, "SELECT count(*) FROM building_permits WHERE id = %s",
                (feature_id,)) == [(1,)]
    gone = requests.delete(location, timeout=30,
                           headers=auth(staff, GEOJSON, **{"If-Match": etag_of(location)}))
    assert gone.status_code == 200, gone.text
    assert rows(demo_url, "SELECT count(*) FROM building_permits WHERE id = %s",
                (feature_id,)) == [(0,)]


def test_of_two_planners_patching_the_same_version_exactly_one_wins(ogc, permit, planners,
                                                                    demo_url):
    location, feature_id = permit
    etag = etag_of(location)
    start = threading.Barrier(2)
    answers = {}

    def planner(floors):
        start.wait(timeout=30)
        answers[floors] = requests.patch(
            location, json={"properties": {"floors": floors}}, timeout=30,
            headers=auth(planners["rethymno"], **{"If-Match": etag})).status_code

    threads = [threading.Thread(target=planner, args=(n,)) for n in (5, 6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(answers.values()) == [204, 412], answers
    (winner,) = [floors for floors, status in answers.items() if status == 204]
    assert rows(demo_url, "SELECT floors FROM building_permits WHERE id = %s",
                (feature_id,)) == [(winner,)]


def test_a_chania_planner_patching_a_rethymno_zone_is_403_naming_it(ogc, planners, demo_url):
    (zone_id, coefficient), = rows(demo_url, "SELECT id, building_coefficient FROM zoning "
                                             "ORDER BY id LIMIT 1")
    item = f"{ogc}/collections/zoning/items/{zone_id}"
    answer = requests.patch(item, json={"properties": {"building_coefficient": 9.9}}, timeout=30,
                            headers=auth(planners["chania"], **{"If-Match": etag_of(item)}))
    assert answer.status_code == 403, answer.text
    assert "'rethymno'" in answer.json()["description"]
    assert rows(demo_url, "SELECT building_coefficient FROM zoning WHERE id = %s",
                (zone_id,)) == [(coefficient,)]


def test_conformance_declares_part_4_update_and_both_kinds_of_locking(ogc):
    """What this module proves is declared (draft 20-002's URIs)."""
    part4 = "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/"
    served = set(requests.get(f"{ogc}/conformance", params={"f": "json"},
                              timeout=30).json()["conformsTo"])
    assert {part4 + "create-replace-delete", part4 + "update", part4 + "optimistic-locking-etags",
            part4 + "optimistic-locking-timestamps"} <= served


def modified_of(location):
    answer = requests.get(location, params={"f": "json"}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.headers["Last-Modified"]


def test_writes_with_a_stale_if_unmodified_since_are_412_and_with_the_last_modified_succeed(
        ogc, permit, planners, demo_url):
    location, feature_id = permit
    key = planners["rethymno"]
    held = modified_of(location)
    assert parsedate_to_datetime(held) <= datetime.now(timezone.utc)
    patched = requests.patch(location, json={"properties": {"floors": 3}}, timeout=30,
                             headers=auth(key, **{"If-Unmodified-Since": held}))
    assert patched.status_code == 204, patched.text
    # the write names the time it stored, later than the one held, and a GET agrees
    now = patched.headers["Last-Modified"]
    assert parsedate_to_datetime(now) > parsedate_to_datetime(held) and modified_of(location) == now

    before = rows(demo_url, PERMIT_SQL, (feature_id,))
    stale = requests.patch(location, json={"properties": {"floors": 5}}, timeout=30,
                           headers=auth(key, **{"If-Unmodified-Since": held}))
    assert stale.status_code == 412, stale.text
    assert stale.headers["Last-Modified"] == now and stale.headers["ETag"] == etag_of(location)
    feature = requests.get(location, params={"f": "json"}, timeout=30).json()
    replacement = {"type": "Feature", "geometry": feature["geometry"],
                   "properties": {**{k: v for k, v in feature["properties"].items()
                                     if k != "id"}, "floors": 6}}
    refused = requests.put(location, json=replacement, timeout=30,
                           headers=auth(key, GEOJSON, **{"If-Unmodified-Since": held}))
    assert refused.status_code == 412, refused.text
    staff = token(demo_url, "lock-staff", "staff")
    kept = requests.delete(location, timeout=30,
                           headers=auth(staff, GEOJSON, **{"If-Unmodified-Since": held}))
    assert kept.status_code == 412, kept.text
    assert rows(demo_url, PERMIT_SQL, (feature_id,)) == before == [(3, "issued", before[0][2])]

    replaced = requests.put(location, json=replacement, timeout=30,
                            headers=auth(key, GEOJSON, **{"If-Unmodified-Since": now}))
    assert replaced.status_code == 204, replaced.text
    gone = requests.delete(location, timeout=30, headers=auth(
        staff, GEOJSON, **{"If-Unmodified-Since": replaced.headers["Last-Modified"]}))
    assert gone.status_code == 200, gone.text
    assert rows(demo_url, "SELECT count(*) FROM building_permits WHERE id = %s",
                (feature_id,)) == [(0,)]


def test_changes_within_one_second_carry_different_times(ogc, permit, planners):
    """HTTP dates count whole seconds: each change moves the time on by one at least, so a
    client holding the time before a change made in the same second is still refused."""
    location, _ = permit
    key = planners["rethymno"]
    times = [modified_of(location)]
    for floors in (3, 4, 5):
        answer = requests.patch(location, json={"properties": {"floors": floors}}, timeout=30,
                                headers=auth(key))
        assert answer.status_code == 204, answer.text
        times.append(answer.headers["Last-Modified"])
    moments = [parsedate_to_datetime(t) for t in times]
    assert moments == sorted(set(moments)), times
    for held in times[:-1]:
        stale = requests.patch(location, json={"properties": {"floors": 9}}, timeout=30,
                               headers=auth(key, **{"If-Unmodified-Since": held}))
        assert stale.status_code == 412, (held, stale.text)


def test_a_write_that_stores_the_same_values_keeps_the_time(ogc, permit, planners):
    location, _ = permit
    held = modified_of(location)
    same = requests.patch(location, json={"properties": {"floors": 2}}, timeout=30,
                          headers=auth(planners["rethymno"], **{"If-Unmodified-Since": held}))
    assert same.status_code == 204, same.text
    assert same.headers["Last-Modified"] == held == modified_of(location)


@pytest.mark.parametrize("value", ["yesterday", "2026-12-02T10:00:00Z", ""])
def test_an_if_unmodified_since_that_is_no_http_date_is_400_and_writes_nothing(
        ogc, permit, planners, demo_url, value):
    location, feature_id = permit
    before = rows(demo_url, PERMIT_SQL, (feature_id,))
    answer = requests.patch(location, json={"properties": {"floors": 7}}, timeout=30,
                            headers=auth(planners["rethymno"], **{"If-Unmodified-Since": value}))
    assert answer.status_code == 400, answer.text
    assert "If-Unmodified-Since" in answer.json()["description"]
    assert "HTTP date" in answer.json()["description"]
    assert rows(demo_url, PERMIT_SQL, (feature_id,)) == before


def test_if_match_wins_over_if_unmodified_since(ogc, permit, planners):
    """RFC 9110 13.1.4: with If-Match, If-Unmodified-Since is not evaluated."""
    location, _ = permit
    old_date = "Mon, 01 Jan 2001 00:00:00 GMT"
    answer = requests.patch(location, json={"properties": {"floors": 3}}, timeout=30,
                            headers=auth(planners["rethymno"], **{
                                "If-Match": etag_of(location), "If-Unmodified-Since": old_date}))
    assert answer.status_code == 204, answer.text
    alone = requests.patch(location, json={"properties": {"floors": 4}}, timeout=30,
                           headers=auth(planners["rethymno"], **{"If-Unmodified-Since": old_date}))
    assert alone.status_code == 412, alone.text


def test_a_feature_of_an_editable_layer_has_its_own_last_modified(ogc, permit, planners,
                                                                  demo_url):
    """A feature's Last-Modified is its own change, not the layer's latest."""
    location, _ = permit
    held = modified_of(location)
    other = requests.post(f"{ogc}/collections/building_permit_sites/items", timeout=30,
                          headers=auth(planners["rethymno"], GEOJSON), json={
                              "type": "Feature",
                              "geometry": {"type": "Point", "coordinates": [24.475, 35.368]},
                              "properties": {"permit_number": f"L-{next(_serial)}/2026",
                                             "issue_date": "2026-11-03", "status": "issued",
                                             "permit_type": "new_building",
                                             "kaek": "491157393461", "floors": 1}})
    assert other.status_code == 201, other.text
    try:
        assert modified_of(location) == held
        assert requests.patch(location, json={"properties": {"floors": 3}}, timeout=30,
                              headers=auth(planners["rethymno"], **{
                                  "If-Unmodified-Since": held})).status_code == 204
    finally:
        staff = token(demo_url, "lock-staff", "staff")
        requests.delete(other.headers["Location"], headers=auth(staff, GEOJSON), timeout=30)
