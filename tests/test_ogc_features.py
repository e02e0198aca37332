"""OGC API Features through pygeoapi, with real clients: OWSLib and GDAL's OAPIF driver."""
from __future__ import annotations

import json
import subprocess

import pytest
import requests
import shapely
from owslib.ogcapi.features import Features
from pyproj import Transformer
from shapely.geometry import shape

import layers
from tests.helpers import rows as db_rows

CRS2100 = "http://www.opengis.net/def/crs/EPSG/0/2100"
CRS4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
CRS3857 = "http://www.opengis.net/def/crs/EPSG/0/3857"
TO_2100 = Transformer.from_crs(4326, 2100, always_xy=True)


@pytest.fixture(scope="module")
def ogc(live_server):
    return f"{live_server}/ogc"


def get(url, **params):
    params.setdefault("f", "json")
    return requests.get(url, params=params, timeout=60)


def test_every_catalogue_layer_is_a_collection_with_greek_and_english_titles(ogc):
    el = {c["id"]: c["title"] for c in get(f"{ogc}/collections", lang="el").json()["collections"]}
    en = {c["id"]: c["title"] for c in get(f"{ogc}/collections", lang="en").json()["collections"]}
    for layer in layers.COLLECTIONS:
        assert el[layer.id] == layer.title_el
        assert en[layer.id] == layer.title_en


def test_owslib_lists_collections_and_reads_items_with_bbox_and_filter(ogc):
    client = Features(ogc)
    ids = {c["id"] for c in client.collections()["collections"]}
    assert {layer.id for layer in layers.COLLECTIONS} <= ids
    bays = client.collection_items("parking_bays", bbox=[24.470, 35.365, 24.480, 35.372],
                                   limit=50)
    assert 0 < len(bays["features"]) <= 50
    for feature in bays["features"]:
        minx, miny, maxx, maxy = shape(feature["geometry"]).bounds
        assert 24.46 < minx and maxx < 24.49 and 35.36 < miny and maxy < 35.38
    free = client.collection_items("parking_bays", filter="occupancy_state = 'free'", limit=1000)
    assert free["features"]
    assert {f["properties"]["occupancy_state"] for f in free["features"]} == {"free"}


#: ogrinfo's names of the catalogue's geometry types
OGR_TYPES = {"Point": "Point", "LineString": "Line String", "Polygon": "Polygon",
             "MultiPolygon": "Multi Polygon"}


@pytest.mark.parametrize("layer", layers.COLLECTIONS, ids=lambda layer: layer.id)
def test_gdal_reads_every_collection_completely_with_its_one_geometry_type(ogc, demo_url, layer):
    # GDAL types an OAPIF layer from its first page: one mixed page once hid the point permits
    proc = subprocess.run(
        ["ogrinfo", "-ro", "-al", "-so", "-oo", "PAGE_SIZE=1000", f"OAPIF:{ogc}", layer.id],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert f"Geometry: {OGR_TYPES[layer.geometry_type]}" in lines, proc.stdout[:800]
    count = [line for line in lines if line.startswith("Feature Count:")]
    one_type = f" WHERE GeometryType(geom) = '{layer.geometry_filter}'" \
        if layer.geometry_filter else ""  # the catalogue's names, not input
    (expected,) = db_rows(demo_url, f"SELECT count(*) FROM {layer.table}{one_type}")[0]
    assert expected > 0
    assert count == [f"Feature Count: {expected}"], proc.stdout[-500:]


def test_ogr2ogr_copies_zoning_into_a_greek_grid_geopackage(ogc, demo_url, tmp_path):
    target = tmp_path / "zoning.gpkg"
    proc = subprocess.run(
        ["ogr2ogr", "-f", "GPKG", str(target), f"OAPIF:{ogc}", "zoning", "-oo", "PAGE_SIZE=1000",
         "-t_srs", "EPSG:2100"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    info = subprocess.run(["ogrinfo", "-ro", "-so", str(target), "zoning"], capture_output=True,
                          text=True, timeout=60).stdout
    (expected,) = db_rows(demo_url, "SELECT count(*) FROM zoning")[0]
    assert f"Feature Count: {expected}" in info
    assert 'ID["EPSG",2100]' in info


def test_a_planner_gets_zones_in_greek_grid_matching_the_stored_coordinates(ogc, demo_url):
    answer = get(f"{ogc}/collections/zoning/items", crs=CRS2100, limit=20)
    assert answer.status_code == 200
    assert answer.headers["Content-Crs"] == f"<{CRS2100}>"
    for feature in answer.json()["features"]:
        (wkt,) = db_rows(demo_url, "SELECT ST_AsText(geom) FROM zoning WHERE id = %s",
                         (feature["id"],))[0]
        served = shape(feature["geometry"])
        assert served.equals_exact(shapely.from_wkt(wkt), tolerance=0.01)  # 1 cm


def test_epsg_4326_is_served_latitude_first_and_crs84_longitude_first(ogc):
    lat_first = get(f"{ogc}/collections/bus_stops/items", crs=CRS4326, limit=1).json()
    lon_first = get(f"{ogc}/collections/bus_stops/items", limit=1).json()
    lat, lon = lat_first["features"][0]["geometry"]["coordinates"]
    assert lon_first["features"][0]["geometry"]["coordinates"] == pytest.approx([lon, lat])
    assert 35.2 < lat < 35.5 and 24.2 < lon < 24.8


def test_web_mercator_output_is_postgis_s_reprojection_and_a_3857_bbox_selects(ogc, demo_url):
    answer = get(f"{ogc}/collections/bus_stops/items", crs=CRS3857, limit=20)
    assert answer.status_code == 200
    assert answer.headers["Content-Crs"] == f"<{CRS3857}>"
    features = answer.json()["features"]
    assert features
    for feature in features:
        (x, y), = db_rows(demo_url, "SELECT ST_X(g), ST_Y(g) FROM (SELECT ST_Transform(geom, "
                                    "3857) AS g FROM bus_stops WHERE id = %s) AS t",
                          (feature["id"],))
        assert feature["geometry"]["coordinates"] == pytest.approx([x, y], abs=0.01)  # 1 cm
    # a box of 20 m around the first stop, in Web Mercator metres, selects it
    x, y = features[0]["geometry"]["coordinates"]
    around = get(f"{ogc}/collections/bus_stops/items", bbox=f"{x - 10},{y - 10},{x + 10},{y + 10}",
                 crs=CRS3857, **{"bbox-crs": CRS3857, "limit": 1000}).json()["features"]
    assert features[0]["id"] in {f["id"] for f in around}
    for feature in around:
        fx, fy = feature["geometry"]["coordinates"]
        assert abs(fx - x) <= 10 and abs(fy - y) <= 10, feature["id"]


def test_bbox_in_greek_grid_with_bbox_crs(ogc):
    in_2100 = get(f"{ogc}/collections/parking_bays/items", bbox="542500,3913500,543500,3914500",
                  **{"bbox-crs": CRS2100, "limit": 1000}).json()
    assert in_2100["features"]
    for feature in in_2100["features"]:
        centroid = shape(feature["geometry"]).centroid
        x, y = TO_2100.transform(centroid.x, centroid.y)
        assert 542490 < x < 543510 and 3913490 < y < 3914510


def test_a_bbox_edge_a_few_centimetres_off_a_point_is_exact(ogc, demo_url):
    # the index compares single-precision boxes (0.25 m steps at these northings): the exact
    # test behind it must still leave out a stop 3 cm beyond the bbox's edge
    stop_id, x, y = db_rows(demo_url, "SELECT id, ST_X(geom), ST_Y(geom) FROM bus_stops "
                                      "ORDER BY id LIMIT 1")[0]

    def ids(minx, miny, maxx, maxy):
        found = get(f"{ogc}/collections/bus_stops/items", bbox=f"{minx},{miny},{maxx},{maxy}",
                    **{"bbox-crs": CRS2100, "limit": 1000}).json()["features"]
        return {f["id"] for f in found}

    assert stop_id in ids(x - 10, y - 10, x + 0.03, y + 0.03)
    assert stop_id not in ids(x - 10, y + 0.03, x + 10, y + 10)
    assert stop_id not in ids(x + 0.03, y - 10, x + 10, y + 10)


def test_zones_with_coefficient_above_1_2_intersecting_a_drawn_polygon(ogc, demo_url):
    polygon = "POLYGON((24.470 35.365,24.480 35.365,24.480 35.372,24.470 35.372,24.470 35.365))"
    answer = get(f"{ogc}/collections/zoning/items", limit=1000, skipGeometry="true",
                 filter=f"building_coefficient > 1.2 AND S_INTERSECTS(geometry, {polygon})")
    assert answer.status_code == 200, answer.text
    served = {f["properties"]["zone_id"] for f in answer.json()["features"]}
    expected = {row[0] for row in db_rows(demo_url, """
        SELECT zone_id FROM zoning WHERE building_coefficient > 1.2 AND ST_Intersects(
          geom, ST_Transform(ST_GeomFromText(%s, 4326), 2100))""",
        (polygon,))}
    assert served and served == expected


def test_envelope_literal_selects_what_the_bbox_parameter_does(ogc):
    bbox = "542500,3913500,543500,3914500"
    by_param = get(f"{ogc}/collections/parking_bays/items", bbox=bbox, limit=1000,
                   **{"bbox-crs": CRS2100}).json()
    by_filter = get(f"{ogc}/collections/parking_bays/items", limit=1000,
                    filter=f"S_INTERSECTS(geometry, BBOX({bbox}))",
                    **{"filter-crs": CRS2100}).json()
    ids = {f["id"] for f in by_param["features"]}
    assert ids and ids == {f["id"] for f in by_filter["features"]}


def test_s_dwithin_takes_metres_in_text_and_json(ogc, demo_url):
    point = (24.4735, 35.3695)
    text = get(f"{ogc}/collections/service_requests/items", limit=1000, skipGeometry="true",
               filter=f"S_DWITHIN(geometry, POINT({point[0]} {point[1]}), 50, meters)").json()
    cql_json = {"op": "s_dwithin", "args": [{"property": "geometry"},
                                           {"type": "Point", "coordinates": list(point)}, 50]}
    posted = requests.post(f"{ogc}/collections/service_requests/items",
                           params={"f": "json", "limit": 1000, "skipGeometry": "true"},
                           data=json.dumps(cql_json),
                           headers={"Content-Type": "application/query-cql-json"}, timeout=60)
    expected = {row[0] for row in db_rows(demo_url, """
        SELECT service_request_id FROM service_requests WHERE ST_DWithin(
          geom, ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), 2100), 50)""", point)}
    assert expected
    assert {f["properties"]["service_request_id"] for f in text["features"]} == expected
    assert {f["properties"]["service_request_id"] for f in posted.json()["features"]} == expected


@pytest.mark.parametrize("params, words", [
    ({"filter": "building_coefficient >"}, "CQL"),
    ({"filter": "no_such_field = 1"}, "no_such_field"),
    ({"filter": "reporter_email = 'a@b.gr'"}, "reporter_email"),
    ({"crs": "http://www.opengis.net/def/crs/EPSG/0/9999"}, "CRS"),
    ({"bbox": "24.48,35.36,24.47,35.37"}, "bbox"),
    ({"bbox": "24.47,35.37,24.48,35.36"}, "miny"),
    ({"limit": "100000"}, "Limit"),
    ({"sortby": "no_such_field"}, "sortby"),
    ({"properties": "reporter_name"}, "properties"),
])
def test_bad_input_is_a_400_naming_the_problem(ogc, params, words):
    collection = "zoning" if "reporter" not in str(params) else "service_requests"
    answer = get(f"{ogc}/collections/{collection}/items", **params)
    assert answer.status_code == 400, answer.text
    assert words.lower() in answer.json()["description"].lower()


def test_filters_too_heavy_for_the_database_are_refused_before_they_run(ogc):
    def post(cql_json):
        return requests.post(f"{ogc}/collections/zoning/items", params={"f": "json"},
                             data=json.dumps(cql_json), timeout=60,
                             headers={"Content-Type": "application/query-cql-json"})

    many = post({"op": "or", "args": [{"op": "=", "args": [{"property": "zone_code"}, str(i)]}
                                      for i in range(150)]})
    assert many.status_code == 400 and "conditions" in many.json()["description"]
    ring = shapely.Point(24.47, 35.37).buffer(0.01, quad_segs=3000).exterior.coords
    huge = post({"op": "s_intersects", "args": [
        {"property": "geometry"}, {"type": "Polygon", "coordinates": [list(map(list, ring))]}]})
    assert huge.status_code == 400 and "vertices" in huge.json()["description"]


def test_citizens_personal_data_never_appears_in_the_ogc_api(ogc, demo_url):
    feature_id, *private = db_rows(demo_url, """
        SELECT r.id, p.reporter_name, p.reporter_email, p.reporter_phone
        FROM service_requests_private p JOIN service_requests r ON r.id = p.feature_id
        WHERE r.id = (SELECT min(id) FROM service_requests)""")[0]
    # the very request whose reporter is checked for, found (a 404 body would hold nothing)
    one = get(f"{ogc}/collections/service_requests/items/{feature_id}")
    assert one.status_code == 200 and one.json()["id"] == feature_id, one.text[:300]
    bodies = [
        get(f"{ogc}/collections/service_requests/items", limit=500).text,
        get(f"{ogc}/collections/service_requests/queryables").text,
        get(f"{ogc}/collections/service_requests/schema").text,
        one.text,
        get(f"{ogc}/collections/service_requests/items", limit=5, f="html").text,
        get(f"{ogc}/openapi").text,
    ]
    for body in bodies:
        assert "reporter_" not in body
        for value in private:
            assert value not in body


def test_paging_links_sorting_and_properties(ogc):
    first = get(f"{ogc}/collections/building_permits/items", limit=5,
                sortby="-issue_date", properties="permit_number,issue_date").json()
    assert first["numberReturned"] == 5
    dates = [f["properties"]["issue_date"] for f in first["features"]]
    assert dates == sorted(dates, reverse=True)
    assert set(first["features"][0]["properties"]) == {"permit_number", "issue_date"}
    next_link = next(link["href"] for link in first["links"] if link["rel"] == "next")
    assert "cursor=" in next_link  # keyset paging: tests/test_paging.py
    second = requests.get(next_link, timeout=60).json()
    assert {f["id"] for f in second["features"]}.isdisjoint({f["id"] for f in first["features"]})
    assert second["features"][0]["properties"]["issue_date"] <= dates[-1]
    # a page by offset links its previous page; a page by cursor has none (OGC: optional)
    by_offset = get(f"{ogc}/collections/building_permits/items", limit=5, offset=5,
                    sortby="-issue_date").json()
    assert any(link["rel"] == "prev" for link in by_offset["links"])


def test_datetime_selects_the_zones_in_force_on_a_date(ogc):
    def zone_ids(date):
        body = get(f"{ogc}/collections/zoning/items", datetime=date, limit=1000,
                   skipGeometry="true", properties="zone_id").json()
        return {f["properties"]["zone_id"] for f in body["features"]}

    before, after = zone_ids("2010-06-01"), zone_ids("2020-06-01")
    assert any(z.startswith("GPS-2004/") for z in before - after)  # superseded in 2015
    assert any(z.startswith("GPS-2015/") for z in after - before)  # the amendment's zones


def test_one_item_by_id_in_json_and_html(ogc):
    feature = get(f"{ogc}/collections/settlements/items", limit=1).json()["features"][0]
    one = get(f"{ogc}/collections/settlements/items/{feature['id']}").json()
    assert one["properties"] == feature["properties"]
    page = get(f"{ogc}/collections/settlements/items/{feature['id']}", f="html")
    # the page declares <meta charset="utf-8">; its Content-Type header has no charset
    assert page.status_code == 200 and feature["properties"]["name"] in page.content.decode()
    assert get(f"{ogc}/collections/settlements/items/999999999").status_code == 404
