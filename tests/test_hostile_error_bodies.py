"""What a 4xx body says: what was wrong and where, in words of our own — never SQL, a Python
exception's text, a traceback or a server path; and a client's mistake is no ERROR in the
server's log (issue 15, class 12)."""
from __future__ import annotations

import json

import pytest
import requests

FORBIDDEN = ("Traceback", "psycopg2", "SELECT ", "ERROR:", "line ", "/work/", "/tmp/",
             "recursion", "float infinity")
POINT = {"type": "Point", "coordinates": [24.4747, 35.3676]}
DEEP_FILTER = "(zone_id = 'x' AND " * 3000 + "zone_id = 'x'" + ")" * 3000
CREW = {"id": "A", "depot": POINT, "shift_start": "2026-11-24T07:00:00+02:00",
        "shift_end": "2026-11-24T15:00:00+02:00", "skills": ["pothole"]}


def _process(name, inputs):
    return ("POST", f"/ogc/processes/{name}/execution", {"json": {"inputs": inputs}})


def _items(**params):
    return ("GET", "/ogc/collections/zoning/items", {"params": {"f": "json", **params}})


#: bad inputs of every kind, each answered with a 4xx
SWEEP = [
    _process("nearest", {"layer": "zoning", "location": POINT,
                         "filter": DEEP_FILTER}),
    _process("nearest", {"layer": "zoning", "location": POINT, "filter": "zone_id = 5"}),
    _process("nearest", {"layer": "zoning", "location": POINT, "filter": "zone_id = = 5"}),
    _process("nearest", {"layer": "zoning", "location": POINT, "filter": 5}),
    _process("nearest", {"layer": "zoning", "location": {"type": "Point",
                                                         "coordinates": [[[[1]]]]}}),
    ("POST", "/ogc/processes/plan-crew-routes/execution", {
        "data": '{"inputs": {"crews": [%s], "priorities": {"x": 1e400}}}' % json.dumps(CREW),
        "headers": {"Content-Type": "application/json"}}),
    _process("plan-crew-routes", {"crews": [CREW], "priorities": {"x": 10 ** 30}}),
    _process("plan-crew-routes", {"crews": [CREW], "service_minutes": {"x": 10 ** 400}}),
    _process("request-clusters", {"filter": "requested_at > 5"}),
    _process("request-clusters", {"min_points": 10 ** 400}),
    _process("planning-report", {"location": POINT, "date": "2024-02-30"}),
    _process("planning-report", {"location": POINT, "radius": 10 ** 400}),
    _items(filter="zone_id = = 5"),
    _items(filter="zone_id = 5"),
    _items(filter=DEEP_FILTER),
    _items(filter="{not json", **{"filter-lang": "cql2-json"}),
    _items(filter="S_INTERSECTS(geometry, POINT(1e400 1))"),
    _items(filter="S_DWITHIN(geometry, POINT(24.47 35.36), 1e400, meters)"),
    _items(filter="zone_id = 'x'", **{"filter-crs": "EPSG:9999"}),
    _items(datetime="../.."),
    _items(offset="99999999999999999999999"),
    _items(bbox="NaN,NaN,NaN,NaN"),
    _items(sortby="nope"),
    ("POST", "/ogc/collections/zoning/items", {
        "data": json.dumps({"op": "=", "args": [{"property": "zone_id"}, 5]}),
        "headers": {"Content-Type": "application/query-cql-json"}}),
    ("GET", "/api/export", {"params": {"layer": "zoning", "filter": "zone_id = = 5"}}),
    ("GET", "/api/export", {"params": {"layer": "zoning", "filter": "max_floors LIKE 'x'"}}),
    ("GET", "/open311/v2/requests.json", {"params": {"bbox": "NaN,NaN,NaN,NaN"}}),
    ("POST", "/api/session", {"data": "[1]", "headers": {"Content-Type": "application/json"}}),
    ("POST", "/api/session", {"data": "[" * 50000, "headers": {"Content-Type": "application/json"}}),
]


@pytest.fixture(scope="module")
def swept(live_server, live_server_log):
    """The answers to the sweep, and what the server logged meanwhile."""
    start = live_server_log.stat().st_size
    answers = [(method, path, requests.request(method, f"{live_server}{path}", timeout=120,
                                                **kwargs)) for method, path, kwargs in SWEEP]
    # one request after the sweep whose answer the log must show: then the sweep's are in too
    requests.get(f"{live_server}/health?after-sweep", timeout=30)
    with live_server_log.open(encoding="utf-8") as log:
        log.seek(start)
        logged = log.read().splitlines()
    return answers, logged


def test_every_bad_input_is_a_4xx_in_words_of_our_own(swept):
    answers, _ = swept
    for method, path, answer in answers:
        assert 400 <= answer.status_code < 500, (method, path, answer.status_code,
                                                 answer.text[:400])
        for word in FORBIDDEN:
            assert word not in answer.text, (method, path, word, answer.text[:400])


def test_process_errors_name_the_input(swept):
    answers, _ = swept
    descriptions = [answer.json()["description"] for _, path, answer in answers
                    if "/processes/" in path]
    assert "filter" in descriptions[0] and "nested" in descriptions[0], descriptions[0]
    assert "zone_id" in descriptions[1], descriptions[1]
    assert "number" in descriptions[5], descriptions[5]  # 1e400 in the body
    assert "priorities" in descriptions[6], descriptions[6]
    assert "service_minutes" in descriptions[7], descriptions[7]


def test_no_error_is_logged_for_a_client_s_mistake(swept):
    _, logged = swept
    errors = [line for line in logged if '"level": "ERROR"' in line or "Traceback" in line]
    assert not errors, "\n".join(errors[:5])
    # what was refused is logged once, at WARNING
    refusals = [line for line in logged if '"level": "WARNING"' in line
                and "zone_id is text, 5 is a number" in line]
    assert refusals, "\n".join(logged[-20:])
