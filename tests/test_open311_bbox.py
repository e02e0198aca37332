"""Open311 `GET requests` with `bbox` (minlong,minlat,maxlong,maxlat, CRS84) answers the
requests inside the box and only those (README, Open311)."""
from __future__ import annotations

import requests

from tests.helpers import rows

EDGE = 1e-4  # degrees (~10 m): a point this close to an edge may fall either way
SINCE = {"start_date": "2000-01-01T00:00:00Z"}  # every request, not the latest 90 days


def _inside(request: dict, box: tuple[float, float, float, float], margin: float) -> bool:
    minx, miny, maxx, maxy = box
    return (minx + margin <= request["long"] <= maxx - margin
            and miny + margin <= request["lat"] <= maxy - margin)


def test_bbox_answers_the_requests_inside_the_box_and_no_other(live_server, demo_url):
    # a box of about 180 m × 170 m in the old town, where the demo has many requests
    box = (24.472, 35.366, 24.474, 35.3675)
    stored = rows(demo_url, "SELECT service_request_id, ST_X(p), ST_Y(p) FROM (SELECT "
                            "service_request_id, ST_Transform(geom, 4326) AS p FROM "
                            "service_requests WHERE jurisdiction_id = 'rethymno') AS r")
    within = {number for number, lon, lat in stored
              if _inside({"long": lon, "lat": lat}, box, EDGE)}
    outside = {number for number, lon, lat in stored
               if not _inside({"long": lon, "lat": lat}, box, -EDGE)}
    assert 0 < len(within) < 1000 and outside  # the box tells the requests apart
    answer = requests.get(f"{live_server}/open311/v2/requests.json", timeout=30,
                          params={"bbox": ",".join(map(str, box)), **SINCE})
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert all(_inside(r, box, -EDGE) for r in found), [
        (r["service_request_id"], r["long"], r["lat"]) for r in found if not _inside(r, box, -EDGE)]
    numbers = {r["service_request_id"] for r in found}
    assert within <= numbers
    assert not numbers & outside


def test_a_box_with_no_request_in_it_answers_none(live_server):
    # the sea north of Rethymno
    answer = requests.get(f"{live_server}/open311/v2/requests.json", timeout=30,
                          params={"bbox": "24.40,35.40,24.45,35.43", **SINCE})
    assert answer.status_code == 200 and answer.json() == []
