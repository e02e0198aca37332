"""OGC API Processes: `planning-report` and `nearest`, checked against the stored data."""
from __future__ import annotations

import numpy as np
import pytest
import requests
import shapely
from pyproj import Transformer
from shapely.geometry import Point, box, mapping

from tests.helpers import rows

TO_CRS84 = Transformer.from_crs(2100, 4326, always_xy=True)
CRS2100 = "http://www.opengis.net/def/crs/EPSG/0/2100"


@pytest.fixture(scope="module")
def ogc(live_server):
    return f"{live_server}/ogc"


def execute(ogc, process, inputs):
    return requests.post(f"{ogc}/processes/{process}/execution", json={"inputs": inputs},
                         timeout=60)


def crs84(geometry):
    def transform(xy):
        return np.column_stack(TO_CRS84.transform(xy[:, 0], xy[:, 1]))
    return mapping(shapely.transform(geometry, transform))


def test_both_processes_are_listed_with_greek_and_english_titles(ogc):
    listed = {p["id"]: p for p in requests.get(f"{ogc}/processes", params={"f": "json"},
                                               timeout=30).json()["processes"]}
    assert {"planning-report", "nearest"} <= set(listed)
    greek = requests.get(f"{ogc}/processes/planning-report", params={"f": "json", "lang": "el"},
                         timeout=30).json()
    assert greek["title"] == "Πολεοδομική πληροφορία σημείου ή γηπέδου"
    assert {"location", "parcel", "crs", "date", "radius"} == set(greek["inputs"])


@pytest.fixture(scope="module")
def two_zones(demo_url):
    """A 20 m square parcel straddling the boundary of two zones in force today, both of them
    built on (not green) (EPSG:2100)."""
    (wkb_a, wkb_b, point) = rows(demo_url, """
        SELECT ST_AsBinary(a.geom), ST_AsBinary(b.geom),
               ST_AsBinary(ST_PointOnSurface(ST_Intersection(a.geom, b.geom)))
        FROM zoning a JOIN zoning b ON a.id < b.id AND ST_Touches(a.geom, b.geom)
         AND ST_Length(ST_Intersection(a.geom, b.geom)) > 100
        WHERE a.valid_to IS NULL AND b.valid_to IS NULL AND a.plan_id = b.plan_id
          AND a.building_coefficient > 0 AND b.building_coefficient > 0
        ORDER BY a.id, b.id LIMIT 1""")[0]
    zone_a, zone_b = shapely.from_wkb(bytes(wkb_a)), shapely.from_wkb(bytes(wkb_b))
    centre = shapely.from_wkb(bytes(point))
    return zone_a, zone_b, box(centre.x - 10, centre.y - 10, centre.x + 10, centre.y + 10)


def test_a_parcel_on_a_zone_boundary_gets_every_zone_with_its_share(ogc, demo_url, two_zones):
    zone_a, zone_b, parcel = two_zones
    report = execute(ogc, "planning-report", {"parcel": crs84(parcel), "date": "2024-06-01"})
    assert report.status_code == 200, report.text
    body = report.json()
    in_force = rows(demo_url, """SELECT zone_id, ST_AsBinary(geom) FROM zoning
        WHERE ST_Intersects(geom, ST_GeomFromWKB(%s, 2100)) AND valid_from <= '2024-06-01'
          AND (valid_to IS NULL OR valid_to > '2024-06-01')""", (shapely.to_wkb(parcel),))
    expected = {zone_id: shapely.from_wkb(bytes(wkb)).intersection(parcel).area / parcel.area
                for zone_id, wkb in in_force}
    shares = {z["zone_id"]: z["share"] for z in body["zones"]}
    assert len(shares) >= 2 and shares.keys() == expected.keys()
    for zone_id, share in shares.items():  # tolerance: the CRS84 round trip of the parcel
        assert share == pytest.approx(expected[zone_id], abs=0.01), zone_id
    for zone in body["zones"]:
        assert zone["fek"].startswith("ΦΕΚ ") and zone["plan_id"] and zone["valid_from"]
        assert zone["building_coefficient"] > 0 or zone["land_use"] == "green"  # a park: 0
    assert body["area_m2"] == pytest.approx(400, rel=0.01)


def test_greek_grid_input_gives_the_same_report_to_the_centimetre(ogc, two_zones):
    _, _, parcel = two_zones
    in_2100 = execute(ogc, "planning-report", {"parcel": mapping(parcel), "crs": CRS2100,
                                               "date": "2024-06-01"}).json()
    assert in_2100["area_m2"] == pytest.approx(parcel.area, abs=0.01)
    in_crs84 = execute(ogc, "planning-report", {"parcel": crs84(parcel),
                                                "date": "2024-06-01"}).json()
    assert [z["zone_id"] for z in in_2100["zones"]] == [z["zone_id"] for z in in_crs84["zones"]]


def test_the_plan_in_force_depends_on_the_date(ogc, demo_url):
    """Zones of the 2004 plan amended in 2015: the report on each date names the plan then."""
    (point,) = rows(demo_url, """
        SELECT ST_AsBinary(ST_PointOnSurface(old.geom)) FROM zoning old
        WHERE old.valid_to IS NOT NULL ORDER BY old.id LIMIT 1""")[0]
    where = crs84(shapely.from_wkb(bytes(point)))
    old = rows(demo_url, """SELECT zone_id, valid_to FROM zoning WHERE valid_to IS NOT NULL
        AND ST_Intersects(geom, ST_GeomFromWKB(%s, 2100))""", (point,))
    before = execute(ogc, "planning-report", {"location": where, "date": "2010-01-01"}).json()
    after = execute(ogc, "planning-report", {"location": where, "date": "2020-01-01"}).json()
    assert {z["zone_id"] for z in before["zones"]} >= {zone_id for zone_id, _ in old}
    assert not {z["zone_id"] for z in after["zones"]} & {zone_id for zone_id, _ in old}
    assert all(z["valid_to"] is None for z in after["zones"])
    assert before["date"] == "2010-01-01"


def test_settlement_boundary_and_nearby_permits(ogc, demo_url):
    (point, code, category) = rows(demo_url, """
        SELECT ST_AsBinary(ST_PointOnSurface(geom)), settlement_code, category FROM settlements
        WHERE category = 'town_plan' ORDER BY settlement_code LIMIT 1""")[0]
    expected = rows(demo_url, """SELECT permit_number FROM building_permits
        WHERE ST_DWithin(geom, ST_GeomFromWKB(%s, 2100), 150) AND issue_date <= '2024-06-01'""",
                    (point,))
    body = execute(ogc, "planning-report", {"location": crs84(shapely.from_wkb(bytes(point))),
                                            "radius": 150, "date": "2024-06-01"}).json()
    assert body["inside_settlement"] is True
    assert (code, category) in {(s["settlement_code"], s["category"]) for s in body["settlements"]}
    assert {p["permit_number"] for p in body["permits"]} == {number for (number,) in expected}
    distances = [p["distance_m"] for p in body["permits"]]
    assert distances == sorted(distances) and all(d <= 150.05 for d in distances)


def test_outside_every_settlement_and_zone(ogc):
    body = execute(ogc, "planning-report", {"location": {"type": "Point",
                                                         "coordinates": [24.62, 35.05]}}).json()
    assert body["inside_settlement"] is False and body["zones"] == []


def test_nearest_free_bays_are_sorted_with_distances_in_metres(ogc, demo_url):
    here = Point(24.4747, 35.3676)
    body = execute(ogc, "nearest", {"layer": "parking_bays", "count": 5,
                                    "location": mapping(here),
                                    "filter": "occupancy_state = 'free'"})
    assert body.status_code == 200, body.text
    features = body.json()["features"]
    expected = rows(demo_url, """
        SELECT bay_id, round(ST_Distance(geom, ST_Transform(ST_SetSRID(
            ST_MakePoint(%s, %s), 4326), 2100))::numeric, 1)
        FROM parking_bays WHERE occupancy_state = 'free'
        ORDER BY 2, id LIMIT 5""", (here.x, here.y))
    assert [(f["properties"]["bay_id"], f["properties"]["distance_m"]) for f in features] == \
        [(bay, float(d)) for bay, d in expected]
    assert {f["properties"]["occupancy_state"] for f in features} == {"free"}


def test_nearest_with_a_spatial_filter_in_crs84(ogc):
    here = {"type": "Point", "coordinates": [24.4747, 35.3676]}
    area = "S_WITHIN(geom, BBOX(24.47, 35.36, 24.48, 35.37))"
    features = execute(ogc, "nearest", {"layer": "refuge_areas", "location": here, "count": 50,
                                        "filter": area}).json()["features"]
    assert features
    for feature in features:
        x, y = feature["geometry"]["coordinates"][:2] if feature["geometry"]["type"] == "Point" \
            else shapely.geometry.shape(feature["geometry"]).centroid.coords[0]
        assert 24.47 <= x <= 24.48 and 35.36 <= y <= 35.37


def test_nearest_never_shows_private_fields(ogc):
    features = execute(ogc, "nearest", {"layer": "service_requests", "count": 20, "location":
                                        {"type": "Point", "coordinates": [24.4747, 35.3676]}}
                       ).json()["features"]
    assert len(features) == 20
    for feature in features:
        assert not {"reporter_name", "reporter_email", "reporter_phone"} & set(
            feature["properties"])


@pytest.mark.parametrize(("process", "inputs", "words"), [
    ("planning-report", {}, "exactly one of location"),
    ("planning-report", {"location": {"type": "Point", "coordinates": [24.4]}}, "coordinates"),
    ("planning-report", {"location": {"type": "Point", "coordinates": [350000, 4000000]}},
     "outside longitude"),
    ("planning-report", {"location": {"type": "Point", "coordinates": [24.47, 35.36]},
                         "crs": "EPSG:9999"}, "crs"),
    ("planning-report", {"location": {"type": "Point", "coordinates": [24.47, 35.36]},
                         "date": "yesterday"}, "ISO date"),
    ("planning-report", {"location": {"type": "Point", "coordinates": [24.47, 35.36]},
                         "radius": 50000}, "radius"),
    ("planning-report", {"parcel": {"type": "Polygon", "coordinates": [[[24.47, 35.36],
                         [24.48, 35.37], [24.48, 35.36], [24.47, 35.37], [24.47, 35.36]]]}},
     "invalid geometry"),
    ("planning-report", {"location": {"type": "LineString", "coordinates": [[24, 35], [25, 35]]}},
     "Point"),
    ("planning-report", {"location": {"type": "Point", "coordinates": [24.47, 35.36]},
                         "radious": 50}, "unknown input"),
    ("nearest", {"layer": "nope", "location": {"type": "Point", "coordinates": [24.47, 35.36]}},
     "not a layer"),
    ("nearest", {"layer": "parking_bays"}, "location"),
    ("nearest", {"layer": "parking_bays", "count": 0,
                 "location": {"type": "Point", "coordinates": [24.47, 35.36]}}, "count"),
    ("nearest", {"layer": "parking_bays", "filter": "occupancy_state = ",
                 "location": {"type": "Point", "coordinates": [24.47, 35.36]}}, "malformed CQL2"),
    ("nearest", {"layer": "service_requests", "filter": "reporter_email = 'a@b.gr'",
                 "location": {"type": "Point", "coordinates": [24.47, 35.36]}},
     "unknown property 'reporter_email'"),
])
def test_bad_input_is_a_400_naming_the_input(ogc, process, inputs, words):
    response = execute(ogc, process, inputs)
    assert response.status_code == 400, response.text
    assert words in response.json()["description"]
