"""OGC API – Tiles 1.0 (20-057) as the official test suite (ets-ogcapi-tiles10, checklist
ogc/ets/tiles10.txt) checks it, against the live server: each test names the abstract tests it
stands for; ogc/conformance.py maps the suite's lines here. The suite follows links as a client
does: /collections → a collection's tilesets-* link → a tileset's self link → its tile template."""
from __future__ import annotations

import pytest
import requests

TILESETS_REL = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-"
JSON = "application/json"


@pytest.fixture(scope="module")
def ogc(live_server):
    return f"{live_server}/ogc"


def get_json(url: str) -> dict:
    response = requests.get(url, headers={"Accept": JSON}, timeout=60)
    assert response.status_code == 200, url
    return response.json()


@pytest.fixture(scope="module")
def collections(ogc):
    return get_json(f"{ogc}/collections")["collections"]


def tilesets_links(document: dict, media_type: str | None = JSON) -> list[dict]:
    """A document's links to tilesets lists (in one media type, or in any if None)."""
    return [link for link in document.get("links", [])
            if link["rel"].strip().startswith(TILESETS_REL)
            and media_type in (None, link.get("type"))]


def test_a_collection_links_its_tilesets_list(collections):
    """A.12 (Requirement 13, geodata-tilesets): a geospatial data resource links its tilesets
    list with a tilesets-vector/-map/-coverage relation, and the list answers."""
    with_tiles = [c for c in collections if tilesets_links(c)]
    assert with_tiles, "no collection links a tilesets list in JSON"
    for collection in with_tiles:
        assert {link["rel"] for link in tilesets_links(collection, None)} == {
            f"{TILESETS_REL}vector"}, collection["id"]
        for link in tilesets_links(collection):
            assert get_json(link["href"])["tilesets"], collection["id"]


def test_each_tileset_links_a_tile_template_naming_tile_matrix_row_and_col(collections):
    """A.3–A.5 (Requirements 2–4, tc-tilematrix/tilerow/tilecol-definition): the tileset a
    tilesets list links as self in JSON links a tile URL template with {tileMatrix}, {tileRow}
    and {tileCol} (the suite checks the first collection with tiles; this checks each)."""
    checked = 0
    for collection in collections:
        for link in tilesets_links(collection):
            for tileset in get_json(link["href"])["tilesets"]:
                (self_link,) = [own for own in tileset["links"]
                                if own["rel"] == "self" and own.get("type") == JSON]
                hrefs = [own["href"] for own in get_json(self_link["href"])["links"]]
                for variable in ("{tileMatrix}", "{tileRow}", "{tileCol}"):
                    assert any(variable in href for href in hrefs), (collection["id"], variable)
                checked += 1
    assert checked


def test_tilesets_lists_are_under_tiles_and_name_their_tile_matrix_set(ogc, collections):
    """A.9 (Requirement 10, tilesets-list/tileset-links): every tilesets-* link, from the landing
    page or a collection, points to a /tiles path, and each tileset of the list names its
    tileMatrixSetURI (the suite reads the first two collections' lists whose link says f=json;
    this reads every collection's)."""
    documents = [get_json(ogc), *collections]
    every = [link for document in documents for link in tilesets_links(document, None)]
    assert every and all("/tiles" in link["href"] for link in every)
    for link in [link for document in documents for link in tilesets_links(document)]:
        assert "f=json" in link["href"], link
        tilesets = get_json(link["href"])["tilesets"]
        assert tilesets and all("tileMatrixSetURI" in tileset for tileset in tilesets), link
