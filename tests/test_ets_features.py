"""OGC API – Features Part 1 (17-069r4) and Part 2 (18-058r1) as the official test suite
(ets-ogcapi-features10, checklist ogc/ets/features10.txt) checks them, against the live server:
each test names the abstract tests it stands for; ogc/conformance.py maps the suite's lines here.

Items are read as the suite reads them: for every collection without parameters, with a limit
(the smallest allowed and a middle one), with bboxes (the collection's extent and the suite's
boxes across the meridian, the equator, the antimeridian and both poles) and with datetimes."""
from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
import requests
from openapi_spec_validator import validate

import layers
from gis.crs_uris import CRS_URIS
from tests.helpers import rows

GEOJSON = "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
CRS84 = CRS_URIS["CRS84"]
COLLECTIONS = [layer.id for layer in layers.COLLECTIONS]
#: the suite's boxes beside a collection's own extent (FeaturesBBox.collectionItemUrisWithBboxes)
WORLD_BOXES = {"meridian": "-1.5,50,1.5,53", "equator": "-80,-5,-70,5",
               "antimeridian": "177,65,-177,70", "north pole": "-180,85,180,90",
               "south pole": "-180,-90,180,-85"}
#: the media types features come in besides the one asked for (Features /conf/geojson, /conf/html)
FEATURE_TYPES = {GEOJSON, "text/html"}
OTHER_TYPES = {"application/json", "text/html"}


@pytest.fixture(scope="module")
def ogc(live_server):
    return f"{live_server}/ogc"


@pytest.fixture(scope="module")
def api(ogc):
    return requests.get(f"{ogc}/openapi", headers={"Accept": OPENAPI}, timeout=60).json()


@pytest.fixture(scope="module")
def collections(ogc):
    response = requests.get(f"{ogc}/collections", headers={"Accept": "application/json"},
                            timeout=60)
    assert response.status_code == 200
    return response.json()


def variants(collection: dict) -> dict[str, dict]:
    """The suite's item requests for one collection: name → query parameters."""
    (extent,) = collection["extent"]["spatial"]["bbox"]
    return {
        "no parameters": {},
        "limit=1": {"limit": 1},      # the schema's minimum
        "limit=100": {"limit": 100},  # between minimum and maximum, at most 100
        "bbox=extent": {"bbox": ",".join(map(str, extent))},
        **{f"bbox={name}": {"bbox": box} for name, box in WORLD_BOXES.items()},
        "datetime=instant": {"datetime": "2025-06-01T00:00:00Z"},
        "datetime=interval": {"datetime": "2024-01-01T00:00:00Z/2025-12-31T23:59:59Z"},
    }


@pytest.fixture(scope="module")
def items(ogc, collections):
    """collection id → variant → (its parameters, the answer, the time before and after it)."""
    answers = {}

    def read(collection_id):
        if collection_id not in answers:
            (collection,) = [c for c in collections["collections"] if c["id"] == collection_id]
            answers[collection_id] = {}
            for name, params in variants(collection).items():
                before = datetime.now(UTC)
                response = requests.get(f"{ogc}/collections/{collection_id}/items", params=params,
                                        headers={"Accept": GEOJSON}, timeout=60)
                after = datetime.now(UTC)
                assert response.status_code == 200, (collection_id, name, response.text)
                answers[collection_id][name] = (params, response.json(), before, after)
        return answers[collection_id]

    return read


def links(document, rel):
    return [link for link in document["links"] if link["rel"] == rel]


def test_the_landing_page_links_the_api_definition_conformance_and_data_over_http_1_1(ogc):
    """LandingPage (Abstract Tests 3, 4) and GeneralHttp (Abstract Test 1)."""
    response = requests.get(f"{ogc}/", headers={"Accept": "application/json"}, timeout=60)
    assert response.status_code == 200
    assert response.raw.version == 11  # HTTP/1.1
    relations = {link["rel"] for link in response.json()["links"]}
    assert {"service-desc", "service-doc"} & relations
    assert {"conformance", "data"} <= relations


def test_the_api_definition_is_a_valid_openapi_3_document_linked_as_service_desc(ogc):
    """ApiDefinition (Abstract Tests 5, 6): the service-desc link of the OpenAPI media type
    answers 200 with a valid OpenAPI 3.0 document."""
    landing = requests.get(ogc, params={"f": "json"}, timeout=60).json()
    (link,) = [link for link in links(landing, "service-desc")
               if link["type"].replace(" ", "") == OPENAPI]
    response = requests.get(link["href"], headers={"Accept": OPENAPI}, timeout=60)
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.0")
    validate(document)


def test_conformance_lists_features_core(ogc):
    """Conformance (Abstract Tests 7, 8)."""
    response = requests.get(f"{ogc}/conformance", headers={"Accept": "application/json"},
                            timeout=60)
    assert response.status_code == 200
    conforms_to = response.json()["conformsTo"]
    assert all(isinstance(uri, str) for uri in conforms_to)
    assert CORE in conforms_to


def test_collections_link_themselves_in_every_format_and_list_every_layer(collections):
    """FeatureCollections (Abstract Tests 9, 10, Test Methods 1–4)."""
    (self_link,) = links(collections, "self")
    assert self_link["type"] == "application/json"
    alternates = {link["type"] for link in links(collections, "alternate")}
    assert OTHER_TYPES - {self_link["type"]} <= alternates
    assert all(link.get("type") for link in collections["links"]
               if link["rel"] in ("self", "alternate"))
    assert [c["id"] for c in collections["collections"]] == COLLECTIONS
    for collection in collections["collections"]:  # every one is features with its items
        assert collection.get("itemType", "feature") == "feature"
        assert links(collection, "items"), collection["id"]
    if "crs" in collections:  # the default CRS comes first
        assert collections["crs"][0] in (CRS84, "http://www.opengis.net/def/crs/OGC/0/CRS84h")


@pytest.mark.parametrize("collection_id", COLLECTIONS)
def test_each_collection_is_described_as_in_the_collections_list(ogc, collections,
                                                                 collection_id):
    """FeatureCollection (Abstract Tests 11, 12): id, title, description and extent the same
    at /collections/{id} as in /collections; the extent is CRS84."""
    (listed,) = [c for c in collections["collections"] if c["id"] == collection_id]
    response = requests.get(f"{ogc}/collections/{collection_id}",
                            headers={"Accept": "application/json"}, timeout=60)
    assert response.status_code == 200
    described = response.json()
    for key in ("id", "title", "description", "extent"):
        assert described.get(key) == listed.get(key), key
    assert described["extent"]["spatial"].get("crs", CRS84) == CRS84


def items_parameters(api):
    """(path, parameters by name) of every items path of the API definition."""
    defined = api["components"]["parameters"]
    for path, item in api["paths"].items():
        if path.endswith("/items"):
            parameters = [defined[p["$ref"].rsplit("/", 1)[-1]] if "$ref" in p else p
                          for p in item["get"]["parameters"]]
            yield path, {p["name"]: p for p in parameters}


def test_limit_bbox_and_datetime_are_defined_as_the_standard_says(api):
    """FeaturesLimit (Abstract Test 16), FeaturesBBox (Abstract Test 14), FeaturesTime
    (Abstract Test 18): optional form query parameters, not exploded, of the right schema."""
    paths = dict(items_parameters(api))
    assert {f"/collections/{c}/items" for c in COLLECTIONS} <= set(paths)
    for path, parameters in paths.items():
        for name in ("limit", "bbox", "datetime"):
            parameter = parameters[name]
            assert parameter["in"] == "query" and not parameter.get("required"), (path, name)
            assert parameter.get("style", "form") == "form", (path, name)
            assert not parameter.get("explode", False), (path, name)
        limit = parameters["limit"]["schema"]
        assert limit["type"] == "integer" and limit["minimum"] >= 0 and limit["default"] >= 0
        assert limit["minimum"] <= limit["default"] <= limit["maximum"]
        bbox = parameters["bbox"]["schema"]
        assert (bbox["type"], bbox["minItems"], bbox["maxItems"]) == ("array", 4, 6)
        assert bbox["items"]["type"] == "number"
        assert parameters["datetime"]["schema"]["type"] == "string"


@pytest.mark.parametrize("collection_id", COLLECTIONS)
def test_items_are_a_feature_collection_linking_itself_in_every_format(items, collection_id):
    """Features, FeaturesLimit, FeaturesBBox, FeaturesTime (Abstract Test 13 /req/core/fc-op;
    22, Test Methods 1, 2, 4; 23 /req/core/fc-links, /req/core/fc-rel-type): every request
    answers 200 with a FeatureCollection whose self link is GeoJSON, with alternates in the
    other formats, and a next link exactly when more features match."""
    for name, (params, page, _, _) in items(collection_id).items():
        assert page["type"] == "FeatureCollection", name
        assert isinstance(page["features"], list), name
        (self_link,) = links(page, "self")
        assert self_link["type"] == GEOJSON, name
        alternates = {link["type"] for link in links(page, "alternate")}
        assert FEATURE_TYPES - {GEOJSON} <= alternates, name
        assert all(link.get("rel") and link.get("type") for link in page["links"]), name
        more = page["numberMatched"] > page["numberReturned"]
        assert bool(links(page, "next")) == more, name


@pytest.mark.parametrize("collection_id", COLLECTIONS)
def test_items_carry_the_time_they_were_answered(items, collection_id):
    """Abstract Test 22, Test Method 5 / Abstract Test 24 (/req/core/fc-timeStamp): an RFC 3339
    timeStamp between the request and the answer (a second either side for clocks)."""
    for name, (_, page, before, after) in items(collection_id).items():
        stamp = datetime.fromisoformat(page["timeStamp"].replace("Z", "+00:00"))
        assert stamp.tzinfo is not None, name
        assert before - timedelta(seconds=1) <= stamp <= after + timedelta(seconds=1), name


@pytest.mark.parametrize("collection_id", COLLECTIONS)
def test_number_returned_counts_the_features_of_the_page(items, collection_id):
    """Abstract Test 22, Test Method 7 / Abstract Test 26 (/req/core/fc-numberReturned)."""
    for name, (_, page, _, _) in items(collection_id).items():
        assert page["numberReturned"] == len(page["features"]), name


@pytest.mark.parametrize("collection_id", COLLECTIONS)
def test_number_matched_is_every_feature_the_request_selects(ogc, demo_url, items,
                                                             collection_id):
    """Abstract Test 22, Test Method 6 / Abstract Test 25 (/req/core/fc-numberMatched): the
    suite pages through all; here the last matched feature is at offset numberMatched - 1 and
    nothing after it. Without parameters it is the layer's row count."""
    (total,), = rows(demo_url, _count_sql(layers.collection(collection_id)))
    answers = items(collection_id)
    assert answers["no parameters"][1]["numberMatched"] == total
    assert answers["bbox=extent"][1]["numberMatched"] == total  # the extent holds them all
    for name in WORLD_BOXES:  # nothing in the demo lies beyond Crete
        assert answers[f"bbox={name}"][1]["numberMatched"] == 0, name
    if layers.collection(collection_id).temporal is None:  # no time: a datetime selects them all
        for name in ("datetime=instant", "datetime=interval"):
            assert answers[name][1]["numberMatched"] == total, name
    for name in ("limit=1", "datetime=instant", "datetime=interval"):
        params, page, _, _ = answers[name]
        matched = page["numberMatched"]
        url = f"{ogc}/collections/{collection_id}/items"
        if matched:
            last = requests.get(url, params={**params, "offset": matched - 1, "limit": 1},
                                timeout=60).json()
            assert last["numberReturned"] == 1, name
        after = requests.get(url, params={**params, "offset": matched, "limit": 1},
                             timeout=60).json()
        assert after["numberReturned"] == 0, name


def coordinates(geometry):
    """Every (x, y) of a GeoJSON geometry."""
    if geometry is None:
        return
    if geometry["type"] == "GeometryCollection":
        for part in geometry["geometries"]:
            yield from coordinates(part)
        return

    def walk(value):
        if isinstance(value[0], (int, float)):
            yield value[0], value[1]
        else:
            for inner in value:
                yield from walk(inner)

    yield from walk(geometry["coordinates"])


@pytest.mark.parametrize("collection_id", COLLECTIONS)
def test_geometries_are_crs84_within_the_collection_extent(items, collections, collection_id):
    """Abstract Test 2, Test Method 2 (/req/core/crs84), for every request: longitude first,
    inside the extent /collections declares (which is CRS84)."""
    (collection,) = [c for c in collections["collections"] if c["id"] == collection_id]
    (west, south, east, north), = collection["extent"]["spatial"]["bbox"]
    slack = 1e-6
    for name, (_, page, _, _) in items(collection_id).items():
        for feature in page["features"]:
            for x, y in coordinates(feature["geometry"]):
                assert west - slack <= x <= east + slack, (name, feature["id"])
                assert south - slack <= y <= north + slack, (name, feature["id"])


@pytest.mark.parametrize("collection_id", COLLECTIONS)
def test_a_limit_bounds_the_features_returned(items, collection_id):
    """FeaturesLimit (Abstract Test 17, /req/core/fc-limit-response); without one, the
    definition's default (10)."""
    answers = items(collection_id)
    for name in ("limit=1", "limit=100"):
        params, page, _, _ = answers[name]
        assert len(page["features"]) == min(params["limit"], page["numberMatched"]), name
    page = answers["no parameters"][1]
    assert len(page["features"]) == min(10, page["numberMatched"])


def intersects_box(geometry, box) -> bool:
    """Whether a geometry's envelope meets a CRS84 box (west > east: across the antimeridian)."""
    west, south, east, north = box
    points = list(coordinates(geometry))
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    if max(ys) < south or min(ys) > north:
        return False
    if west <= east:
        return not (max(xs) < west or min(xs) > east)
    return max(xs) >= west or min(xs) <= east


@pytest.mark.parametrize("collection_id", COLLECTIONS)
def test_features_in_a_bbox_meet_it(items, collection_id):
    """FeaturesBBox (Abstract Test 15, /req/core/fc-bbox-response): every feature of a bbox
    request meets the box, whether it crosses the antimeridian (west edge > east edge) or not."""
    for name, (params, page, _, _) in items(collection_id).items():
        if "bbox" in params:
            box = [float(v) for v in params["bbox"].split(",")]
            for feature in page["features"]:
                assert intersects_box(feature["geometry"], box), (name, feature["id"])


def test_a_box_across_the_antimeridian_is_its_two_halves(ogc, demo_url):
    """The antimeridian case of Abstract Test 15 where it holds features: from the middle of
    the bus stops east to -170° is what the box from there to 180° holds."""
    (middle,), = rows(demo_url, "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY "
                                "ST_X(ST_Transform(geom, 4326))) FROM bus_stops")
    url = f"{ogc}/collections/bus_stops/items"
    across = requests.get(url, params={"bbox": f"{middle},34.5,-170,36", "limit": 1000},
                          timeout=60).json()
    east = requests.get(url, params={"bbox": f"{middle},34.5,180,36", "limit": 1000},
                        timeout=60).json()
    everywhere = requests.get(url, params={"limit": 1000}, timeout=60).json()
    ids = {f["id"] for f in across["features"]}
    assert 0 < len(ids) < everywhere["numberMatched"]  # the box cuts through the stops
    assert ids == {f["id"] for f in east["features"]}


@pytest.mark.parametrize("params", [{"limit": "unlimited"}, {"limit": 0}, {"limit": 10001},
                                    {"bbox": "1,2,3"}, {"datetime": "yesterday"}],
                         ids=lambda params: "&".join(f"{k}={v}" for k, v in params.items()))
def test_an_invalid_parameter_value_is_a_400(ogc, params):
    """FeaturesErrorConditions (Abstract Test 20, /req/core/query-param-invalid): the suite
    sends limit=unlimited; other values no definition allows do the same."""
    response = requests.get(f"{ogc}/collections/zoning/items", params=params,
                            headers={"Accept": GEOJSON}, timeout=60)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "InvalidParameterValue"


def test_a_parameter_the_api_definition_does_not_name_is_a_free_form_one(ogc, api):
    """FeaturesErrorConditions (Abstract Test 21, /req/core/query-param-unknown): 400 is for a
    parameter "not specified in the API definition"; every items path specifies free-form
    parameters (an object schema in the query, pygeoapi's vendorSpecificParameters), which the
    suite skips. Such a parameter is ignored: the answer is that without it."""
    for path, parameters in items_parameters(api):
        free_form = [p for p in parameters.values()
                     if p["in"] == "query" and p["schema"].get("type") == "object"]
        assert free_form and free_form[0]["schema"].get("additionalProperties"), path
    url = f"{ogc}/collections/zoning/items"
    plain = requests.get(url, params={"limit": 5}, timeout=60).json()
    extra = requests.get(url, params={"limit": 5, "x-dimos-random": 1}, timeout=60)
    assert extra.status_code == 200
    assert [f["id"] for f in extra.json()["features"]] == [f["id"] for f in plain["features"]]


@pytest.mark.parametrize("collection_id", COLLECTIONS)
def test_a_feature_links_itself_in_every_format_and_its_collection(ogc, items, collection_id):
    """Feature (Abstract Tests 27, 28, 29: /req/core/f-op, f-success, f-links)."""
    (first,) = items(collection_id)["limit=1"][1]["features"]
    response = requests.get(f"{ogc}/collections/{collection_id}/items/{first['id']}",
                            headers={"Accept": GEOJSON}, timeout=60)
    assert response.status_code == 200
    feature = response.json()
    assert feature["type"] == "Feature" and feature["id"] == first["id"]
    (self_link,) = links(feature, "self")
    assert self_link["type"] == GEOJSON
    assert FEATURE_TYPES - {GEOJSON} <= {link["type"] for link in links(feature, "alternate")}
    (collection,) = links(feature, "collection")
    assert collection["href"].split("?")[0].endswith(f"/collections/{collection_id}")
    assert all(link.get("type") for link in feature["links"]
               if link["rel"] in ("self", "alternate", "collection"))


# Part 2: coordinate reference systems by reference

@pytest.mark.parametrize("collection_id", COLLECTIONS)
def test_each_collection_lists_its_crs_and_storage_crs_as_uris(collections, collection_id):
    """DiscoveryCollection(s)CrsUri, DefaultCrs, StorageCrs (18-058r1 Abstract Tests 1–3): the
    crs list holds URIs, CRS84 first (the default), and the storageCrs is one of them."""
    (collection,) = [c for c in collections["collections"] if c["id"] == collection_id]
    crs = collection["crs"]
    assert crs and all(uri.startswith("http://www.opengis.net/def/crs/") for uri in crs)
    assert crs[0] == CRS84
    assert collection["storageCrs"] in crs
    assert collection["storageCrs"] == CRS_URIS[layers.collection(collection_id).srid]
    if "crs" in collections:  # a global list: every collection's "#/crs" is resolved
        assert set(collections["crs"]) >= {uri for uri in crs if uri != "#/crs"}


def test_crs_part_2_is_declared(ogc):
    """CrsRequirementClassPrecondition: the suite runs Part 2 only when it is declared."""
    conforms_to = requests.get(f"{ogc}/conformance", params={"f": "json"},
                               timeout=60).json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conforms_to


def crs_of(response) -> str:
    return response.headers["Content-Crs"].strip("<>")


@pytest.mark.parametrize("crs", [CRS84, CRS_URIS[4326], CRS_URIS[2100], CRS_URIS[3857]])
def test_items_and_a_feature_in_each_crs_say_so_and_match_the_stored_coordinates(
        ogc, demo_url, crs):
    """FeaturesCrsParameter, FeatureCrsParameter (Abstract Tests 1, 4: crs, Content-Crs,
    GeoJSON) and their Transform tests (Abstract Test 7 /req/crs/crs-action): the coordinates
    are PostGIS's of the stored point, in the axis order of the CRS."""
    srid = 4326 if crs in (CRS84, CRS_URIS[4326]) else int(crs.rsplit("/", 1)[-1])
    url = f"{ogc}/collections/bus_stops/items"
    page = requests.get(url, params={"crs": crs, "limit": 1},
                        headers={"Accept": GEOJSON}, timeout=60)
    assert page.status_code == 200 and crs_of(page) == crs
    (feature,) = page.json()["features"]
    one = requests.get(f"{url}/{feature['id']}", params={"crs": crs},
                       headers={"Accept": GEOJSON}, timeout=60)
    assert one.status_code == 200 and crs_of(one) == crs
    (x, y), = rows(demo_url, "SELECT ST_X(g), ST_Y(g) FROM (SELECT ST_Transform(geom, %s) g "
                             "FROM bus_stops WHERE id = %s) t", (srid, feature["id"]))
    expected = (y, x) if crs == CRS_URIS[4326] else (x, y)
    tolerance = 1e-7 if srid == 4326 else 0.01
    for answer in (feature, one.json()):
        got = answer["geometry"]["coordinates"]
        assert all(math.isclose(a, b, abs_tol=tolerance) for a, b in zip(got, expected)), crs


def test_without_crs_items_and_a_feature_are_crs84(ogc):
    """FeaturesCrsParameterDefault, FeatureCrsParameterDefault (Abstract Test 6)."""
    url = f"{ogc}/collections/bus_stops/items"
    page = requests.get(url, params={"limit": 1}, headers={"Accept": GEOJSON}, timeout=60)
    assert crs_of(page) == CRS84
    (feature,) = page.json()["features"]
    one = requests.get(f"{url}/{feature['id']}", headers={"Accept": GEOJSON}, timeout=60)
    assert crs_of(one) == CRS84


@pytest.mark.parametrize("path", ["items", "items/1"])
def test_a_crs_not_offered_is_a_400(ogc, path):
    """FeaturesCrsParameterInvalid (Abstract Test 5), FeatureCrsParameterInvalid
    (/req/crs/fc-crs-valid-value)."""
    response = requests.get(f"{ogc}/collections/bus_stops/{path}",
                            params={"crs": "http://www.opengis.net/def/crs/EPSG/0/32661"},
                            headers={"Accept": GEOJSON}, timeout=60)
    assert response.status_code == 400


def test_a_bbox_in_another_crs_selects_what_its_crs84_twin_does(ogc, demo_url):
    """BBoxCrsParameter (Abstract Test 8), BBoxCrsParameterDefault (Abstract Test 10): a bbox
    in EPSG:2100 or EPSG:4326 (latitude first) selects what the same box in CRS84 does, and
    without bbox-crs a bbox is CRS84."""
    (x1, y1, x2, y2), = rows(demo_url, """
        SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (SELECT ST_Expand(
            ST_Extent(geom), -300) b FROM bus_stops) t""")
    url = f"{ogc}/collections/bus_stops/items"
    in_grid = requests.get(url, params={"bbox": f"{x1},{y1},{x2},{y2}", "limit": 1000,
                                        "bbox-crs": CRS_URIS[2100]}, timeout=60).json()
    expected = {row[0] for row in rows(demo_url, """
        SELECT id FROM bus_stops WHERE ST_Intersects(geom, ST_MakeEnvelope(%s, %s, %s, %s,
            2100))""", (x1, y1, x2, y2))}
    (total,), = rows(demo_url, "SELECT count(*) FROM bus_stops")
    assert 0 < len(expected) < total
    assert {f["id"] for f in in_grid["features"]} == expected
    west, south, east, north = 24.40, 35.30, 24.50, 35.40
    by_default = requests.get(url, params={"bbox": f"{west},{south},{east},{north}",
                                           "limit": 1000}, timeout=60).json()
    latitude_first = requests.get(url, params={"bbox": f"{south},{west},{north},{east}",
                                               "bbox-crs": CRS_URIS[4326], "limit": 1000},
                                  timeout=60).json()
    named = requests.get(url, params={"bbox": f"{west},{south},{east},{north}",
                                      "bbox-crs": CRS84, "limit": 1000}, timeout=60).json()
    ids = {f["id"] for f in by_default["features"]}
    assert ids and ids == {f["id"] for f in latitude_first["features"]}
    assert ids == {f["id"] for f in named["features"]}


def test_a_bbox_crs_not_offered_is_a_400(ogc):
    """BBoxCrsParameterInvalid (Abstract Test 9)."""
    response = requests.get(f"{ogc}/collections/bus_stops/items",
                            params={"bbox": "0,0,1,1",
                                    "bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/32661"},
                            timeout=60)
    assert response.status_code == 400


def _count_sql(layer) -> str:
    """The rows of a collection: its table, or its geometry type's part of a shared table."""
    confined = f" WHERE GeometryType(geom) = '{layer.geometry_filter}'" \
        if layer.geometry_filter else ""
    return f"SELECT count(*) FROM {layer.table}{confined}"
