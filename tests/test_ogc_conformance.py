"""What /ogc/conformance declares, and a test for each class that the others do not cover:
the landing page and HTML pages working offline, OpenAPI, queryables, CQL2 JSON, advanced
comparisons, every spatial function, tilesets."""
from __future__ import annotations

import ast
import importlib
import json
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
import requests

import layers
from gis.crs_uris import CRS_URIS
from ogc import conformance
from ogc.conformance import CLASSES, NOT_APPLICABLE, PENDING, TESTED
from tests.helpers import rows

POLYGON = "POLYGON((24.470 35.365,24.480 35.365,24.480 35.372,24.470 35.372,24.470 35.365))"
CDN_HOSTS = ("unpkg.com", "cdn.jsdelivr.net", "cdnjs.cloudflare.com", "code.jquery.com",
             "fonts.googleapis.com", "stackpath.bootstrapcdn.com")


@pytest.fixture(scope="module")
def ogc(live_server):
    return f"{live_server}/ogc"


class Assets(HTMLParser):
    """URLs a browser loads to show a page: scripts, images, style sheets, icons."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img", "iframe", "source") and attrs.get("src"):
            self.urls.append(attrs["src"])
        rel = (attrs.get("rel") or "").lower()
        if tag == "link" and attrs.get("href") and ("stylesheet" in rel or "icon" in rel):
            self.urls.append(attrs["href"])


def assets(html: str) -> list[str]:
    parser = Assets()
    parser.feed(html)
    return parser.urls


def get(url, **params):
    params.setdefault("f", "json")
    return requests.get(url, params=params, timeout=60)


def test_conformance_declares_exactly_the_classes_with_a_test(ogc):
    served = set(get(f"{ogc}/conformance").json()["conformsTo"])
    assert served == set(CLASSES)
    # /ogc/asyncapi follows the OGC API - Pub/Sub draft: nothing of it is declared
    assert [uri for uri in served if "pubsub" in uri] == []
    for uri, test in CLASSES.items():
        module, function = test.split("::")
        assert callable(getattr(importlib.import_module(f"tests.{module}"), function, None)), uri


ETS = Path(conformance.__file__).parent / "ets"


def defined_tests(module: str) -> set[str]:
    """The test functions a module of tests/ defines (read, not imported)."""
    tree = ast.parse((Path(__file__).parent / f"{module}.py").read_text())
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)
            and node.name.startswith("test_")}


def test_every_checklist_line_is_mapped_and_declared_classes_are_those_fully_tested(ogc):
    """ogc/ets/*.txt (the OGC suites' tests): every line maps to existing tests of ours or to
    a reason it does not apply, none is pending (no test yet); a class whose lines all map to
    tests is declared, one with a line that does not apply is not."""
    served = set(get(f"{ogc}/conformance").json()["conformsTo"])
    by_class: dict[str, set[str]] = {}
    for path in sorted(ETS.glob("*.txt")):
        lines = path.read_text().splitlines()
        mapping = conformance.checklist(path.name, lines)
        assert [line for line in lines if line and not line.startswith("#")
                and mapping.get(line) is None] == [], path.name
        for line, (conf, kind, detail) in mapping.items():
            by_class.setdefault(conf, set()).add(kind)
            if kind == TESTED:
                assert detail, line
                for test in detail:
                    module, function = test.split("::")
                    assert function in defined_tests(module), (line, test)
            else:
                assert kind != PENDING, f"{path.name}: {line}: {detail} (pending)"
                assert kind == NOT_APPLICABLE and detail.strip(), line
    for conf, kinds in by_class.items():
        if kinds == {TESTED}:
            assert conf in served, f"{conf}: every line passes, declare it"
        elif NOT_APPLICABLE in kinds:
            assert conf not in served, f"{conf}: a line does not apply, do not declare it"


def test_landing_page_links_and_every_html_page_works_offline(ogc, live_server):
    landing = get(ogc).json()
    relations = {link["rel"] for link in landing["links"]}
    assert {"service-desc", "conformance", "data"} <= relations
    zone = get(f"{ogc}/collections/zoning/items", limit=1).json()["features"][0]["id"]
    pages = [ogc, f"{ogc}/collections", f"{ogc}/collections/zoning",
             f"{ogc}/collections/zoning/items", f"{ogc}/collections/zoning/items/{zone}",
             f"{ogc}/collections/zoning/queryables", f"{ogc}/collections/zoning/tiles",
             f"{ogc}/conformance", f"{ogc}/processes", f"{ogc}/processes/planning-report",
             f"{ogc}/openapi", f"{ogc}/TileMatrixSets"]
    origin = urlparse(live_server).netloc
    checked = set()
    for page in pages:
        html = get(page, f="html")
        assert html.status_code == 200, page
        text = html.content.decode()
        assert not [host for host in CDN_HOSTS if host in text], page
        for src in assets(text):
            asset = urljoin(page, src)
            if urlparse(asset).scheme in ("http", "https") and asset not in checked:
                # the configured public URL may name another host: compare paths on ours
                assert urlparse(asset).netloc in (origin, "127.0.0.1:5000"), (page, asset)
                local = f"{live_server}{urlparse(asset).path}"
                assert requests.get(local, timeout=30).status_code == 200, (page, asset)
                checked.add(asset)
    assert any("/vendor/leaflet/" in asset for asset in checked)
    assert any("/vendor/swagger-ui-dist/" in asset for asset in checked)


def test_openapi_describes_every_collection_and_process(ogc):
    document = requests.get(f"{ogc}/openapi", params={"f": "json"}, timeout=60).json()
    assert document["openapi"].startswith("3.0")
    paths = document["paths"]
    for layer in layers.CATALOGUE:
        assert f"/collections/{layer.id}/items" in paths, layer.id
    for process in ("planning-report", "nearest"):
        assert f"/processes/{process}/execution" in paths


def test_queryables_list_the_public_fields_only(ogc):
    for layer in layers.CATALOGUE:
        queryables = get(f"{ogc}/collections/{layer.id}/queryables").json()["properties"]
        public = {f.name for f in layer.public_fields}
        assert public <= set(queryables), layer.id
        assert not {f.name for f in layer.private_fields} & set(queryables), layer.id


def test_a_queryable_as_a_query_parameter_filters(ogc, demo_url):
    free = get(f"{ogc}/collections/parking_bays/items", occupancy_state="free",
               limit=1000).json()
    (expected,), = rows(demo_url, "SELECT count(*) FROM parking_bays "
                                  "WHERE occupancy_state = 'free'")
    (total,), = rows(demo_url, "SELECT count(*) FROM parking_bays")
    assert 0 < expected < total  # a filter that selects some bays, not none nor all
    assert len(free["features"]) == expected
    assert {f["properties"]["occupancy_state"] for f in free["features"]} == {"free"}


def test_cql2_json_and_text_select_the_same_features(ogc, demo_url):
    text = "building_coefficient > 1.2 AND land_use = 'general_residential'"
    as_json = {"op": "and", "args": [
        {"op": ">", "args": [{"property": "building_coefficient"}, 1.2]},
        {"op": "=", "args": [{"property": "land_use"}, "general_residential"]}]}
    by_text = get(f"{ogc}/collections/zoning/items", filter=text, limit=1000).json()
    by_json = get(f"{ogc}/collections/zoning/items", filter=json.dumps(as_json),
                  **{"filter-lang": "cql2-json", "limit": 1000}).json()
    ids = {f["id"] for f in by_text["features"]}
    (total,), = rows(demo_url, "SELECT count(*) FROM zoning")
    assert 0 < len(ids) < total  # a filter that selects some zones, not none nor all
    assert ids == {f["id"] for f in by_json["features"]}


@pytest.mark.parametrize("cql, where", [
    ("address LIKE 'Διογένους%'", "address LIKE 'Διογένους%%'"),
    ("floors BETWEEN 2 AND 3", "floors BETWEEN 2 AND 3"),
    ("permit_type IN ('demolition', 'legalisation')",
     "permit_type IN ('demolition', 'legalisation')"),
    ("NOT (status = 'issued') AND address IS NULL", "NOT (status = 'issued') AND address IS NULL"),
])
def test_like_between_and_in_match_postgresql(ogc, demo_url, cql, where):
    served = get(f"{ogc}/collections/building_permits/items", filter=cql, limit=10000,
                 skipGeometry="true")
    assert served.status_code == 200, served.text
    expected = {row[0] for row in rows(demo_url,
                                       f"SELECT id FROM building_permits WHERE ({where}) "
                                       "AND GeometryType(geom) = 'MULTIPOLYGON'")}
    (total,), = rows(demo_url, "SELECT count(*) FROM building_permits "
                               "WHERE GeometryType(geom) = 'MULTIPOLYGON'")
    assert 0 < len(expected) < total, "the operator must select some permits, not none nor all"
    assert {f["id"] for f in served.json()["features"]} == expected


@pytest.fixture(scope="module")
def filter_geometries(demo_url) -> dict[str, tuple[str, int]]:
    """Geometries for which each spatial function holds for some zones and not for others:
    name → (WKT, SRID). Equality and touching need the stored coordinates exactly, so those
    come from the zoning layer itself, in its own CRS (EPSG:2100), through filter-crs."""
    (twin,), = rows(demo_url, """
        SELECT ST_AsText(a.geom) FROM zoning a JOIN zoning b ON a.id <> b.id
            AND ST_Equals(a.geom, b.geom) ORDER BY ST_NPoints(a.geom), a.id LIMIT 1""")
    return {
        "old town": (POLYGON, 4326),
        "a larger rectangle": ("POLYGON((24.460 35.360,24.490 35.360,24.490 35.375,"
                               "24.460 35.375,24.460 35.360))", 4326),
        "a point in a zone": ("POINT(24.475 35.368)", 4326),
        "a line across zones": ("LINESTRING(24.470 35.365,24.480 35.372)", 4326),
        "a zone with an equal twin": (twin, 2100),
    }


@pytest.mark.parametrize("function, geometry", [
    ("S_INTERSECTS", "old town"), ("S_DISJOINT", "old town"), ("S_OVERLAPS", "old town"),
    ("S_WITHIN", "a larger rectangle"), ("S_CONTAINS", "a point in a zone"),
    ("S_CROSSES", "a line across zones"), ("S_TOUCHES", "a zone with an equal twin"),
    ("S_EQUALS", "a zone with an equal twin")])
def test_every_spatial_function_matches_postgis(ogc, demo_url, filter_geometries, function,
                                                geometry):
    wkt, srid = filter_geometries[geometry]
    sql_function = "ST_" + function[2:].title()
    served = get(f"{ogc}/collections/zoning/items", limit=1000, skipGeometry="true",
                 filter=f"{function}(geometry, {wkt})",
                 **{"filter-crs": CRS_URIS[srid]} if srid != 4326 else {})
    assert served.status_code == 200, served.text
    expected = {row[0] for row in rows(demo_url, f"""
        SELECT id FROM zoning WHERE {sql_function}(geom,
            ST_Transform(ST_GeomFromText(%s, %s), 2100))""", (wkt, srid))}
    (total,), = rows(demo_url, "SELECT count(*) FROM zoning")
    assert 0 < len(expected) < total, f"{function} with {geometry} must hold for some zones only"
    assert {f["id"] for f in served.json()["features"]} == expected


def test_tilesets_list_and_tileset_metadata(ogc):
    tilesets = get(f"{ogc}/collections/parking_bays/tiles").json()["tilesets"]
    assert [t["tileMatrixSetURI"].rsplit("/", 1)[-1] for t in tilesets] == ["WebMercatorQuad"]
    metadata = get(f"{ogc}/collections/parking_bays/tiles/WebMercatorQuad/metadata").json()
    assert metadata["tileMatrixSetURI"].endswith("WebMercatorQuad")
    assert get(f"{ogc}/TileMatrixSets/WebMercatorQuad").status_code == 200


PART5 = "http://www.opengis.net/def/rel/ogc/1.0/"


def test_owslib_reads_the_schema_queryables_and_sortables_of_every_collection(ogc):
    from jsonschema import Draft202012Validator
    from owslib.ogcapi.features import Features

    client = Features(ogc)
    for layer in layers.CATALOGUE:
        schema = client.collection_schema(layer.id)
        queryables = client.collection_queryables(layer.id)
        sortables = client._request(path=f"collections/{layer.id}/sortables")
        for document in (schema, queryables, sortables):
            Draft202012Validator.check_schema(document)
            assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
            assert not {f.name for f in layer.private_fields} & set(document["properties"])
        properties = schema["properties"]
        public = {f.name for f in layer.public_fields}
        assert set(properties) == public | {"id", "geometry"}, layer.id
        assert properties["id"] == {"title": "Αναγνωριστικό", "type": "integer",
                                    "x-ogc-role": "id", "readOnly": True}
        assert properties["geometry"]["x-ogc-role"] == "primary-geometry"
        if layer.geometry_type != "Geometry":
            assert properties["geometry"]["format"] == f"geometry-{layer.geometry_type.lower()}"
        assert set(queryables["properties"]) == public | {"geometry"}, layer.id
        assert set(sortables["properties"]) == {f.name for f in layer.public_fields
                                                if f.type != "text[]"}, layer.id
        assert schema["required"] == [f.name for f in layer.public_fields if f.required]
        for f in layer.public_fields:
            assert properties[f.name]["title"] == f.title_el  # Greek, pygeoapi's default
            if f.choices:
                assert properties[f.name]["enum"] == list(f.codes)
            if f.minimum is not None:
                assert properties[f.name]["minimum"] == f.minimum
            if f.references:
                assert properties[f.name]["x-ogc-role"] == "reference"
                assert layers.get(properties[f.name]["x-ogc-collection"]), f.references
        roles = {name: p["x-ogc-role"] for name, p in properties.items() if "x-ogc-role" in p}
        if layer.temporal and layer.temporal.end:
            assert roles[layer.temporal.start] == "interval-start"
            assert roles[layer.temporal.end] == "interval-end"
        elif layer.temporal:
            assert roles[layer.temporal.start] == "primary-instant"
        else:
            assert not {"primary-instant", "interval-start", "interval-end"} & set(roles.values())
    zoning = client.collection_schema("zoning")["properties"]
    assert zoning["plan_id"]["x-ogc-collection"] == "plans"
    assert zoning["building_coefficient"]["type"] == "number"
    english = get(f"{ogc}/collections/zoning/schema", lang="en")
    assert english.headers["Content-Type"].startswith("application/schema+json")
    assert english.json()["properties"]["plan_id"]["title"] == "Plan"


def test_a_collection_links_its_schema_queryables_and_sortables(ogc):
    links = get(f"{ogc}/collections/building_permits").json()["links"]
    for rel in ("schema", "queryables", "sortables"):
        hrefs = [link["href"] for link in links if link["rel"] == PART5 + rel
                 and link["type"] == "application/schema+json"]
        assert hrefs, rel
        assert requests.get(hrefs[0], timeout=60).status_code == 200, hrefs[0]


@pytest.mark.parametrize("resource", ["schema", "queryables", "sortables"])
def test_schema_resources_of_an_unknown_collection_or_format_are_4xx(ogc, resource):
    missing = get(f"{ogc}/collections/no_such_layer/{resource}")
    assert missing.status_code == 404, missing.text
    assert "no_such_layer" in missing.json()["description"]
    bad = get(f"{ogc}/collections/zoning/{resource}", f="xml")
    assert bad.status_code == 400, bad.text
    assert "f=json" in bad.json()["description"]


def test_sortby_takes_every_sortable_and_nothing_else(ogc):
    sortables = get(f"{ogc}/collections/building_permits/sortables").json()["properties"]
    for name in sortables:
        page = get(f"{ogc}/collections/building_permits/items", sortby=f"-{name}", limit=3)
        assert page.status_code == 200, (name, page.text)
    floors = [f["properties"]["floors"] for f in get(
        f"{ogc}/collections/building_permits/items", sortby="-floors", limit=50,
        filter="floors IS NOT NULL").json()["features"]]
    assert floors and floors == sorted(floors, reverse=True)
    for name in ("document_urls", "reporter_email", "id"):
        refused = get(f"{ogc}/collections/building_permits/items", sortby=name)
        assert refused.status_code == 400, (name, refused.text)
    assert "document_urls" in get(f"{ogc}/collections/building_permits/items",
                                  sortby="document_urls").json()["description"]


def test_a_filter_takes_every_queryable_and_nothing_else(ogc):
    queryables = get(f"{ogc}/collections/service_requests/queryables").json()
    assert queryables["additionalProperties"] is False
    for name in queryables["properties"]:
        cql = ("S_INTERSECTS(geometry, POINT(24.47 35.37))" if name == "geometry"
               else f"{name} IS NULL")
        answer = get(f"{ogc}/collections/service_requests/items", filter=cql, limit=1)
        assert answer.status_code == 200, (name, answer.text)
    for name in ("reporter_email", "reporter_phone", "no_such_field"):
        refused = get(f"{ogc}/collections/service_requests/items", filter=f"{name} IS NULL")
        assert refused.status_code == 400, (name, refused.text)
