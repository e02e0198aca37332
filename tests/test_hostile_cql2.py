"""CQL2 filters whose types do not fit the queryables: a text property compared with a number,
LIKE on a number, BETWEEN/IN with the wrong types, numbers out of range, CASEI on a number,
negative distances, unknown functions. On every path that takes a filter — OGC items (text
and JSON), /api/export, `dimos export --filter` and the `nearest` process — each is a 400
naming the property and both types, and no body carries SQL (issue 15, class 4)."""
from __future__ import annotations

import json

import pytest
import requests

from tests.helpers import dimos

POINT = "POINT(24.4747 35.3676)"
GEOJSON_POINT = {"type": "Point", "coordinates": [24.4747, 35.3676]}
SQL_WORDS = ("SELECT ", "ERROR:", "operator does not exist", "psycopg2", "LINE ", "line ")

#: (CQL2 text, CQL2 JSON or None where JSON cannot say it, words the message must hold)
MISMATCHES = [
    ("zone_id = 5", {"op": "=", "args": [{"property": "zone_id"}, 5]},
     ("zone_id", "text", "number")),
    ("building_coefficient > 'abc'", {"op": ">", "args": [{"property": "building_coefficient"},
                                                          "abc"]},
     ("building_coefficient", "number", "text")),
    ("zone_id = true", {"op": "=", "args": [{"property": "zone_id"}, True]},
     ("zone_id", "text", "boolean")),
    ("max_floors = true", {"op": "=", "args": [{"property": "max_floors"}, True]},
     ("max_floors", "integer", "boolean")),
    ("building_coefficient BETWEEN 'a' AND 'b'",
     {"op": "between", "args": [{"property": "building_coefficient"}, "a", "b"]},
     ("building_coefficient", "number", "text")),
    ("max_floors IN ('a','b')", {"op": "in", "args": [{"property": "max_floors"}, ["a", "b"]]},
     ("max_floors", "integer", "text")),
    ("zone_id LIKE 5", {"op": "like", "args": [{"property": "zone_id"}, 5]},
     ("zone_id", "text", "number")),
    ("max_floors LIKE '1%'", {"op": "like", "args": [{"property": "max_floors"}, "1%"]},
     ("max_floors", "integer", "text")),
    ("valid_from > 'soon'", {"op": ">", "args": [{"property": "valid_from"}, "soon"]},
     ("valid_from", "date", "text")),
    ("zone_id = max_floors", {"op": "=", "args": [{"property": "zone_id"},
                                                  {"property": "max_floors"}]},
     ("zone_id", "max_floors", "text", "integer")),
    ("zone_id = 1e400", None, ("zone_id", "finite")),
    ("building_coefficient < -1e400", None, ("building_coefficient", "finite")),
    ("max_floors = 99999999999999999999", None,  # past bigint (JSON bodies: class 3)
     ("max_floors", "range")),
    ("CASEI(max_floors) = CASEI('a')",
     {"op": "=", "args": [{"op": "casei", "args": [{"property": "max_floors"}]},
                          {"op": "casei", "args": ["a"]}]},
     ("max_floors", "integer", "CASEI")),
    ("ACCENTI(max_floors) = ACCENTI('a')",
     {"op": "=", "args": [{"op": "accenti", "args": [{"property": "max_floors"}]},
                          {"op": "accenti", "args": ["a"]}]},
     ("max_floors", "integer", "ACCENTI")),
    (f"S_DWITHIN(geometry, {POINT}, -100, meters)",
     {"op": "s_dwithin", "args": [{"property": "geometry"}, GEOJSON_POINT, -100, "meters"]},
     ("distance", "negative")),
    ("shout(zone_id) = 'x'", {"op": "=", "args": [{"op": "shout", "args": [{"property": "zone_id"}]},
                                                  "x"]},
     ("shout", "unknown function")),
]
IDS = [text for text, _, _ in MISMATCHES]
#: filters of the same shapes that are right, and must keep working
GOOD = ["zone_id = 'x'", "building_coefficient > 1", "max_floors = 2.0",
        "max_floors BETWEEN 1 AND 3", "max_floors IN (1, 2)", "zone_id LIKE 'GPS%'",
        "valid_from > DATE('2010-01-01')", "valid_from > '2010-01-01'",
        "CASEI(zone_code) = CASEI('Α1')", f"S_DWITHIN(geometry, {POINT}, 100, meters)"]


@pytest.fixture(scope="module")
def ogc(live_server):
    return f"{live_server}/ogc"


def _assert_names_the_mismatch(answer, words):
    assert answer.status_code == 400, (answer.status_code, answer.text[:400])
    text = answer.text
    for forbidden in SQL_WORDS:
        assert forbidden not in text, text[:400]
    description = answer.json()["description"]
    for word in words:
        assert word.lower() in description.lower(), description


@pytest.mark.parametrize("text, as_json, words", MISMATCHES, ids=IDS)
def test_ogc_items_with_a_text_filter(ogc, text, as_json, words):
    answer = requests.get(f"{ogc}/collections/zoning/items",
                          params={"filter": text, "f": "json"}, timeout=60)
    _assert_names_the_mismatch(answer, words)


@pytest.mark.parametrize("text, as_json, words", [m for m in MISMATCHES if m[1]],
                         ids=[m[0] for m in MISMATCHES if m[1]])
def test_ogc_items_with_a_json_filter_in_the_body_and_in_the_query(ogc, text, as_json, words):
    posted = requests.post(f"{ogc}/collections/zoning/items", params={"f": "json"},
                           data=json.dumps(as_json), timeout=60,
                           headers={"Content-Type": "application/query-cql-json"})
    _assert_names_the_mismatch(posted, words)
    asked = requests.get(f"{ogc}/collections/zoning/items", timeout=60, params={
        "filter": json.dumps(as_json), "filter-lang": "cql2-json", "f": "json"})
    _assert_names_the_mismatch(asked, words)


@pytest.mark.parametrize("text, as_json, words", MISMATCHES, ids=IDS)
def test_the_export_endpoint(live_server, text, as_json, words):
    answer = requests.get(f"{live_server}/api/export", timeout=60,
                          params={"layer": "zoning", "filter": text, "format": "geojson"})
    _assert_names_the_mismatch(answer, words)


@pytest.mark.parametrize("text, as_json, words", MISMATCHES, ids=IDS)
def test_the_nearest_process(ogc, text, as_json, words):
    answer = requests.post(f"{ogc}/processes/nearest/execution", timeout=60, json={"inputs": {
        "layer": "zoning", "location": GEOJSON_POINT, "filter": text}})
    _assert_names_the_mismatch(answer, words)


def test_dimos_export_says_what_is_wrong_in_one_line(demo_url, tmp_path):
    done = dimos("export", "zoning", "--filter", "zone_id = 5", "-o", tmp_path / "z.gpkg",
                 url=demo_url)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert "zone_id" in done.stderr and "number" in done.stderr, done.stderr
    assert not (tmp_path / "z.gpkg").exists()


@pytest.mark.parametrize("text", GOOD)
def test_filters_of_the_right_types_still_run(ogc, live_server, text):
    answer = requests.get(f"{ogc}/collections/zoning/items", timeout=60,
                          params={"filter": text, "f": "json", "limit": 5})
    assert answer.status_code == 200, (text, answer.text[:400])
    answer = requests.post(f"{ogc}/processes/nearest/execution", timeout=60, json={"inputs": {
        "layer": "zoning", "location": GEOJSON_POINT, "filter": text}})
    assert answer.status_code == 200, (text, answer.text[:400])


def test_casei_compares_text_without_regard_to_case(ogc):
    def zone_ids(text):
        answer = requests.get(f"{ogc}/collections/zoning/items", timeout=60, params={
            "filter": text, "f": "json", "limit": 1000, "skipGeometry": "true"})
        assert answer.status_code == 200, answer.text[:400]
        return {f["properties"]["zone_id"] for f in answer.json()["features"]}

    exact = zone_ids("zone_id LIKE 'GPS-2004/%'")
    assert exact
    assert zone_ids("CASEI(zone_id) LIKE CASEI('gps-2004/%')") == exact
    assert not zone_ids("zone_id LIKE 'gps-2004/%'")
