"""Clusters of open requests and crew routes on the real Rethymno road network (pgRouting)."""
from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
import requests
import shapely

from gis import crews
from tests.helpers import rows, token

SKILLS_ALL = ["pothole", "street_light", "rubbish", "graffiti", "tree", "water_leak",
              "illegal_parking", "stray_animals", "sidewalk"]
DEPOT = {"type": "Point", "coordinates": [24.4800, 35.3640]}  # the municipal garage's area


@pytest.fixture(scope="module")
def ogc(live_server):
    return f"{live_server}/ogc"


def execute(ogc, process, inputs):
    return requests.post(f"{ogc}/processes/{process}/execution", json={"inputs": inputs},
                         timeout=300)


def crew(key, skills, start="2026-11-24T07:00:00+02:00", end="2026-11-24T15:00:00+02:00",
         depot=DEPOT):
    return {"id": key, "depot": depot, "shift_start": start, "shift_end": end, "skills": skills}


def test_a_one_way_street_makes_a_to_b_differ_from_b_to_a(cursor):
    cursor.execute("""SELECT source, target, cost_s FROM roads WHERE oneway
        AND road_class IN ('residential', 'tertiary', 'secondary') ORDER BY id LIMIT 1""")
    a, b, cost = cursor.fetchone()
    matrix = crews.cost_matrix(cursor, "rethymno", [a, b])
    assert matrix[0][1] == round(cost)  # with the flow: the street itself
    assert matrix[1][0] > matrix[0][1]  # against it: round the block


def test_pedestrian_streets_are_not_driven(cursor):
    cursor.execute("SELECT count(*) FROM roads WHERE road_class = 'pedestrian'")
    assert cursor.fetchone()[0] > 0
    assert "pedestrian" in crews.drivable_edges_sql(cursor, "rethymno")
    cursor.execute(f"SELECT count(*) FROM ({crews.drivable_edges_sql(cursor, 'rethymno')}) e "
                   "JOIN roads r ON r.id = e.id WHERE r.road_class = 'pedestrian'")
    assert cursor.fetchone()[0] == 0


def test_clusters_hold_open_requests_within_the_distance(ogc, demo_url):
    answer = execute(ogc, "request-clusters", {"eps": 80, "min_points": 4})
    assert answer.status_code == 200, answer.text
    clusters = answer.json()["features"]
    assert clusters
    for cluster in clusters:
        ids = cluster["properties"]["requests"]
        assert cluster["properties"]["size"] == len(ids) >= 4
        found = rows(demo_url, """SELECT status, service_code, requested_at FROM service_requests
            WHERE service_request_id = ANY(%s)""", (ids,))
        assert {s for s, _, _ in found} <= {"open", "acknowledged", "in_progress"}
        assert sorted({c for _, c, _ in found}) == cluster["properties"]["categories"]
        hull = shapely.geometry.shape(cluster["geometry"])
        points = rows(demo_url, """SELECT ST_X(ST_Transform(geom, 4326)), ST_Y(ST_Transform(geom,
            4326)) FROM service_requests WHERE service_request_id = ANY(%s)""", (ids,))
        assert all(hull.covers(shapely.Point(p)) for p in points)


def test_a_plan_respects_shifts_and_skills_and_explains_what_it_left(ogc, demo_url):
    roads_crew = crew("roads", ["pothole", "sidewalk"], end="2026-11-24T10:00:00+02:00")
    cleaning = crew("cleaning", ["rubbish", "graffiti"])
    answer = execute(ogc, "plan-crew-routes", {
        "filter": "service_code IN ('pothole', 'sidewalk', 'rubbish', 'graffiti', 'tree')",
        "crews": [roads_crew, cleaning], "time_limit_s": 3,
        "service_minutes": {"pothole": 30, "rubbish": 10}})
    assert answer.status_code == 200, answer.text
    plan = answer.json()
    skills = {"roads": {"pothole", "sidewalk"}, "cleaning": {"rubbish", "graffiti"}}
    ends = {"roads": datetime.fromisoformat("2026-11-24T10:00:00+02:00"),
            "cleaning": datetime.fromisoformat("2026-11-24T15:00:00+02:00")}
    served = []
    for route in plan["routes"]:
        numbers = [s["request"] for s in route["stops"]]
        served += numbers
        codes = {c for (c,) in rows(demo_url, "SELECT service_code FROM service_requests "
                                              "WHERE service_request_id = ANY(%s)", (numbers,))}
        assert codes <= skills[route["crew"]]
        assert datetime.fromisoformat(route["back_at_depot"]) <= ends[route["crew"]]
        assert all(datetime.fromisoformat(s["arrival"]) <= ends[route["crew"]]
                   for s in route["stops"])
        if route["stops"]:
            assert route["route"]["coordinates"] and route["drive_s"] > 0
    assert served
    reasons = {u["request"]: u["reason"] for u in plan["unassigned"]}
    (expected,), = rows(demo_url, """SELECT count(*) FROM service_requests WHERE status IN
        ('open', 'acknowledged', 'in_progress') AND service_code IN
        ('pothole', 'sidewalk', 'rubbish', 'graffiti', 'tree')""")
    assert len(served) + len(reasons) == expected and not set(served) & set(reasons)
    trees = [n for (n,) in rows(demo_url, """SELECT service_request_id FROM service_requests
        WHERE status IN ('open', 'acknowledged', 'in_progress') AND service_code = 'tree'""")]
    assert trees and all(reasons[n] == "no crew has the skill tree" for n in trees)
    assert all(reason for reason in reasons.values())


def test_the_solver_time_limit_holds(ogc):
    started = time.monotonic()
    answer = execute(ogc, "plan-crew-routes", {
        "crews": [crew(f"c{i}", SKILLS_ALL) for i in range(4)], "time_limit_s": 1})
    elapsed = time.monotonic() - started
    assert answer.status_code == 200, answer.text
    assert answer.json()["solver_s"] <= 1.5
    assert elapsed < 30  # the matrix and the route geometry around the solver


@pytest.fixture(scope="module")
def remote_request(live_server, demo_url):
    """An open request in the hills, more than a kilometre from any drivable street."""
    (lon, lat), = rows(demo_url, """
        SELECT ST_X(ST_Transform(p, 4326)), ST_Y(ST_Transform(p, 4326)) FROM (
          SELECT ST_PointOnSurface(d.geom) AS p FROM districts d ORDER BY d.district_code) AS c
        WHERE (SELECT min(ST_Distance(r.geom, c.p)) FROM roads r) > 1000 LIMIT 1""")
    made = requests.post(f"{live_server}/open311/v2/requests.json", timeout=30, data={
        "service_code": "pothole", "lat": lat, "long": lon, "description": "Στο βουνό"})
    assert made.status_code == 201, made.text
    return made.json()[0]["service_request_id"]


@pytest.mark.parametrize("change, words", [
    ({"crews": [{k: v for k, v in crew("x", SKILLS_ALL).items() if k != "depot"}]},
     "depot is required"),
    ({"crews": [crew("x", SKILLS_ALL, start="2026-11-24T15:00:00+02:00",
                     end="2026-11-24T07:00:00+02:00")]}, "shift_end must come after"),
    ({"crews": [crew("x", SKILLS_ALL, start="tomorrow")]}, "not an ISO date-time"),
    ({"crews": [crew("x", [])]}, "skills"),
    ({"crews": [crew("x", SKILLS_ALL, depot={"type": "Point", "coordinates": [24.2, 35.6]})]},
     "not by a drivable street"),
    ({"crews": []}, "crews"),
    ({"time_limit_s": 1000}, "time_limit_s"),
    ({"requests": ["1999-999999"]}, "not open requests"),
    ({"filter": "no_such_field = 1"}, "no_such_field"),
    ({"remote": True}, "outside the road network"),
])
def test_bad_input_is_a_400_with_a_clear_message(ogc, remote_request, change, words):
    inputs = {"crews": [crew("x", SKILLS_ALL)], "time_limit_s": 1}
    inputs.update(change)
    if "filter" not in inputs:
        inputs.setdefault("requests", [])
    if inputs.pop("remote", False):
        inputs["requests"] = [remote_request]
    answer = execute(ogc, "plan-crew-routes", inputs)
    assert answer.status_code == 400, answer.text
    assert words in answer.json()["description"]


def test_a_large_plan_runs_as_an_asynchronous_job(ogc):
    """`Prefer: respond-async`: 201 and a job; its status and results from any worker."""
    answer = requests.post(f"{ogc}/processes/plan-crew-routes/execution", timeout=60,
                           headers={"Prefer": "respond-async"}, json={"inputs": {
                               "filter": "service_code IN ('rubbish', 'graffiti')",
                               "crews": [crew("cleaning", ["rubbish", "graffiti"])],
                               "time_limit_s": 2}})
    assert answer.status_code == 201, answer.text
    job = answer.headers["Location"]
    deadline = time.monotonic() + 60
    while True:
        status = requests.get(job, params={"f": "json"}, timeout=30).json()
        if status["status"] in ("successful", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert status["status"] == "successful", status
    for name in ("created", "started", "finished", "updated"):  # RFC 3339, with the zone
        assert datetime.fromisoformat(status[name]).utcoffset() == timedelta(0), status[name]
    results = requests.get(f"{job}/results", params={"f": "json"}, timeout=30)
    assert results.status_code == 200, results.text
    plan = results.json()
    assert plan["routes"][0]["crew"] == "cleaning" and plan["routes"][0]["stops"]


def test_a_signed_in_persons_job_is_theirs_and_staffs_to_see(ogc, demo_url):
    tokens = {name: {"Authorization": f"Bearer {token(demo_url, name, role)}"} for name, role in (
        ("job-owner", "planner"), ("job-other", "planner"), ("job-staff", "staff"))}
    answer = requests.post(f"{ogc}/processes/plan-crew-routes/execution", timeout=60,
                           headers={"Prefer": "respond-async", **tokens["job-owner"]},
                           json={"inputs": {"filter": "service_code = 'graffiti'",
                                            "crews": [crew("paint", ["graffiti"])],
                                            "time_limit_s": 1}})
    assert answer.status_code == 201, answer.text
    job = answer.headers["Location"]
    job_id = job.rstrip("/").rsplit("/", 1)[1]
    deadline = time.monotonic() + 60
    while requests.get(job, params={"f": "json"}, headers=tokens["job-owner"],
                       timeout=30).json()["status"] not in ("successful", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.5)

    def status(path, who):
        headers = tokens[who] if who else {}
        return requests.get(f"{job}{path}", params={"f": "json"}, headers=headers,
                            timeout=30).status_code

    for path in ("", "/results"):
        assert status(path, "job-owner") == 200 and status(path, "job-staff") == 200
        assert status(path, "job-other") == 404 and status(path, None) == 404

    def listed(who):
        headers = tokens[who] if who else {}
        found = requests.get(f"{ogc}/jobs", params={"f": "json"}, headers=headers, timeout=30)
        return {j["jobID"] for j in found.json()["jobs"]}

    assert job_id in listed("job-owner") and job_id in listed("job-staff")
    assert job_id not in listed("job-other") and job_id not in listed(None)
    (owner,), = rows(demo_url, "SELECT owner FROM jobs WHERE identifier = %s", (job_id,))
    assert owner == "planner:job-owner"
