"""Every screen shows a choice's title in the reader's language, never its code: the map's views
and popups (headless Chromium), the OGC HTML pages, the exports' title columns; and the side
panel never overflows from a phone to a wide screen."""
from __future__ import annotations

import csv
import io
import re
import zipfile

import pyogrio
import pytest
import requests

import layers
from tests.helpers import dimos, rows, token

#: every code of every choice list of the catalogue
CODES = frozenset(c.code for layer in layers.CATALOGUE for f in layer.fields for c in f.choices or ())
WORD = re.compile(r"\w+")


def _words(texts) -> set[str]:
    return {word for text in texts for word in WORD.findall(text)}


def _title_words(lang: str) -> set[str]:
    """The words of the catalogue's titles in ``lang`` (ΓΠΣ is a word of «Γενικό Πολεοδομικό
    Σχέδιο (ΓΠΣ)»: a title that says its code is no raw code)."""
    return _words(c.title(lang) for layer in layers.CATALOGUE for f in layer.fields
                  for c in f.choices or ())


def raw_codes(text: str, lang: str, prose: set[str] = frozenset()) -> list[str]:
    """The choice codes ``text`` shows as words (case as stored), but for the words of the
    titles and of the interface's own sentences (``prose``: English says "free bays")."""
    return sorted((_words([text]) & CODES) - _title_words(lang) - prose)


def test_the_word_check_finds_a_code_and_passes_its_title():
    assert raw_codes("Ζώνη Α1: historic_centre, 0.8", "el") == ["historic_centre"]
    assert raw_codes("Άδεια 12/2020, legalisation", "el") == ["legalisation"]
    assert raw_codes("Ιστορικό κέντρο / παραδοσιακός οικισμός · Νομιμοποίηση", "el") == []
    assert raw_codes("Γενικό Πολεοδομικό Σχέδιο (ΓΠΣ)", "el") == []
    assert raw_codes("Status: in_progress", "en") == ["in_progress"]


@pytest.fixture
def open_map(browser, live_server):
    contexts = []

    def open_page(**options):
        # the tests' own inline code runs under the site's CSP only if bypassed
        context = browser.new_context(bypass_csp=True, **options)
        contexts.append(context)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(live_server + "/")
        page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        page.errors = errors
        return page

    yield open_page
    for context in contexts:
        context.close()


def _click_map_at(page, lon: float, lat: float, zoom: int = 18) -> None:
    page.evaluate(f"dimos.map.setView([{lat}, {lon}], {zoom}, {{animate: false}})")
    page.wait_for_load_state("networkidle")
    x, y = page.evaluate(f"(() => {{ const p = dimos.map.latLngToContainerPoint([{lat}, {lon}]);"
                         " return [p.x, p.y]; })()")
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


def _set_language(page, lang: str) -> None:
    if page.evaluate("document.documentElement.lang") != lang:
        page.click("#language")
    assert page.evaluate("document.documentElement.lang") == lang


def _prose(page, lang: str) -> set[str]:
    """The words of the interface's own sentences in ``lang`` (i18n.js)."""
    return _words(page.evaluate(
        f"import('/assets/map/i18n.js').then((m) => m.interfaceStrings({lang!r}))"))


def _shown(page) -> str:
    """What a reader sees: the page's rendered text, an open popup's included."""
    return page.evaluate("document.body.innerText")


@pytest.fixture(scope="module")
def historic_centre(demo_url):
    """A point inside a historic-centre zone in force (lon, lat) and its zone code."""
    (lon, lat, zone_code), = rows(demo_url, """
        SELECT ST_X(p), ST_Y(p), zone_code FROM (
          SELECT ST_Transform(ST_PointOnSurface(geom), 4326) AS p, zone_code FROM zoning
          WHERE land_use = 'historic_centre' AND valid_to IS NULL ORDER BY id LIMIT 1) AS z""")
    return lon, lat, zone_code


@pytest.fixture(scope="module")
def permit_site(demo_url):
    """A permit drawn as a point with no other permit within 30 m: (lon, lat, number, type)."""
    (lon, lat, number, kind), = rows(demo_url, """
        SELECT ST_X(ST_Transform(b.geom, 4326)), ST_Y(ST_Transform(b.geom, 4326)),
               b.permit_number, b.permit_type
        FROM building_permits b WHERE GeometryType(b.geom) = 'POINT' AND NOT EXISTS (
          SELECT 1 FROM building_permits o WHERE o.id <> b.id AND ST_DWithin(o.geom, b.geom, 30))
        ORDER BY b.id LIMIT 1""")
    return lon, lat, number, kind


@pytest.mark.parametrize("lang", ["el", "en"])
def test_the_planning_report_and_a_permit_popup_show_titles_not_codes(
        open_map, historic_centre, permit_site, lang):
    page = open_map()
    _set_language(page, lang)
    lon, lat, zone_code = historic_centre
    _click_map_at(page, lon, lat)
    page.wait_for_selector("#report table.zones", timeout=20_000)
    report = page.locator("#report").inner_text()
    land_use = layers.get("zoning").field("land_use")
    assert zone_code in report and land_use.choice_title("historic_centre", lang) in report
    assert raw_codes(_shown(page), lang, _prose(page, lang)) == []

    # the report drawn again in the other language, still with no code
    other = "en" if lang == "el" else "el"
    _set_language(page, other)
    assert land_use.choice_title("historic_centre", other) in page.locator("#report").inner_text()
    assert raw_codes(_shown(page), other, _prose(page, other)) == []
    _set_language(page, lang)
    page.check("#layer-building_permit_sites")
    page.evaluate("dimos.map.closePopup()")
    p_lon, p_lat, number, kind = permit_site
    _click_map_at(page, p_lon, p_lat, zoom=19)
    popup = page.locator(".leaflet-popup-content table.feature[data-layer=building_permit_sites]")
    popup.wait_for(timeout=20_000)
    text = popup.inner_text()
    assert number in text
    assert layers.get("building_permits").field("permit_type").choice_title(kind, lang) in text
    assert raw_codes(_shown(page), lang, _prose(page, lang)) == []
    assert page.errors == []


@pytest.mark.parametrize("lang", ["el", "en"])
def test_the_citizen_view_names_statuses_by_their_titles(open_map, demo_url, lang):
    (number, status), = rows(demo_url, """
        SELECT service_request_id, status FROM service_requests
        WHERE status = 'in_progress' ORDER BY id LIMIT 1""")
    page = open_map()
    _set_language(page, lang)
    page.click("#tab-citizen")
    page.wait_for_selector("#municipality-requests li", timeout=20_000)
    page.fill("#follow-id", number)
    page.click("#follow-form button[type=submit]")
    page.wait_for_selector("#follow-result .status", timeout=20_000)
    title = layers.get("service_requests").field("status").choice_title(status, lang)
    assert page.locator("#follow-result .status").inner_text() == title
    assert raw_codes(_shown(page), lang, _prose(page, lang)) == []
    assert page.errors == []


@pytest.mark.parametrize("lang", ["el", "en"])
def test_the_staff_lists_and_a_request_popup_show_titles(open_map, demo_url, lang):
    staff = token(demo_url, f"vocabulary-staff-{lang}", "staff")
    page = open_map()
    _set_language(page, lang)
    page.click("#tab-staff")
    page.click("#token-sign-in summary")
    page.fill("#token", staff)
    page.click("#signin-token button[type=submit]")
    page.wait_for_selector("#staff-count .count", timeout=30_000)
    statuses = layers.get("service_requests").field("status")
    options = page.locator("#f-status option[data-choice]").all_inner_texts()
    assert options == [statuses.choice_title(code, lang) for code in ("open", "acknowledged", "in_progress")]
    (lon, lat, number, status), = rows(demo_url, """
        SELECT ST_X(ST_Transform(geom, 4326)), ST_Y(ST_Transform(geom, 4326)), service_request_id,
               status FROM service_requests r
        WHERE status IN ('open', 'acknowledged', 'in_progress') AND NOT EXISTS (
          SELECT 1 FROM service_requests o WHERE o.id <> r.id AND ST_DWithin(o.geom, r.geom, 40))
        ORDER BY id LIMIT 1""")
    page.evaluate(f"dimos.map.setView([{lat}, {lon}], 19, {{animate: false}})")
    marker = page.locator(f".leaflet-marker-icon[title^='{number} ']")
    marker.wait_for(timeout=20_000)
    marker.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=10_000)
    assert number in popup.inner_text() and statuses.choice_title(status, lang) in popup.inner_text()
    assert raw_codes(_shown(page), lang, _prose(page, lang)) == []
    assert page.errors == []


# --- the OGC HTML pages and the exports ---------------------------------------------------------

@pytest.mark.parametrize("lang", ["el", "en"])
def test_the_ogc_item_and_items_pages_show_titles_and_the_json_codes(live_server, demo_url, lang):
    (feature_id, zone_id), = rows(demo_url, "SELECT id, zone_id FROM zoning "
                                            "WHERE land_use = 'historic_centre' ORDER BY id LIMIT 1")
    title = layers.get("zoning").field("land_use").choice_title("historic_centre", lang)
    base = f"{live_server}/ogc/collections/zoning/items"
    item = requests.get(f"{base}/{feature_id}", params={"f": "html", "lang": lang}, timeout=60)
    assert item.status_code == 200
    item_text = item.content.decode("utf-8")  # pygeoapi's HTML names no charset
    assert f'data-code="historic_centre">{title}</span>' in item_text
    page = requests.get(base, timeout=60, params={
        "f": "html", "lang": lang, "filter": f"zone_id = '{zone_id}'"})
    assert page.status_code == 200
    page_text = page.content.decode("utf-8")
    assert f'data-code="historic_centre">{title}</span>' in page_text
    # the cells hold no code as their text
    assert ">historic_centre<" not in item_text and ">historic_centre<" not in page_text
    as_json = requests.get(f"{base}/{feature_id}", params={"f": "json"}, timeout=60).json()
    assert as_json["properties"]["land_use"] == "historic_centre"


def test_each_collection_titles_its_own_fields_and_leaves_other_values(live_server, demo_url):
    # a settlement's category is titled from the settlements' list; its name is no choice
    (feature_id, name, category), = rows(
        demo_url, "SELECT id, name, category FROM settlements ORDER BY id LIMIT 1")
    page = requests.get(f"{live_server}/ogc/collections/settlements/items/{feature_id}",
                        params={"f": "html"}, timeout=60)
    text = page.content.decode("utf-8")
    title = layers.get("settlements").field("category").choice_title(category, "el")
    assert page.status_code == 200 and name in text
    assert f'data-code="{category}">{title}</span>' in text


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "csv"])
def test_an_export_keeps_codes_and_adds_their_titles(live_server, demo_url, fmt):
    (zone_id,), = rows(demo_url, "SELECT zone_id FROM zoning WHERE land_use = 'historic_centre' "
                                 "ORDER BY id LIMIT 1")
    land_use = layers.get("zoning").field("land_use")
    for lang in ("el", "en"):
        answer = requests.get(f"{live_server}/api/export", timeout=60, params={
            "layer": "zoning", "format": fmt, "lang": lang, "filter": f"zone_id = '{zone_id}'"})
        assert answer.status_code == 200, answer.text
        if fmt == "csv":
            table = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8"))))
        else:
            table = pyogrio.read_dataframe(io.BytesIO(answer.content)).to_dict("records")
        assert len(table) == 1
        assert table[0]["land_use"] == "historic_centre"
        assert table[0]["land_use_title"] == land_use.choice_title("historic_centre", lang)


def test_dimos_export_labels_choices_in_the_language_asked(demo_url, tmp_path):
    (zone_id,), = rows(demo_url, "SELECT zone_id FROM zoning WHERE land_use = 'historic_centre' "
                                 "ORDER BY id LIMIT 1")
    out = tmp_path / "zone.csv"
    done = dimos("export", "zoning", "--format", "csv", "--lang", "en", "--filter",
                 f"zone_id = '{zone_id}'", "-o", out, url=demo_url)
    assert done.returncode == 0, done.stderr
    (row,) = list(csv.DictReader(out.open(encoding="utf-8")))
    assert (row["land_use"], row["land_use_title"]) == (
        "historic_centre", "Historic centre / traditional settlement")
    refused = dimos("export", "zoning", "--lang", "fr", "-o", out, url=demo_url)
    assert refused.returncode != 0 and "--lang" in refused.stderr


def test_a_shapefile_export_carries_its_choices_table_and_a_bad_language_is_refused(
        live_server, demo_url):
    (number, kind), = rows(demo_url, "SELECT permit_number, permit_type FROM building_permits "
                                     "WHERE GeometryType(geom) = 'MULTIPOLYGON' ORDER BY id LIMIT 1")
    answer = requests.get(f"{live_server}/api/export", timeout=60, params={
        "layer": "building_permits", "format": "shp", "filter": f"permit_number = '{number}'"})
    assert answer.status_code == 200
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        lookup = list(csv.DictReader(io.StringIO(
            archive.read("building_permits_choices.csv").decode("utf-8"))))
    permit_type = layers.get("building_permits").field("permit_type")
    assert {(r["field"], r["code"], r["title_el"], r["title_en"]) for r in lookup} >= {
        ("permit_type", c.code, c.title_el, c.title_en) for c in permit_type.choices}
    assert kind in permit_type.codes
    refused = requests.get(f"{live_server}/api/export", timeout=60, params={
        "layer": "zoning", "format": "csv", "lang": "fr"})
    assert refused.status_code == 400 and "lang: one of el, en" in refused.json()["description"]


# --- layout ---------------------------------------------------------------------------------------

OVERFLOWS = """(() => {
  const panel = document.getElementById('panel');
  const right = panel.getBoundingClientRect().right + 1;
  const found = [];
  for (const el of [panel, ...panel.querySelectorAll('*')]) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // not rendered
    if (getComputedStyle(el).visibility === 'hidden') continue;
    const name = el.tagName + (el.id ? '#' + el.id : '')
      + (typeof el.className === 'string' && el.className ? '.' + el.className : '');
    if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0) {
      found.push(name + ' scrolls ' + el.scrollWidth + '>' + el.clientWidth);
    }
    if (box.right > right) found.push(name + ' ends at ' + Math.round(box.right) + '>' + Math.round(right));
  }
  return found;
})()"""


@pytest.mark.parametrize("width", [360, 768, 1280, 1920])
def test_the_side_panel_never_overflows_and_shows_the_fek(open_map, historic_centre, demo_url,
                                                          width):
    height = 780 if width < 700 else 900
    page = open_map(viewport={"width": width, "height": height})
    lon, lat, zone_code = historic_centre
    _click_map_at(page, lon, lat)
    page.wait_for_selector("#report table.zones", timeout=20_000)
    (fek,), = rows(demo_url, """
        SELECT p.fek FROM zoning z JOIN plans p ON p.plan_id = z.plan_id
          AND p.jurisdiction_id = z.jurisdiction_id
        WHERE z.zone_code = %s AND z.land_use = 'historic_centre' AND z.valid_to IS NULL
        ORDER BY z.id LIMIT 1""", (zone_code,))
    shown = page.locator("#report .fek").first
    shown.scroll_into_view_if_needed()
    assert shown.is_visible() and fek in shown.inner_text()
    panel = page.locator("#panel").bounding_box()
    box = shown.bounding_box()
    assert panel["x"] <= box["x"] and box["x"] + box["width"] <= panel["x"] + panel["width"] + 1
    for tab in ("#tab-planner", "#tab-citizen", "#tab-staff"):
        page.click(tab)
        assert page.evaluate(OVERFLOWS) == [], (width, tab)
    page.click("#tab-planner")
    page.set_viewport_size({"width": width, "height": height})
    if width < 700:  # a phone: the map above, the panel below, both a fair share
        map_box = page.locator("#map").bounding_box()
        panel = page.locator("#panel").bounding_box()
        assert map_box["height"] >= 0.35 * height and panel["height"] >= 0.35 * height
        assert map_box["y"] < panel["y"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.errors == []
