"""Both OpenAPI documents, read by a client nobody tuned for: openapi-spec-validator passes
them; the Open311 one describes every path the README names, each in JSON and XML, with the
GeoReport v2 discovery document among them."""
from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree

import pytest
import requests
from openapi_spec_validator import validate

import layers
from ogc.feature_patch import MERGE_PATCH

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.fixture(scope="module")
def open311_document(live_server) -> dict:
    return requests.get(f"{live_server}/open311/v2/openapi.json", timeout=30).json()


def readme_open311_paths() -> set[str]:
    """The paths the README's Open311 entry names (`requests/{id}`, `media/{id}?size=…`)."""
    entry = re.search(r"^- `/open311/v2/`(.*?)(?=^\S|^$)", README.read_text(), re.M | re.S)
    assert entry, "the README has an Open311 entry"
    paths_only = re.sub(r"\([^)]*\)", "", entry.group(1))  # parameters are in brackets
    named = re.findall(r"`([a-z][a-z0-9_/{}]*)(?:\?[^`]*)?`", paths_only)
    ids = {"media": "{media_id}", "services": "{service_code}"}
    return {"/" + name.replace("{id}", ids.get(name.split("/")[0], "{service_request_id}"))
            .replace("{code}", "{service_code}") for name in named}


@pytest.mark.parametrize("path", ["/ogc/openapi?f=json", "/open311/v2/openapi.json"])
def test_the_openapi_document_is_valid(live_server, path):
    document = requests.get(f"{live_server}{path}", timeout=60).json()
    validate(document)  # raises, naming the first error, on an invalid document


def test_every_open311_path_the_readme_names_is_described_in_json_and_xml(open311_document):
    described = set(open311_document["paths"])
    named = readme_open311_paths()
    assert {"/services", "/requests/nearby", "/requests/{service_request_id}/contact",
            "/media/{media_id}"} <= named
    for name in named:
        formats = {name} if name.startswith("/media/") else {f"{name}.json", f"{name}.xml"}
        assert formats <= described, name
    assert {"/discovery.json", "/discovery.xml"} <= described


def test_staff_operations_declare_how_to_sign_in(open311_document):
    schemes = open311_document["components"]["securitySchemes"]
    for path, method in (("/requests/{service_request_id}/contact.json", "get"),
                         ("/requests/{service_request_id}/contact.xml", "get"),
                         ("/servicerequestupdates.xml", "post")):
        operation = open311_document["paths"][path][method]
        assert {name for need in operation["security"] for name in need} <= set(schemes)
        assert {"401", "403"} <= set(operation["responses"])


def test_discovery_lists_the_endpoint_and_its_formats(live_server):
    api = f"{live_server}/open311/v2"
    as_json = requests.get(f"{api}/discovery.json", timeout=30)
    assert as_json.status_code == 200
    [endpoint] = as_json.json()["endpoints"]
    assert endpoint["url"].endswith("/open311/v2/")
    assert set(endpoint["formats"]) == {"application/json", "text/xml"}
    assert requests.get(f"{endpoint['url']}services.json", timeout=30).status_code == 200
    as_xml = requests.get(f"{api}/discovery.xml", timeout=30)
    assert as_xml.headers["Content-Type"].startswith("text/xml")
    root = ElementTree.fromstring(as_xml.content)
    assert root.tag == "discovery"
    assert [f.text for f in root.iter("format")] == endpoint["formats"]


def test_every_described_xml_read_answers_xml(live_server, open311_document):
    api = f"{live_server}/open311/v2"
    reads = [path for path, ops in open311_document["paths"].items()
             if path.endswith(".xml") and "get" in ops and "{" not in path
             and not ops["get"].get("security")]
    assert len(reads) >= 5
    for path in reads:
        answer = requests.get(f"{api}{path}", timeout=30,
                              params={"lat": 35.36, "long": 24.47, "service_code": "x"}
                              if "nearby" in path else None)
        assert answer.headers["Content-Type"].startswith("text/xml"), path
        ElementTree.fromstring(answer.content)  # well-formed, whether an answer or an error


@pytest.fixture(scope="module")
def ogc_document(live_server) -> dict:
    return requests.get(f"{live_server}/ogc/openapi?f=json", timeout=60).json()


def test_editable_collections_describe_patch_if_match_412_and_every_collection_sortables(
        live_server, ogc_document):
    """Features Part 4 ``update`` and optimistic locking (ogc/feature_patch.py,
    ogc/feature_etags.py) and Part 5 sortables, as the OGC API document describes them: a
    PATCH taking a JSON Merge Patch with If-Match and a 412 on exactly the editable
    collections' items, If-Match and 412 on their PUT and DELETE, the ETag of a read; and a
    sortables path for every collection, answering what it says."""
    paths = ogc_document["paths"]
    items = {path.split("/")[2]: operations for path, operations in paths.items()
             if re.fullmatch(r"/collections/[^/]+/items/\{featureId\}", path)}
    assert items
    for collection, operations in items.items():
        editable = layers.collection(collection).editable
        assert ("patch" in operations) == editable == ("put" in operations), collection
        assert "ETag" in operations["get"]["responses"]["200"]["headers"], collection
        if not editable:
            continue
        patch = operations["patch"]
        assert set(patch["requestBody"]["content"]) == {MERGE_PATCH}, collection
        for method in ("patch", "put", "delete"):
            names = {p.get("name") for p in operations[method]["parameters"]}
            assert "If-Match" in names and "412" in operations[method]["responses"], \
                (collection, method)
    collections = {layer.id for layer in layers.COLLECTIONS}
    for collection in collections:
        sortables = paths[f"/collections/{collection}/sortables"]["get"]
        (media,) = sortables["responses"]["200"]["content"]
        answer = requests.get(f"{live_server}/ogc/collections/{collection}/sortables",
                              params={"f": "json"}, timeout=30)
        assert answer.status_code == 200, collection
        assert answer.headers["Content-Type"].split(";")[0] == media, collection
        assert "properties" in answer.json(), collection
