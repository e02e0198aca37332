"""Hostile values: what a client sends is shown as text, never run. Route sheets escape every
field and refuse odd ones with a 400; every response carries a Content-Security-Policy the map
and the OGC pages keep; CSV cells cannot become spreadsheet formulas."""
from __future__ import annotations

import csv
import io
import uuid

import lxml.html
import pytest
import requests

from tests.helpers import dimos, token

SCRIPT = '<script>window.pwned=1</script>'
ATTRIBUTE = '"onmouseover="window.pwned=1" x="'
TEMPLATE = '`;window.pwned=1;`${window.pwned=1}'
HOSTILE = SCRIPT + ATTRIBUTE + TEMPLATE


def _route(**stop_fields):
    stop = {"order": 1, "request": "2026-000001", "arrival": "2026-11-24T07:10:00+02:00",
            "location": [24.4747, 35.3676], "walk_m": 12, **stop_fields}
    return {"crew": "A", "stops": [stop], "drive_s": 600, "work_s": 900,
            "back_at_depot": "2026-11-24T09:00:00+02:00",
            "route": {"type": "MultiLineString",
                      "coordinates": [[[24.48, 35.364], [24.4747, 35.3676]]]}}


def _injected(document: str) -> list[str]:
    """Elements and attributes a hostile value made in a page (none, when it is escaped)."""
    tree = lxml.html.fromstring(document)
    found = [f"<script> {s.text[:60]!r}" for s in tree.iter("script")
             if s.text and "pwned" in s.text and "bindTooltip" not in s.text]
    found += [f"{e.tag} @{name}" for e in tree.iter() if isinstance(e.tag, str)
              for name in e.attrib if name.startswith("on")]
    return found


def test_a_route_sheet_shows_hostile_fields_as_text(live_server):
    # order and walk_m are numbers: hostile text there is refused, naming the field
    for field in ("order", "walk_m"):
        refused = requests.post(f"{live_server}/api/route-sheet", json=_route(**{field: HOSTILE}),
                                timeout=60)
        assert refused.status_code == 400 and field in refused.json()["description"]
    route = _route(request=HOSTILE)
    route["crew"] = HOSTILE
    sheet = requests.post(f"{live_server}/api/route-sheet", json=route, timeout=60)
    assert sheet.status_code == 200, sheet.text
    assert _injected(sheet.text) == []
    table = lxml.html.fromstring(sheet.text).xpath("//table//tbody//td")
    assert HOSTILE in [cell.text_content() for cell in table]
    # the tooltip goes into a JavaScript template literal: nothing may end it or run in it
    script = next(s.text for s in lxml.html.fromstring(sheet.text).iter("script")
                  if s.text and "bindTooltip" in s.text)
    literal = script.split("bindTooltip(", 1)[1].split("`", 2)[1]
    assert "${" not in literal and "<script" not in literal and '"onmouseover' not in literal


def test_a_route_sheet_in_a_browser_runs_nothing_it_was_sent(live_server, browser):
    route = _route(request=HOSTILE)
    route["crew"] = HOSTILE
    sheet = requests.post(f"{live_server}/api/route-sheet", json=route, timeout=60)
    page, violations = _watched_page(browser)
    try:
        # the sheet as the staff view opens it: the server's answer, headers and all
        page.route(f"{live_server}/sheet", lambda r: r.fulfill(
            status=200, headers=dict(sheet.headers), body=sheet.content))
        page.goto(f"{live_server}/sheet")
        page.locator("path.leaflet-interactive").last.dispatch_event("mouseover")
        page.wait_for_selector(".leaflet-tooltip", timeout=10_000)
        assert HOSTILE in page.inner_text(".leaflet-tooltip")
        assert page.evaluate("window.pwned") is None
    finally:
        page.close()
    assert violations == []


@pytest.mark.parametrize("crew", [HOSTILE, 'A"; filename*=UTF-8\'\'evil.exe', "A\r\nX-Evil: 1"])
def test_a_route_files_name_is_safe(live_server, crew):
    route = _route()
    route["crew"] = crew
    track = requests.post(f"{live_server}/api/route-sheet", params={"format": "gpx"},
                          json=route, timeout=60)
    assert track.status_code == 200
    disposition = track.headers["Content-Disposition"]
    assert "X-Evil" not in track.headers and "filename*" not in disposition
    assert disposition.count("filename=") == 1
    name = disposition.split("filename=", 1)[1]
    assert name.startswith('"crew-') and name.endswith('.gpx"') and name.count('"') == 2
    assert not set(name[1:-1]) & set('<>"\\/;\r\n')


@pytest.mark.parametrize(("field", "value"), [
    ("order", None), ("order", {"a": 1}), ("request", None), ("request", ["x"]),
    ("arrival", None), ("arrival", 12), ("walk_m", "far"), ("walk_m", [1]),
    ("location", [24.47]), ("location", ["a", "b"]),
])
def test_odd_route_sheet_fields_are_a_400_naming_the_field(live_server, field, value):
    stop = _route()["stops"][0]
    if value is None:
        del stop[field]
    else:
        stop[field] = value
    for fmt in ("html", "gpx", "geojson"):
        answer = requests.post(f"{live_server}/api/route-sheet", params={"format": fmt},
                               json={**_route(), "stops": [stop]}, timeout=60)
        assert answer.status_code == 400, (fmt, field, value, answer.text)
        assert field in answer.json()["description"]


@pytest.mark.parametrize("change", [{"crew": None}, {"crew": ["A"]}, {"drive_s": "long"},
                                    {"route": {"coordinates": [["x"]]}}, {"stops": {}}])
def test_odd_route_fields_are_a_400(live_server, change):
    route = {**_route(), **change}
    if change.get("crew", "") is None:
        del route["crew"]
    answer = requests.post(f"{live_server}/api/route-sheet", json=route, timeout=60)
    assert answer.status_code == 400, (change, answer.text)


@pytest.mark.parametrize("path", ["/", "/ogc/collections?f=html", "/api/legend",
                                  "/no/such/page", "/open311/v2/services.json"])
def test_every_answer_carries_the_security_headers(live_server, path):
    answer = requests.get(f"{live_server}{path}", timeout=60)
    policy = answer.headers.get("Content-Security-Policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
    assert directives.get("frame-ancestors") == ["'none'"], policy
    assert "'unsafe-inline'" not in directives.get("script-src", ["'unsafe-inline'"]), policy
    assert directives.get("object-src") == ["'none'"], policy
    assert answer.headers.get("X-Content-Type-Options") == "nosniff"
    assert answer.headers.get("Referrer-Policy") == "strict-origin-when-cross-origin"


def _new_zone(live_server, demo_url, **properties) -> str:
    """A zone made through the OGC API with a staff token (committed: exports read it); its
    feature URL."""
    staff = token(demo_url, "hostile-injection-staff", "staff")
    made = requests.post(f"{live_server}/ogc/collections/zoning/items", timeout=60,
                         headers={"Authorization": f"Bearer {staff}",
                                  "Content-Type": "application/geo+json"},
                         json={"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [
                             [[24.46, 35.36], [24.49, 35.36], [24.49, 35.38], [24.46, 35.38],
                              [24.46, 35.36]]]},
                               "properties": {"plan_id": "GPS-2004",
                                              "land_use": "general_residential", **properties}})
    assert made.status_code == 201, made.text
    return made.headers["Location"]


def _remove(demo_url, location: str) -> None:
    staff = token(demo_url, "hostile-injection-staff", "staff")
    requests.delete(location, timeout=60, headers={"Authorization": f"Bearer {staff}"})


@pytest.fixture(scope="module")
def formula_zone(live_server, demo_url):
    """A zone (in force in 1902 only) whose id and code are spreadsheet formulas."""
    zone_id = f"=1+2-{uuid.uuid4().hex[:6]}"
    location = _new_zone(live_server, demo_url, zone_id=zone_id, max_floors=3,
                         zone_code='=HYPERLINK("http://evil.example","x")',
                         valid_from="1902-01-01", valid_to="1902-12-31")
    yield zone_id
    _remove(demo_url, location)


def _cells(text: str, zone_id: str) -> dict[str, str]:
    table = list(csv.DictReader(io.StringIO(text)))
    return next(r for r in table if r["zone_id"].lstrip("'") == zone_id)


def test_exported_csv_cells_cannot_be_formulas(live_server, demo_url, formula_zone, tmp_path):
    answer = requests.get(f"{live_server}/api/export", timeout=60,
                          params={"layer": "zoning", "format": "csv"})
    assert answer.status_code == 200
    row = _cells(answer.text, formula_zone)
    assert row["zone_code"] == "'=HYPERLINK(\"http://evil.example\",\"x\")"
    assert row["zone_id"] == "'" + formula_zone
    assert float(row["max_floors"]) == 3 and row["valid_from"] == "1902-01-01"  # numbers stay
    written = tmp_path / "zoning.csv"
    exported = dimos("export", "zoning", "--format", "csv", "--output", written,
                     url=demo_url)
    assert exported.returncode == 0, exported.stderr
    row = _cells(written.read_text(encoding="utf-8"), formula_zone)
    assert row["zone_code"].startswith("'=") and float(row["max_floors"]) == 3


def test_csv_cells_starting_with_formula_characters_are_neutralised():
    from gis.csv_cells import neutral_cell

    for hostile in ("=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1"):
        assert neutral_cell(hostile) == "'" + hostile
    for kept in (-42, 3.5, "-42", "Ρέθυμνο", "", None):
        assert neutral_cell(kept) == kept
    assert neutral_cell("+30 2831 0") == "'+30 2831 0"  # a phone number, but a formula to Excel


def _watched_page(browser):
    """A page and the Content-Security-Policy violations it meets (events and console)."""
    page = browser.new_page()
    violations: list[str] = []
    page.on("console", lambda m: ("Content Security Policy" in m.text
                                  or "Content-Security-Policy" in m.text)
            and violations.append(f"{page.url}: {m.text[:200]}"))
    page.add_init_script("""document.addEventListener('securitypolicyviolation', e =>
        console.error('Content-Security-Policy violation: ' + e.violatedDirective + ' '
                      + e.blockedURI))""")
    return page, violations


def test_the_map_and_the_ogc_pages_run_under_the_policy_with_no_violation(live_server,
                                                                          browser):
    page, violations = _watched_page(browser)
    try:
        page.goto(live_server + "/")
        page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        for tab in ("#tab-citizen", "#tab-staff", "#tab-planner"):
            page.click(tab)
        page.wait_for_load_state("networkidle")
        for path in ("/ogc/collections?f=html", "/ogc?f=html",
                     "/ogc/collections/bus_stops/items?f=html&limit=5",
                     "/ogc/collections/zoning?f=html"):
            answer = page.goto(live_server + path)
            assert answer.status == 200, path
            page.wait_for_load_state("networkidle")
        assert "frame-ancestors" in answer.headers.get("content-security-policy", "")
    finally:
        page.close()
    assert violations == []


@pytest.fixture
def hostile_zone(live_server, demo_url):
    """A zone in force in 1901 only (alone on the map then) whose code is an HTML element."""
    code = f'<img src=x onerror="window.pwned=1">{uuid.uuid4().hex[:4]}'
    location = _new_zone(live_server, demo_url, zone_id=f"hostile-{uuid.uuid4().hex[:6]}",
                         zone_code=code, valid_from="1901-01-01", valid_to="1901-12-31")
    yield code
    _remove(demo_url, location)


def test_a_hostile_zone_code_is_shown_as_text_in_the_planner_tooltip(live_server, browser,
                                                                      hostile_zone):
    page, violations = _watched_page(browser)
    try:
        page.goto(live_server + "/")
        page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        page.fill("#plan-date", "1901-06-01")
        page.evaluate("""new Promise(done => { dimos.map.once('dimos:in-force', () => done());
            document.getElementById('plan-in-force').click(); })""")
        page.evaluate("dimos.map.setView([35.37, 24.475], 15, {animate: false})")
        box = page.locator("#map").bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.move(box["x"] + box["width"] / 2 + 5, box["y"] + box["height"] / 2 + 5)
        tooltip = page.locator(".leaflet-tooltip")
        tooltip.wait_for(timeout=10_000)
        assert hostile_zone in tooltip.inner_text()
        assert tooltip.locator("img").count() == 0
        assert page.evaluate("window.pwned") is None
    finally:
        page.close()
    assert violations == []
