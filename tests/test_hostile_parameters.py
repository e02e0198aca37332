"""Request parameters that reached the database unchecked: open-ended intervals with no end at
all, offsets past bigint, NaN and 1e308 bboxes, boxes outside their CRS, inverted intervals.
On the OGC API, Open311 and /api/* each is a 400 naming the parameter (issue 15, class 5)."""
from __future__ import annotations

import pytest
import requests

CRS2100 = "http://www.opengis.net/def/crs/EPSG/0/2100"
CRS3857 = "http://www.opengis.net/def/crs/EPSG/0/3857"
CRS4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
OLD_TOWN = "24.46,35.36,24.49,35.38"

#: OGC items parameters, and the parameter the 400 must name
OGC_BAD = [
    ({"datetime": "../.."}, "datetime"),
    ({"datetime": "/"}, "datetime"),
    ({"datetime": "2024-01-01/2020-01-01"}, "datetime"),
    ({"datetime": "2020-01-01T00:00:00"}, "datetime"),  # RFC 3339 has a time zone
    ({"datetime": "2020-13-01"}, "datetime"),
    ({"datetime": "0001-01-01T00:00:00+01:00"}, "datetime"),
    ({"offset": "99999999999999999999999"}, "offset"),
    ({"offset": "-1"}, "offset"),
    ({"offset": "1.5"}, "offset"),
    ({"offset": "NaN"}, "offset"),
    ({"limit": "1e400"}, "limit"),
    ({"limit": "0"}, "limit"),
    ({"limit": "10001"}, "limit"),
    ({"bbox": "NaN,NaN,NaN,NaN"}, "bbox"),
    ({"bbox": "1e308,1e308,1e308,1e308"}, "bbox"),
    ({"bbox": "inf,0,inf,1"}, "bbox"),
    ({"bbox": "24.5,35.3,24.4,35.4"}, "bbox"),  # across the antimeridian, Crete on both sides
    ({"bbox": "24.5,35.4,24.6,35.3"}, "bbox"),  # miny > maxy
    ({"bbox": "24.4,35.3,0,24.5,35.4"}, "bbox"),  # 5 numbers
    ({"bbox": "24.4,95,24.5,96"}, "bbox"),  # latitude past the pole
    ({"bbox": "35.3,24.4,35.4,24.5", "bbox-crs": CRS4326}, None),  # lat, lon: fine
    ({"bbox": "35.3,190,35.4,191", "bbox-crs": CRS4326}, "bbox"),
    ({"bbox": "1e9,1e9,2e9,2e9", "bbox-crs": CRS2100}, "bbox"),
    ({"bbox": "-1e10,0,1,1", "bbox-crs": CRS3857}, "bbox"),
]


@pytest.fixture(scope="module")
def ogc(live_server):
    return f"{live_server}/ogc"


def _assert_names(answer, name):
    assert answer.status_code == 400, (answer.status_code, answer.text[:300])
    body = answer.json()
    description = body[0]["description"] if isinstance(body, list) else body["description"]
    assert name in description, description
    return description


@pytest.mark.parametrize("params, name", OGC_BAD, ids=[str(p) for p, _ in OGC_BAD])
def test_ogc_items_parameters_are_checked_before_the_database(ogc, params, name):
    answer = requests.get(f"{ogc}/collections/zoning/items",
                          params={"f": "json", **params}, timeout=60)
    if name is None:
        assert answer.status_code == 200, answer.text[:300]
    else:
        _assert_names(answer, name)


@pytest.mark.parametrize("params", [
    {"datetime": "2010-06-01"}, {"datetime": "../2020-01-01"}, {"datetime": "2020-01-01/.."},
    {"datetime": "2010-01-01T00:00:00Z/2020-01-01T00:00:00+02:00"},
    {"offset": "0", "limit": "10000"}, {"bbox": OLD_TOWN}, {"bbox": "24.46,35.36,0,24.49,35.38,10"},
    {"bbox": "-180,-90,180,90"},
    {"bbox": "550000,3910000,560000,3920000", "bbox-crs": CRS2100},
])
def test_ogc_items_parameters_within_bounds_still_work(ogc, params):
    answer = requests.get(f"{ogc}/collections/zoning/items",
                          params={"f": "json", **params}, timeout=60)
    assert answer.status_code == 200, (params, answer.text[:300])


def test_a_huge_offset_within_bounds_is_an_empty_page(ogc):
    answer = requests.get(f"{ogc}/collections/zoning/items",
                          params={"f": "json", "offset": "1000000000"}, timeout=60)
    assert answer.status_code == 200, answer.text[:300]
    assert answer.json()["features"] == []


@pytest.mark.parametrize("params, name", [
    ({"bbox": "NaN,NaN,NaN,NaN"}, "bbox"),
    ({"bbox": "1e308,1e308,1e308,1e308"}, "bbox"),
    ({"bbox": "24.4,35.3,24.5"}, "bbox"),
    ({"bbox": "24.4,-91,24.5,35"}, "bbox"),
    ({"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "start_date"),
    ({"start_date": "2026-02-01"}, "start_date"),
    ({"end_date": "0001-01-01T00:00:00+01:00"}, "end_date"),
    ({"start_date": "2026-01-01T00:00:00+20:00"}, "start_date"),
])
def test_open311_request_parameters(live_server, params, name):
    answer = requests.get(f"{live_server}/open311/v2/requests.json", params=params, timeout=60)
    _assert_names(answer, name)
    updates = requests.get(f"{live_server}/open311/v2/servicerequestupdates.json",
                           params=params, timeout=60)
    if "bbox" not in params:  # updates take dates, not places
        _assert_names(updates, name)


@pytest.mark.parametrize("params, name", [
    ({"lat": "1e308", "long": "24.47"}, "lat"),
    ({"lat": "35.36", "long": "NaN"}, "long"),
    ({"lat": "91", "long": "24.47"}, "lat"),
    ({"lat": "35.36", "long": "-181"}, "long"),
    ({"lat": "35.36", "long": "24.47", "radius": "-5"}, "radius"),
    ({"lat": "35.36", "long": "24.47", "radius": "1e308"}, "radius"),
])
def test_open311_nearby_coordinates(live_server, params, name):
    answer = requests.get(f"{live_server}/open311/v2/requests/nearby.json", timeout=60,
                          params={"service_code": "pothole", **params})
    _assert_names(answer, name)


@pytest.mark.parametrize("bbox", ["NaN,NaN,NaN,NaN", "1e308,0,1e308,1", "24.5,35.3,24.4,35.4",
                                  "24.4,35.3,24.5"])
def test_the_export_bbox(live_server, bbox):
    answer = requests.get(f"{live_server}/api/export", timeout=60,
                          params={"layer": "zoning", "bbox": bbox, "format": "geojson"})
    _assert_names(answer, "bbox")


def test_a_good_export_bbox_still_exports(live_server):
    answer = requests.get(f"{live_server}/api/export", timeout=60,
                          params={"layer": "zoning", "bbox": OLD_TOWN, "format": "geojson"})
    assert answer.status_code == 200, answer.text[:300]
    assert answer.json()["features"]
