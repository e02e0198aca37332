"""The map's search box in a real headless Chromium: typed in Greeklish, chosen with the
keyboard, flown to, and in the planner view the planning report opened there."""
from __future__ import annotations

import random
from urllib.parse import urlencode

import pytest

from gis import db
from tests.test_web_map import ARTIFACTS, Visit

# east of Rethymno's old town, outside the view the map opens on
LON, LAT = 24.5290, 35.3590
LINE = ("ST_Transform(ST_SetSRID(ST_MakeLine(ST_MakePoint(%(lon)s - 0.0008, %(lat)s), "
        "ST_MakePoint(%(lon)s + 0.0008, %(lat)s)), 4326), 2100)")
POINT = "ST_Transform(ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326), 2100)"


@pytest.fixture
def visit(browser, live_server):
    visit = Visit(browser, live_server)
    yield visit
    visit.context.close()


@pytest.fixture
def page(visit):
    return visit.page


def _write(url: str, statement: str, **values) -> None:
    conn = db.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute(statement, {"lon": LON, "lat": LAT, **values})
    conn.close()


def _shows(page, lon: float, lat: float) -> bool:
    return page.evaluate(f"dimos.map.getBounds().contains([{lat}, {lon}])")


def _type_and_list(page, text: str, expected: str):
    """Type ``text``; the options once the answer to the whole text is listed (on a loaded
    machine a pause between keys may ask about a part of it first)."""
    page.focus("#search-box")
    whole = urlencode({"q": text})
    with page.expect_response(lambda r: "/api/search?" in r.url and whole in r.url,
                              timeout=30_000):
        page.keyboard.type(text, delay=15)
    page.wait_for_selector(f"#search-results [role=option]:has-text('{expected}')",
                           timeout=30_000)
    assert page.get_attribute("#search-box", "aria-expanded") == "true"
    return page.locator("#search-results [role=option]")


def test_a_planner_types_greeklish_picks_with_the_arrow_keys_and_reads_the_report_there(
        visit, page, demo_url):
    number = random.randrange(10 ** 6, 10 ** 7)
    name = f"Χατζηγρηγοράκη {number}"
    _write(demo_url, "INSERT INTO roads (jurisdiction_id, road_id, name, road_class, oneway, geom) "
           f"VALUES ('rethymno', %(id)s, %(name)s, 'residential', false, {LINE})",
           id=f"search-{number}", name=name)
    assert not _shows(page, LON, LAT)
    assert page.inner_text("#report").strip() == ""
    options = _type_and_list(page, f"chatzigrigoraki {number}", name)
    assert name in options.nth(0).inner_text()
    assert "Οδός" in options.nth(0).inner_text()  # its kind, in the page's language
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    assert page.get_attribute("#search-box", "aria-activedescendant") == "search-result-0"
    assert options.nth(0).get_attribute("aria-selected") == "true"
    assert visit.axe_violations() == []  # the open list, an option active
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "search-listed.png"))
    page.keyboard.press("Enter")
    assert page.get_attribute("#search-box", "aria-expanded") == "false"
    page.wait_for_function(f"dimos.map.getBounds().contains([{LAT}, {LON}]) "
                           "&& dimos.map.getZoom() >= 16", timeout=30_000)
    page.wait_for_selector("#report h4", timeout=30_000)  # the planning report, opened there
    assert page.input_value("#search-box") == name
    page.screenshot(path=str(ARTIFACTS / "search-chosen.png"))


@pytest.mark.parametrize("view", ["citizen", "staff"])
def test_every_view_has_the_box_in_its_language_and_escape_closes_the_list(page, demo_url, view):
    number = random.randrange(10 ** 6, 10 ** 7)
    name = f"Θέρισο {number}"
    _write(demo_url, "INSERT INTO refuge_areas (jurisdiction_id, refuge_id, name, area_type, geom) "
           f"VALUES ('rethymno', %(id)s, %(name)s, 'open_space', {POINT})",
           id=f"search-{number}", name=name)
    page.click(f"#tab-{view}")
    page.click("#language")  # English
    assert page.get_attribute("#search-box", "placeholder").startswith("Street")
    options = _type_and_list(page, f"Theriso {number}", name)
    assert "Refuge area" in options.nth(0).inner_text()
    page.keyboard.press("Escape")
    assert page.get_attribute("#search-box", "aria-expanded") == "false"
    assert page.locator("#search-results").is_hidden()
    page.keyboard.press("ArrowDown")  # the list back, its first option active
    assert page.get_attribute("#search-box", "aria-activedescendant") == "search-result-0"
    page.keyboard.press("Enter")
    page.wait_for_function(f"dimos.map.getBounds().contains([{LAT}, {LON}])", timeout=30_000)
    assert page.inner_text("#report").strip() == ""  # only the planner view opens a report
