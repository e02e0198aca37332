"""The free-space signs' feed (/api/parking/signs) over the demo's Rethymno, its counts coming
through the sensors' own HTTP ingest, and the drive to a car park with free spaces
(the `parking-drive-to-car-park` process), on the real street network and database."""
from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
import requests
from pyproj import Transformer

from accounts.tokens import issue_token
from gis import db, sensors
from tests.helpers import rows
from tests.test_web_map import Visit

J = "rethymno"
TO_METRES = Transformer.from_crs(4326, 2100, always_xy=True)
# where the Heraklion road comes into town (the demo's sign PS-E1 stands near it)
EAST_OF_TOWN = (24.4851, 35.3644)


@pytest.fixture(scope="module")
def gateway(demo_url):
    conn = db.connect(demo_url)
    with conn, conn.cursor() as cur:
        token = issue_token(cur, "signs-gateway", "gateway", J)
    conn.close()
    return {"Authorization": f"Bearer {token}"}


def _count(live_server, gateway, lot_id: str, free: int) -> None:
    """A car park's counter reports ``free`` spaces, now, through the gateways' ingest."""
    answer = requests.post(f"{live_server}/api/sensors/readings", headers=gateway, timeout=30,
                           json={"jurisdiction_id": J, "readings": [
                               {"sensor_id": lot_id, "ts": datetime.now(UTC).isoformat(),
                                "free": free}]})
    assert answer.status_code == 200 and answer.json()["stored"] == 1, answer.text


def _all_empty(live_server, gateway, demo_url) -> dict[str, int]:
    """Every car park's counter reports it empty (all its spaces free): their capacities."""
    capacities = dict(rows(demo_url, "SELECT lot_id, capacity FROM parking_lots "
                                     "WHERE jurisdiction_id = %s", (J,)))
    for lot_id, capacity in capacities.items():
        _count(live_server, gateway, lot_id, capacity)
    return capacities


def _signs(live_server, **params) -> list[dict]:
    answer = requests.get(f"{live_server}/api/parking/signs", params=params, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["signs"]


def _metres(lon: float, lat: float) -> tuple[float, float]:
    return TO_METRES.transform(lon, lat)


def test_each_car_park_has_its_sign_and_an_entrance_sign_lists_all_nearest_by_car_first(
        live_server, demo_url):
    signs = _signs(live_server)
    lots = dict(rows(demo_url, "SELECT lot_id, free_spaces FROM parking_lots "
                               "WHERE jurisdiction_id = %s", (J,)))
    at_car_parks = [s for s in signs if s["sign_type"] == "car_park"]
    entrances = [s for s in signs if s["sign_type"] == "entrance"]
    assert len(at_car_parks) == len(lots) == 7 and len(entrances) == 3
    for sign in at_car_parks:
        (line,) = sign["lines"]
        assert sign["sign_id"] == f"PS-{line['lot_id']}"
        assert line["free_spaces"] == lots[line["lot_id"]]
    for sign in entrances:
        assert sorted(line["lot_id"] for line in sign["lines"]) == sorted(lots)
        minutes = [line["drive_min"] for line in sign["lines"]]
        assert minutes == sorted(minutes) and minutes[0] >= 1
    # the three entrances are apart: each sees the car parks in its own order
    assert len({tuple(line["lot_id"] for line in s["lines"]) for s in entrances}) > 1


def test_a_sign_shows_the_counters_figure_full_or_dashes_in_the_readers_language(
        live_server, demo_url, gateway):
    _count(live_server, gateway, "CP-1", 0)
    _count(live_server, gateway, "CP-2", 42)
    # a counter silent for two hours: the ingest's silence check empties its free spaces
    conn = db.connect(demo_url)
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE sensors SET observed_at = now() - interval '2 hours' "
                    "WHERE jurisdiction_id = %s AND sensor_id = 'CP-3'", (J,))
        sensors.mark_silent(cur, 3600)
    conn.close()
    shown = {s["lines"][0]["lot_id"]: s["lines"][0] for s in _signs(live_server)
             if s["sign_type"] == "car_park"}
    assert (shown["CP-1"]["text"], shown["CP-1"]["state"]) == ("ΠΛΗΡΕΣ", "full")
    assert (shown["CP-2"]["text"], shown["CP-2"]["state"]) == ("42", "free")
    assert (shown["CP-3"]["text"], shown["CP-3"]["state"]) == ("--", "unknown")
    (english,) = _signs(live_server, sign_id="PS-E1", lang="en")
    texts = {line["lot_id"]: line["text"] for line in english["lines"]}
    assert (texts["CP-1"], texts["CP-2"], texts["CP-3"]) == ("FULL", "42", "--")


def test_the_feed_is_cacheable_for_seconds_and_revalidates_to_a_304_until_a_count_changes(
        live_server, gateway):
    url = f"{live_server}/api/parking/signs"
    first = requests.get(url, params={"sign_id": "PS-CP-4"}, timeout=30)
    assert first.headers["Cache-Control"] == "public, max-age=10"
    tag = first.headers["ETag"]
    same = requests.get(url, params={"sign_id": "PS-CP-4"}, timeout=30,
                        headers={"If-None-Match": tag})
    assert same.status_code == 304 and same.content == b""
    free = first.json()["signs"][0]["lines"][0]["free_spaces"]
    _count(live_server, gateway, "CP-4", 0 if free else 1)
    changed = requests.get(url, params={"sign_id": "PS-CP-4"}, timeout=30,
                           headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    assert changed.json()["signs"][0]["lines"][0]["free_spaces"] == (0 if free else 1)


@pytest.mark.parametrize("params, status, named", [
    ({"sign_id": "PS-NOPE"}, 404, "sign_id"),
    ({"lang": "fr"}, 400, "lang"),
    ({"jurisdiction_id": "atlantis"}, 400, "jurisdiction_id"),
])
def test_a_wrong_parameter_names_itself(live_server, params, status, named):
    answer = requests.get(f"{live_server}/api/parking/signs", params=params, timeout=30)
    assert answer.status_code == status, answer.text
    assert answer.json()["description"].startswith(f"{named}:")


def _drive(live_server, **inputs) -> requests.Response:
    return requests.post(f"{live_server}/ogc/processes/parking-drive-to-car-park/execution",
                         json={"inputs": inputs}, timeout=60)


def _point(lon_lat) -> dict:
    return {"type": "Point", "coordinates": list(lon_lat)}


def test_a_driver_is_routed_along_the_streets_to_the_nearest_car_parks_with_room(
        live_server, demo_url, gateway):
    capacities = _all_empty(live_server, gateway, demo_url)
    _count(live_server, gateway, "CP-3", 2)
    answer = _drive(live_server, location=_point(EAST_OF_TOWN), count=7)
    assert answer.status_code == 200, answer.text
    routes = answer.json()["features"]
    assert [r["properties"]["drive_s"] for r in routes] == sorted(
        r["properties"]["drive_s"] for r in routes)
    assert len(routes) == 7
    origin = _metres(*EAST_OF_TOWN)
    for route in routes:
        line = route["geometry"]["coordinates"]
        assert route["geometry"]["type"] in ("LineString", "MultiLineString")
        car_park = _metres(*route["properties"]["car_park"])
        # the streets are never shorter than the straight line, and the route runs between
        # the driver's street and the car park's
        assert route["properties"]["drive_m"] >= math.dist(origin, car_park) - 1
        ends = line if route["geometry"]["type"] == "LineString" else sum(line, [])
        assert min(math.dist(origin, _metres(*c)) for c in ends) < 300
        assert min(math.dist(car_park, _metres(*c)) for c in ends) < 300
    # at least 3 free spaces: the car park with 2 is left out
    roomy = _drive(live_server, location=_point(EAST_OF_TOWN), count=7, min_free=3).json()
    assert sorted(r["id"] for r in roomy["features"]) == sorted(
        r["id"] for r in routes if r["id"] != "CP-3")
    more_than_any = max(capacities.values()) + 1
    assert _drive(live_server, location=_point(EAST_OF_TOWN), min_free=more_than_any).json()[
        "features"] == []


def test_the_drive_and_the_entrance_sign_at_the_same_place_agree(live_server, gateway, demo_url):
    _all_empty(live_server, gateway, demo_url)
    (sign,) = _signs(live_server, sign_id="PS-E1")
    routes = _drive(live_server, location=_point((sign["lon"], sign["lat"])),
                    count=7).json()["features"]
    by_car = {r["id"]: r["properties"]["drive_s"] / 60 for r in routes}
    assert sorted(by_car) == sorted(line["lot_id"] for line in sign["lines"])
    for line in sign["lines"]:
        assert abs(line["drive_min"] - by_car[line["lot_id"]]) <= 1


@pytest.mark.parametrize("inputs, named", [
    ({}, "location"),
    ({"location": _point((23.7275, 37.9838))}, "location"),  # Athens: not served here
    ({"location": _point(EAST_OF_TOWN), "count": 0}, "count"),
    ({"location": _point(EAST_OF_TOWN), "min_free": 1.5}, "min_free"),
    ({"location": _point(EAST_OF_TOWN), "min_free": "many"}, "min_free"),
])
def test_a_wrong_input_to_the_drive_is_a_400_naming_it(live_server, inputs, named):
    answer = _drive(live_server, **inputs)
    assert answer.status_code == 400, answer.text
    assert named in answer.json()["description"]


def test_a_citizen_sees_the_routes_to_car_parks_with_room_and_their_minutes_by_car(
        browser, live_server, demo_url, gateway):
    _all_empty(live_server, gateway, demo_url)
    visit = Visit(browser, live_server)
    page = visit.page
    try:
        page.click("#tab-citizen")
        visit.click_map_at(*EAST_OF_TOWN)
        lines_drawn = """() => { let lines = 0; dimos.map.eachLayer((l) => {
            if (l instanceof L.Polyline && !(l instanceof L.Polygon)) lines += 1; });
            return lines; }"""
        before = page.evaluate(lines_drawn)
        page.click("[data-nearest=lots]")
        page.wait_for_selector("#nearest li", timeout=15_000)
        listed = page.locator("#nearest li").all_inner_texts()
        assert len(listed) == 5 and all("με το αυτοκίνητο" in line for line in listed), listed
        # each route drawn as a line on the map
        assert page.evaluate(lines_drawn) == before + 5
        assert visit.errors == []
    finally:
        visit.context.close()
