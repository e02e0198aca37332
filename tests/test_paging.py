"""Items paging: next links carry a cursor, following them yields every feature once, in order."""
from __future__ import annotations

import base64
import html
import json
import re
from datetime import date

import pytest
import requests

from gis import db
from tests.helpers import rows as db_rows

OLD_TOWN = "24.465,35.362,24.485,35.375"
CRS2100 = "http://www.opengis.net/def/crs/EPSG/0/2100"


@pytest.fixture(scope="module")
def ogc(live_server):
    return f"{live_server}/ogc"


def get(url, **params):
    params.setdefault("f", "json")
    return requests.get(url, params=params, timeout=120)


def link(page, rel):
    found = [item["href"] for item in page["links"] if item["rel"] == rel]
    return found[0] if found else None


def follow(url, params) -> tuple[list[dict], list[dict]]:
    """Every feature and every page, from the first page through its next links to the end."""
    pages = [get(url, **params).json()]
    while (href := link(pages[-1], "next")) is not None:
        assert "cursor=" in href and "offset=" not in href, href
        answer = requests.get(href, timeout=120)
        assert answer.status_code == 200, answer.text[:300]
        pages.append(answer.json())
        assert len(pages) < 200, "next links that never end"
    return [f for page in pages for f in page["features"]], pages


def assert_sorted(features, sortby):
    """The features follow ``sortby`` (then id), as ORDER BY does: NULLs last ascending,
    first descending."""
    def key(feature):
        parts = []
        for item in sortby.split(","):
            name = item.lstrip("+-")
            parts.append((item.startswith("-"), feature["properties"].get(name)))
        return parts

    for before, after in zip(features, features[1:]):
        for (descending, a), (_, b) in zip(key(before), key(after)):
            if a == b:
                continue
            if a is None or b is None:
                assert (a is None) == descending, (before["id"], after["id"], a, b)
            elif descending:
                assert a > b, (before["id"], after["id"], a, b)
            else:
                assert a < b, (before["id"], after["id"], a, b)
            break
        else:
            assert before["id"] < after["id"], (before["id"], after["id"])


CASES = {
    "no parameters": ("service_requests", {"limit": 500}),
    "sortby a time with NULLs, descending": ("service_requests",
                                             {"limit": 450, "sortby": "-closed_at"}),
    "sortby ascending then descending": ("service_requests",
                                         {"limit": 777, "sortby": "closed_at,-service_code"}),
    "bbox and sortby": ("service_requests", {"limit": 37, "bbox": OLD_TOWN,
                                             "sortby": "status,-requested_at"}),
    "filter and datetime": ("service_requests", {
        "limit": 300, "filter": "status IN ('open','closed')", "sortby": "-requested_at",
        "datetime": "2021-01-01T00:00:00Z/.."}),
    "crs and a real sort key": ("building_permits", {"limit": 400, "sortby": "-built_area_m2",
                                                     "crs": CRS2100}),
    "integer and date keys": ("building_permits", {"limit": 250,
                                                   "sortby": "floors,-issue_date"}),
}


@pytest.mark.parametrize("case", CASES)
def test_following_next_links_returns_every_feature_once_in_order(ogc, case):
    """The pages reached by next links hold exactly the features one large page holds (the
    same query ordered by the database), in the same order, each once."""
    collection, params = CASES[case]
    url = f"{ogc}/collections/{collection}/items"
    whole = get(url, **{**params, "limit": 10000}).json()
    assert link(whole, "next") is None and whole["numberMatched"] == whole["numberReturned"]
    assert whole["numberReturned"] > 2 * params["limit"], "the case must span pages"
    features, pages = follow(url, params)
    assert [f["id"] for f in features] == [f["id"] for f in whole["features"]]
    assert len({f["id"] for f in features}) == len(features)
    assert features == whole["features"]  # same properties and geometries, in the same CRS
    if "sortby" in params:
        assert_sorted(features, params["sortby"])
    assert all(page["numberReturned"] == params["limit"] for page in pages[:-1])
    assert all(page.get("numberMatched") == whole["numberMatched"] for page in pages)


def test_every_request_is_reached_by_next_links_from_the_first_page(ogc, demo_url):
    """Without a sortby the pages walk the ids: every request the table holds, ascending."""
    expected = [row[0] for row in db_rows(demo_url, "SELECT id FROM service_requests ORDER BY id")]
    features, _ = follow(f"{ogc}/collections/service_requests/items",
                         {"limit": 1000, "skipGeometry": "true", "properties": "status"})
    assert [f["id"] for f in features] == expected


def test_an_offset_page_links_a_cursor_next_and_an_offset_prev(ogc):
    """offset= stays for the clients that send it (GDAL, OWSLib); the next link of an offset
    page is a cursor that goes on where the page ended."""
    url = f"{ogc}/collections/service_requests/items"
    whole = get(url, limit=60, sortby="-requested_at").json()["features"]
    page = get(url, limit=20, offset=20, sortby="-requested_at").json()
    assert [f["id"] for f in page["features"]] == [f["id"] for f in whole[20:40]]
    after = requests.get(link(page, "next"), timeout=60).json()
    assert [f["id"] for f in after["features"]] == [f["id"] for f in whole[40:60]]
    prev = requests.get(link(page, "prev"), timeout=60).json()
    assert [f["id"] for f in prev["features"]] == [f["id"] for f in whole[0:20]]


def test_a_last_page_that_is_full_has_no_next_link(ogc):
    """A page holding exactly what is left, by offset or by cursor, links no next page."""
    url = f"{ogc}/collections/service_requests/items"
    params = {"filter": "status = 'rejected'", "skipGeometry": "true"}
    total = get(url, limit=10000, **params).json()["numberMatched"]
    assert total > 10
    whole = get(url, limit=total, **params).json()
    assert whole["numberReturned"] == total and link(whole, "next") is None
    first = get(url, limit=total - 10, **params).json()
    last = requests.get(link(first, "next"), params={"limit": 10}, timeout=60).json()
    assert last["numberReturned"] == 10 and link(last, "next") is None
    tail = get(url, limit=10, offset=total - 10, **params).json()
    assert tail["numberMatched"] == total and link(tail, "next") is None


def _buttons(page_html: str) -> list[str]:
    """The hrefs of the items page's paging buttons (pygeoapi's Prev and Next)."""
    return [html.unescape(href) for href in re.findall(r'<a role="button" href="([^"]*)"', page_html)]


def test_the_html_items_page_offers_next_only_while_features_follow(ogc):
    """The HTML items page: a page that more features follow has a Next button (its cursor);
    a full last page, by offset or by cursor, has none (pygeoapi's offset fallback led to an
    empty page)."""
    url = f"{ogc}/collections/service_requests/items"
    params = {"filter": "status = 'rejected'", "skipGeometry": "true"}
    total = get(url, limit=10000, **params).json()["numberMatched"]
    assert total > 10
    first = get(url, f="html", limit=total - 10, **params)
    assert first.status_code == 200 and first.headers["Content-Type"].startswith("text/html")
    (next_href,) = [href for href in _buttons(first.text)
                    if "cursor=" in href and "offset=" not in href]
    last = requests.get(next_href, params={"limit": 10}, timeout=60)
    assert last.status_code == 200 and "<html" in last.text
    assert _buttons(last.text) == []  # nothing before it by offset, nothing after it
    tail = get(url, f="html", limit=10, offset=total - 10, **params)
    assert tail.status_code == 200
    buttons = _buttons(tail.text)
    assert [href for href in buttons if f"offset={total - 20}" in href]  # Prev stays
    assert [href for href in buttons if f"offset={total}" in href or "cursor=" in href] == []


def test_number_matched_follows_a_write_at_once(ogc, demo_url):
    """The count is reused across the pages of a query, but never after the data changed."""
    url = f"{ogc}/collections/service_requests/items"
    params = {"limit": 5, "filter": "status = 'duplicate'", "skipGeometry": "true"}
    before = get(url, **params).json()["numberMatched"]
    assert get(url, **params).json()["numberMatched"] == before
    conn = db.connect(demo_url)
    try:
        with conn, conn.cursor() as cur:  # committed: the server must see it
            cur.execute("""UPDATE service_requests SET status = 'duplicate' WHERE id = (
                SELECT min(id) FROM service_requests WHERE status = 'open') RETURNING id""")
            assert cur.fetchone()
    finally:
        conn.close()
    assert get(url, **params).json()["numberMatched"] == before + 1


def cursor_of(document) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")


@pytest.mark.parametrize("cursor, words", [
    ("!!!", "cursor: not a cursor this server wrote"),
    ("bm90IGpzb24", "cursor: not a cursor this server wrote"),
    (cursor_of([1, 2]), "cursor: not a cursor this server wrote"),
    (cursor_of({"s": ["+issue_date"], "k": ["2020-01-01", 5]}), "another sort order"),
    (cursor_of({"s": [], "k": ["5"]}), "feature id is not a whole number"),
    (cursor_of({"s": [], "k": [2 ** 70]}), "feature id is not a whole number"),
    (cursor_of({"s": [], "k": [True]}), "feature id is not a whole number"),
    (cursor_of({"s": [], "k": [1, 2]}), "does not fit the sort order"),
    ("A" * 3000, "longer than 2048"),
])
def test_a_bad_cursor_is_a_400_naming_it(ogc, cursor, words):
    answer = get(f"{ogc}/collections/building_permits/items", cursor=cursor)
    assert answer.status_code == 400, answer.text[:300]
    assert words in answer.json()["description"]


@pytest.mark.parametrize("sortby, value, words", [
    ("issue_date", "2020-13-45", "issue_date is not a date"),
    ("issue_date", "2020-W01-1", "issue_date is not a date"),
    ("floors", "1_000", "floors is not a integer"),
    ("floors", "99999999999999999999", "floors is not a integer"),
    ("built_area_m2", "1e99999", "built_area_m2 is not a real"),
    ("built_area_m2", 12.5, "not one the server wrote"),
    ("permit_number", "x\x00y", "NUL"),
])
def test_a_cursor_value_not_of_its_field_type_is_a_400(ogc, sortby, value, words):
    cursor = cursor_of({"s": [f"+{sortby}"], "k": [value, 1]})
    answer = get(f"{ogc}/collections/building_permits/items", cursor=cursor, sortby=sortby)
    assert answer.status_code == 400, answer.text[:300]
    assert words in answer.json()["description"]


def test_a_cursor_and_an_offset_together_are_a_400(ogc):
    url = f"{ogc}/collections/building_permits/items"
    href = link(get(url, limit=5).json(), "next")
    answer = requests.get(href, params={"offset": 5}, timeout=60)
    assert answer.status_code == 400
    assert "not both" in answer.json()["description"]


def test_a_cursor_edited_by_hand_only_moves_the_page(ogc):
    """Not signed, but checked: a well-formed key is a place to start from, nothing more."""
    url = f"{ogc}/collections/building_permits/items"
    whole = get(url, limit=30, sortby="-issue_date").json()["features"]
    tenth = whole[9]
    cursor = cursor_of({"s": ["-issue_date"], "k": [tenth["properties"]["issue_date"],
                                                    tenth["id"]]})
    page = get(url, limit=20, sortby="-issue_date", cursor=cursor).json()
    assert [f["id"] for f in page["features"]] == [f["id"] for f in whole[10:30]]
    assert date.fromisoformat(page["features"][0]["properties"]["issue_date"]) <= \
        date.fromisoformat(tenth["properties"]["issue_date"])


def test_the_openapi_document_sizes_limit_for_bulk_clients_and_names_the_cursor(ogc):
    """GDAL 3.8+ pages by the maximum the API definition declares: 10,000, not 10."""
    document = get(f"{ogc}/openapi").json()
    operation = document["paths"]["/collections/service_requests/items"]["get"]

    def resolve(parameter):
        ref = parameter.get("$ref", "")
        return document["components"]["parameters"][ref.split("/")[-1]] if ref else parameter

    parameters = {p["name"]: p for p in map(resolve, operation["parameters"])}
    assert parameters["limit"]["schema"]["maximum"] == 10_000
    assert parameters["cursor"]["schema"] == {"type": "string", "maxLength": 2048}
    page = get(f"{ogc}/collections/service_requests/items", limit=10_000,
               skipGeometry="true").json()
    assert page["numberReturned"] == page["numberMatched"] > 10
