"""Roles × write endpoints, injection payloads, the audit log and rate limits."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import pytest
import requests

from gis import db
from tests.helpers import rows, serving, token

ROLES = ("citizen", "planner", "crew", "staff", "admin", "gateway", "payment")
WRITERS = {"staff", "admin"}


@pytest.fixture(scope="module")
def tokens(demo_url):
    return {role: token(demo_url, f"role-{role}", role) for role in ROLES}


def _count(demo_url, query, params=()) -> int:
    return rows(demo_url, query, params)[0][0]


def write_endpoints(demo_url, role, state):
    """Every endpoint that writes, shows personal data or rows of their own: a request that
    succeeds, its status when allowed, what shows it did (a check on the database or the
    answer), and the roles allowed beside staff and admin. ``state`` carries what one request
    made for the next (the permit it created)."""
    (permit,), = rows(demo_url, "SELECT id FROM building_permits "
                              "WHERE GeometryType(geom) = 'POINT' ORDER BY id DESC LIMIT 1")
    (number,), = rows(demo_url, "SELECT service_request_id FROM service_requests "
                                "WHERE status = 'open' ORDER BY id LIMIT 1")
    state["request"] = number

    def feature(floors=None):
        return {"type": "Feature",
                "geometry": {"type": "Point", "coordinates": [24.4747, 35.3676]},
                "properties": {"permit_number": "ROLE/1", "issue_date": "2026-01-01",
                               "permit_type": "renovation", "status": "issued",
                               **({"floors": floors} if floors else {})}}

    def created_permit():  # the permit this role made, or one it may not touch
        return state.get("created", f"/ogc/collections/building_permit_sites/items/{permit}")

    def made_permit(answer):
        state["created"] = "/ogc" + answer.headers["Location"].split("/ogc", 1)[1]
        return _count(demo_url, "SELECT count(*) FROM building_permits "
                                "WHERE permit_number = 'ROLE/1'") == 1

    geo = {"Content-Type": "application/geo+json"}
    bay = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[
        [24.47470, 35.36760], [24.47474, 35.36760], [24.47474, 35.36763], [24.47470, 35.36763],
        [24.47470, 35.36760]]]},
           "properties": {"bay_id": "ROLE-BAY", "bay_type": "regular",
                          "occupancy_state": "free"}}
    # now: newer than any reading stored before, so it is stored (not stale, not a duplicate)
    reading = {"sensor_id": "S-0001", "occupied": True,
               "ts": datetime.now(timezone.utc).isoformat(timespec="milliseconds")}
    return [
        # the planning office edits its own layers (layers/*.py editors); deleting is staff's
        ("POST", "/ogc/collections/building_permit_sites/items", {"json": feature(), "headers": geo},
         201, made_permit, {"planner"}),
        ("PUT", created_permit, {"json": feature(floors=2), "headers": geo}, 204,
         lambda _: _count(demo_url, "SELECT count(*) FROM building_permits WHERE "
                                    "permit_number = 'ROLE/1' AND floors = 2") == 1,
         {"planner"}),
        ("DELETE", created_permit, {}, 200,
         lambda _: _count(demo_url, "SELECT count(*) FROM building_permits "
                                    "WHERE permit_number = 'ROLE/1'") == 0),
        ("POST", "/ogc/collections/parking_bays/items", {"json": bay, "headers": geo}, 201,
         lambda _: _count(demo_url, "SELECT count(*) FROM parking_bays "
                                    "WHERE bay_id = 'ROLE-BAY'") == 1),
        ("POST", "/open311/v2/servicerequestupdates.json",
         {"data": {"service_request_id": number, "status": "acknowledged"}}, 201,
         lambda _: rows(demo_url, "SELECT status FROM service_requests WHERE "
                                  "service_request_id = %s", (number,)) == [("acknowledged",)]),
        ("GET", f"/open311/v2/requests/{number}/contact.json", {}, 200,
         lambda answer: "reporter_email" in answer.json()),
        # access passes, and the job is looked for: no such job (404), nothing to dismiss
        ("DELETE", "/ogc/jobs/00000000-0000-0000-0000-000000000000", {}, 404, None),
        ("POST", "/api/sensors/readings", {"json": {"readings": [reading]}}, 200,
         lambda answer: answer.json()["stored"] == 1,
         {"gateway"}),
        ("POST", "/api/parking/sessions", {"json": {
            "session_ref": "ROLE-1", "bay_id": "RB-0001", "plate": "ΗΡΑ1234",
            "starts_at": "2026-01-01T08:00:00Z", "ends_at": "2026-01-01T09:00:00Z"}}, 201,
         lambda _: _count(demo_url, "SELECT count(*) FROM parking_sessions "
                                    "WHERE session_ref = 'ROLE-1'") == 1,
         {"payment"}),
        ("GET", "/api/parking/violations", {}, 200,
         lambda answer: isinstance(answer.json()["features"], list), {"crew"}),
        ("GET", "/api/imports", {}, 200, lambda answer: "imports" in answer.json()),
        # own rows: every person (the row rules narrow what each sees), no machine
        ("GET", "/api/my/requests", {}, 200, lambda answer: "requests" in answer.json(),
         {"citizen", "planner", "crew"}),
        ("GET", "/api/crew/assignments", {}, 200, lambda answer: "assignments" in answer.json(),
         {"crew"}),
    ]


@pytest.mark.parametrize("role", (None, *ROLES))
def test_each_role_may_write_what_it_should_and_nothing_more(live_server, demo_url, tokens, role):
    before = rows(demo_url, "SELECT count(*) FROM building_permits")
    state: dict = {}
    try:
        for method, path, options, status, did, *also in write_endpoints(demo_url, role, state):
            path = path() if callable(path) else path
            options = {**options, "headers": dict(options.get("headers", {}))}
            if role:
                options["headers"]["Authorization"] = f"Bearer {tokens[role]}"
            answer = requests.request(method, live_server + path, timeout=30, **options)
            if role in WRITERS | (also[0] if also else set()):
                assert answer.status_code == status, (role, method, path, answer.text[:300])
                assert did is None or did(answer), (role, method, path, "did not happen")
            else:
                assert answer.status_code == (401 if role is None else 403), (role, method, path)
        if role not in WRITERS | {"planner"}:
            assert rows(demo_url, "SELECT count(*) FROM building_permits") == before
    finally:
        conn = db.connect(demo_url)
        with conn, conn.cursor() as cur:
            cur.execute("DELETE FROM building_permits WHERE permit_number = 'ROLE/1'")
            cur.execute("DELETE FROM parking_bays WHERE bay_id = 'ROLE-BAY'")
            cur.execute("DELETE FROM parking_sessions WHERE session_ref = 'ROLE-1'")
            if role in WRITERS:  # the request acknowledged goes back to open
                cur.execute("""DELETE FROM service_request_updates WHERE request_id =
                    (SELECT id FROM service_requests WHERE service_request_id = %s)
                    AND status = 'acknowledged'""", (state["request"],))
                cur.execute("UPDATE service_requests SET status = 'open' "
                            "WHERE service_request_id = %s", (state["request"],))
        conn.close()


# unsafe routes anyone may call, and why (dimos/access.py names the same, as rules for ANYONE)
PUBLIC_WRITES = {
    ("POST", "open311.post_request"): "citizens report without an account (rate-limited)",
    ("POST", "sessions.sign_in"): "signing in (rate-limited)",
    ("DELETE", "sessions.sign_out"): "signing out",
    ("POST", "web_map.route_sheet"): "prints the plan it is sent; reads and stores nothing",
    ("POST", "web_map.planning_certificate_for_parcel"): "the planning report of the parcel it "
                                                         "is sent, as a PDF; stores nothing",
    ("POST", "pygeoapi.execute_process_jobs"): "processes read and compute (rate-limited)",
    ("POST", "pygeoapi.stac_search"): "a search",
}
#: a value for each URL variable of the routes, so the request reaches the access rules
EXAMPLE_VALUES = {"collection_id": "building_permits", "fmt": "json"}


def _example_path(rule: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: EXAMPLE_VALUES.get(m[1], "1"), rule)


def test_every_unsafe_route_refuses_anonymous_callers_but_the_public_writes(ogc_app):
    from dimos.access import ANYONE, RULES, UNSAFE

    public = {(method, rule.endpoint) for rule in RULES if rule.roles is ANYONE
              and rule.applies is None for method in rule.methods}
    assert public == set(PUBLIC_WRITES), "a public write needs a reason here too"
    client = ogc_app.test_client()
    checked, open_ = set(), []
    for route in ogc_app.url_map.iter_rules():
        for method in sorted(route.methods & UNSAFE):
            if (method, route.endpoint) in PUBLIC_WRITES:
                continue
            path = _example_path(route.rule)
            answer = client.open(path, method=method, json={"type": "Feature"})
            checked.add(route.endpoint)
            if answer.status_code != 401:
                open_.append(f"{method} {route.rule}: {answer.status_code}")
    assert not open_, "add a rule to dimos/access.py (or a reason to PUBLIC_WRITES)"
    # the OGC API's writes are among those checked
    assert {"pygeoapi.collection_items", "pygeoapi.get_jobs"} <= checked


def test_an_unsafe_route_no_rule_names_needs_staff(ogc_app):
    """A route added without a rule is not open: a write there needs staff (no database:
    the refusal comes before any view or token lookup)."""
    from dimos.access import UNNAMED_WRITE, rule_for

    with ogc_app.test_request_context("/api/new", method="POST"):
        assert rule_for("POST", "somewhere.new_write") is UNNAMED_WRITE
        assert UNNAMED_WRITE.roles == frozenset({"staff", "admin"})
        assert rule_for("GET", "somewhere.new_read") is None


@pytest.mark.parametrize("content_type", [
    "application/geo+json; charset=utf-8", "application/json", "APPLICATION/GEO+JSON",
    "Application/Geo+Json;charset=UTF-8", "text/plain"])
def test_creating_a_feature_needs_a_role_however_the_media_type_is_spelled(
        live_server, demo_url, tokens, content_type):
    items = f"{live_server}/ogc/collections/building_permit_sites/items"
    feature = {"type": "Feature", "geometry": {"type": "Point",
                                               "coordinates": [24.4747, 35.3676]},
               "properties": {"permit_number": "CT/1", "issue_date": "2026-01-01",
                              "permit_type": "renovation", "status": "issued"}}
    body = json.dumps(feature)
    before = rows(demo_url, "SELECT count(*), max(id) FROM building_permits")
    anonymous = requests.post(items, data=body, headers={"Content-Type": content_type},
                              timeout=30)
    assert anonymous.status_code == 401, anonymous.text
    citizen = requests.post(items, data=body, timeout=30, headers={
        "Content-Type": content_type, "Authorization": f"Bearer {tokens['citizen']}"})
    assert citizen.status_code == 403, citizen.text
    assert rows(demo_url, "SELECT count(*), max(id) FROM building_permits") == before
    staff = requests.post(items, data=body, timeout=30, headers={
        "Content-Type": content_type, "Authorization": f"Bearer {tokens['staff']}"})
    try:
        if content_type.split(";")[0].lower() == "application/geo+json":
            assert staff.status_code == 201, staff.text  # a create, as HTTP reads the type
            assert rows(demo_url, "SELECT count(*) FROM building_permits "
                                  "WHERE permit_number = 'CT/1'") == [(1,)]
        else:
            assert staff.status_code == 415, staff.text
            assert rows(demo_url, "SELECT count(*), max(id) FROM building_permits") == before
    finally:
        conn = db.connect(demo_url)
        with conn, conn.cursor() as cur:
            cur.execute("DELETE FROM building_permits WHERE permit_number = 'CT/1'")
        conn.close()


def test_a_cql2_json_search_stays_public(live_server):
    answer = requests.post(f"{live_server}/ogc/collections/zoning/items", timeout=30,
                           params={"f": "json", "limit": 1},
                           headers={"Content-Type": "application/query-cql-json; charset=UTF-8"},
                           data=json.dumps({"op": "=", "args": [{"property": "zone_code"},
                                                                "none"]}))
    assert answer.status_code == 200, answer.text
    assert answer.json()["features"] == []


INJECTIONS = ["1; DROP TABLE zoning; --", "' OR '1'='1", "zone_id) OR (1=1",
              "x'; DELETE FROM service_requests; --", "\\'; SELECT pg_sleep(5); --"]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injection_payloads_change_nothing_and_are_refused(live_server, demo_url, payload):
    before = rows(demo_url, "SELECT (SELECT count(*) FROM zoning), "
                            "(SELECT count(*) FROM service_requests)")
    ogc = f"{live_server}/ogc/collections/zoning/items"
    refused = [
        requests.get(ogc, params={"f": "json", "filter": payload}, timeout=30),
        requests.get(ogc, params={"f": "json", "filter": f"zone_code = 'A' AND {payload}"},
                     timeout=30),
        requests.get(ogc, params={"f": "json", "sortby": payload}, timeout=30),
        requests.get(ogc, params={"f": "json", "properties": payload}, timeout=30),
        requests.get(ogc, params={"f": "json", "bbox": payload}, timeout=30),
        requests.get(ogc, params={"f": "json", "datetime": payload}, timeout=30),
        requests.get(f"{live_server}/open311/v2/requests.json", params={"status": payload},
                     timeout=30),
        requests.get(f"{live_server}/open311/v2/requests.json", params={"start_date": payload},
                     timeout=30),
        requests.post(f"{live_server}/open311/v2/requests.json", timeout=30,
                      data={"service_code": payload, "lat": 35.3676, "long": 24.4747}),
        requests.post(f"{live_server}/ogc/processes/nearest/execution", timeout=30, json={
            "inputs": {"layer": "zoning", "filter": payload,
                       "location": {"type": "Point", "coordinates": [24.47, 35.36]}}}),
    ]
    for answer in refused:
        assert answer.status_code == 400, (answer.url, answer.status_code, answer.text[:200])
    # a value that is only ever compared, never parsed, matches nothing
    lookup = requests.get(f"{live_server}/open311/v2/requests.json",
                          params={"service_request_id": payload}, timeout=30)
    assert lookup.status_code == 200 and lookup.json() == []
    assert rows(demo_url, "SELECT (SELECT count(*) FROM zoning), "
                          "(SELECT count(*) FROM service_requests)") == before


def test_every_write_is_in_the_audit_log_with_who_and_before_after(live_server, demo_url,
                                                                    tokens):
    # a permit drawn as its building (one drawn as a point is in building_permit_sites)
    (permit, floors), = rows(demo_url, "SELECT id, floors FROM building_permits "
                                       "WHERE floors IS NOT NULL AND GeometryType(geom) = "
                                       "'MULTIPOLYGON' ORDER BY id LIMIT 1")
    item = f"{live_server}/ogc/collections/building_permits/items/{permit}"
    got = requests.get(item, params={"f": "json"}, timeout=30)
    assert got.status_code == 200, (got.status_code, got.text[:500])
    feature = got.json()
    feature["properties"]["floors"] = floors + 1
    feature = {k: feature[k] for k in ("type", "geometry", "properties")}
    answer = requests.put(item, json=feature, timeout=30, headers={
        "Authorization": f"Bearer {tokens['staff']}", "Content-Type": "application/geo+json"})
    assert answer.status_code == 204, answer.text
    (actor, operation, before, after), = rows(demo_url, """
        SELECT actor, operation, before ->> 'floors', after ->> 'floors' FROM audit_log
        WHERE table_name = 'building_permits' AND row_id = %s ORDER BY id DESC LIMIT 1""",
                                             (permit,))
    assert (actor, operation) == ("staff:role-staff", "UPDATE")
    assert (int(before), int(after)) == (floors, floors + 1)
    made = requests.post(f"{live_server}/open311/v2/requests.json", timeout=30, data={
        "service_code": "graffiti", "lat": 35.3676, "long": 24.4747, "email": "a@example.gr"})
    number = made.json()[0]["service_request_id"]
    logged = rows(demo_url, """SELECT a.table_name, a.actor FROM audit_log a
        JOIN service_requests r ON r.id = a.row_id WHERE r.service_request_id = %s
        ORDER BY a.id""", (number,))
    assert ("service_requests", "citizen") in logged
    assert ("service_requests_private", "citizen") in logged


def test_public_posts_are_rate_limited_per_client_and_staff_are_not(demo_url, tokens,
                                                                    tmp_path_factory):
    with serving(demo_url, tmp_path_factory.mktemp("limits"),
                 rate_limit_reports_per_min=3, sensors_ingest=0) as base:
        conn = db.connect(demo_url)
        with conn, conn.cursor() as cur:  # a fresh minute for this address
            cur.execute("DELETE FROM rate_limit_hits")
        conn.close()
        before = rows(demo_url, "SELECT count(*) FROM service_requests")[0][0]
        report = {"service_code": "graffiti", "lat": 35.3676, "long": 24.4747}
        answers = [requests.post(f"{base}/open311/v2/requests.json", data=report, timeout=30)
                   for _ in range(5)]
        statuses = [a.status_code for a in answers]
        assert statuses == [201, 201, 201, 429, 429]
        limited = next(a for a in answers if a.status_code == 429)
        assert 0 < int(limited.headers["Retry-After"]) <= 60
        accepted = sum(1 for a in answers if a.status_code == 201)
        assert rows(demo_url, "SELECT count(*) FROM service_requests")[0][0] == before + accepted
        staff = requests.post(f"{base}/open311/v2/requests.json", data=report, timeout=30,
                              headers={"Authorization": f"Bearer {tokens['staff']}"})
        assert staff.status_code == 201
