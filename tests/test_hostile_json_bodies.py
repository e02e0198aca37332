"""Hostile JSON bodies: nested past any parser's stack, not an object, too large, NaN or
Infinity, NUL or lone surrogates in strings. Every endpoint that takes a body answers a 4xx
saying what was wrong with it, never a 500 (issue 15, class 3)."""
from __future__ import annotations

import json
import re

import pytest
import requests

from dimos.app import create_app
from settings import Settings
from tests.helpers import token

WRITE_METHODS = ("POST", "PUT", "PATCH")
DEEP = "[" * 100_000 + "]" * 100_000
SAMPLE_VALUES = {"fmt": "json", "collectionId": "zoning", "featureId": "1",
                 "processId": "nearest", "jobId": "x"}


def _concrete(path: str) -> str:
    """A URL path of a route rule (Flask's <x> or OpenAPI's {x}) with sample values."""
    path = re.sub(r"<(?:[a-z]+:)?([a-zA-Z_]+)>", lambda m: SAMPLE_VALUES.get(m[1], "1"), path)
    return re.sub(r"\{([a-zA-Z_]+)\}", lambda m: SAMPLE_VALUES.get(m[1], "1"), path)


def body_endpoints(demo_url: str, live_server: str, tmp_path_factory) -> list[tuple[str, str]]:
    """(method, path) of every route that takes a body: dimos' own from the app's url_map, the
    OGC API's from its OpenAPI document (pygeoapi mounts once per process: not in this one)."""
    app = create_app(Settings(database_url=demo_url,
                              state_dir=tmp_path_factory.mktemp("json-bodies")), with_ogc=False)
    found = {(method, _concrete(rule.rule)) for rule in app.url_map.iter_rules()
             for method in rule.methods & set(WRITE_METHODS)}
    document = requests.get(f"{live_server}/ogc/openapi?f=json", timeout=60).json()
    for path, operations in document["paths"].items():
        for method in operations:
            if method.upper() in WRITE_METHODS:
                found.add((method.upper(), "/ogc" + _concrete(path)))
    return sorted(found)


@pytest.fixture(scope="module")
def endpoints(demo_url, live_server, tmp_path_factory):
    found = body_endpoints(demo_url, live_server, tmp_path_factory)
    # the enumeration itself must see the families of endpoints that take JSON
    paths = {path for _, path in found}
    assert {"/api/session", "/api/sensors/readings", "/open311/v2/requests.json",
            "/ogc/processes/nearest/execution", "/ogc/collections/zoning/items"} <= paths
    return found


@pytest.fixture(scope="module")
def staff(demo_url):
    return {"Authorization": f"Bearer {token(demo_url, 'hostile-json-staff', 'staff')}"}


def _send(live_server, method, path, body: str | bytes, headers=None,
          content_type="application/json"):
    return requests.request(method, f"{live_server}{path}", data=body, timeout=60,
                            headers={"Content-Type": content_type, **(headers or {})})


def _assert_refused(response, *words):
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    text = response.text
    assert "recursion" not in text and "Traceback" not in text, text[:300]
    for word in words:
        assert word in text, text[:300]


def test_a_deeply_nested_body_is_a_400_on_every_endpoint_that_takes_one(live_server, endpoints,
                                                                         staff):
    for method, path in endpoints:
        for headers in ({}, staff):  # anonymous, and staff who get past the access rules
            answer = _send(live_server, method, path, DEEP, headers)
            _assert_refused(answer)
            if headers:
                assert answer.status_code == 400, (method, path, answer.text[:300])
                assert "nested" in answer.text, (method, path, answer.text[:300])


def test_a_deep_body_is_refused_whatever_content_type_the_ogc_api_is_told(live_server, staff):
    # pygeoapi reads an execute request's body as JSON whatever its Content-Type says
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        answer = _send(live_server, "POST", "/ogc/processes/nearest/execution", DEEP, staff,
                       content_type=content_type)
        assert answer.status_code == 400, answer.text[:300]


def test_a_list_instead_of_an_object_is_a_400_on_sign_in(live_server):
    answer = _send(live_server, "POST", "/api/session", "[1]")
    assert answer.status_code == 400, answer.text
    assert "object" in answer.json()["description"]


def test_a_body_larger_than_any_json_endpoint_takes_is_a_413(live_server, staff):
    huge = json.dumps({"readings": ["x" * 1000] * 6000})  # 6 MB
    answer = _send(live_server, "POST", "/api/sensors/readings", huge, staff)
    assert answer.status_code == 413, answer.text[:300]
    assert "body" in answer.json()["description"]


@pytest.mark.parametrize("body, word", [
    ('{"count": NaN}', "number"),
    ('{"count": Infinity}', "number"),
    ('{"count": -Infinity}', "number"),
    ('{"count": 1e400}', "number"),
    ('{"layer": "zoning\\u0000"}', "NUL"),
    ('{"layer": "zoning\\u0007"}', "control character"),
    ('{"layer": "\\ud800"}', "surrogate"),
])
def test_json_values_no_database_can_hold_are_a_400(live_server, staff, body, word):
    for path in ("/ogc/processes/nearest/execution", "/api/sensors/readings",
                 "/api/route-sheet"):
        answer = _send(live_server, "POST", path, body, staff)
        assert answer.status_code == 400, (path, answer.text[:300])
        assert word in answer.json()["description"], (path, answer.text[:300])


def test_a_body_nested_as_deep_as_geojson_goes_is_still_read(live_server):
    # a MultiPolygon in a feature in a request: about six levels, far below the limit
    point = {"type": "Point", "coordinates": [24.4747, 35.3676]}
    answer = requests.post(f"{live_server}/ogc/processes/nearest/execution", timeout=60,
                           json={"inputs": {"layer": "refuge_areas", "location": point}})
    assert answer.status_code == 200, answer.text[:300]
