"""The web map in a real headless Chromium (Debian's), driven by Playwright."""
from __future__ import annotations

import io
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests
from PIL import Image

import layers
from gis import db
from tests.helpers import dimos, rows, token

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"


class Visit:
    """A page of the map with every request and console error it caused."""

    def __init__(self, browser, base, **context):
        # the tests' own tooling (axe-core, wait_for_function) runs inline code the site's
        # Content-Security-Policy forbids; the policy itself: tests/test_hostile_injection.py
        self.context = browser.new_context(bypass_csp=True, **context)
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(base + "/")
        self.page.wait_for_selector("body[data-ready=true]", timeout=30_000)

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))

    def axe_violations(self) -> list[str]:
        """Serious and critical accessibility violations axe-core finds on the page."""
        self.page.add_script_tag(path=str(AXE))
        found = self.page.evaluate("""axe.run(document, {resultTypes: ['violations']})
            .then(r => r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
            .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', ')))""")
        return found

    def click_map_at(self, lon: float, lat: float, zoom: int = 17) -> None:
        self.page.evaluate(f"dimos.map.setView([{lat}, {lon}], {zoom}, {{animate: false}})")
        point = self.page.evaluate(
            f"(() => {{ const p = dimos.map.latLngToContainerPoint([{lat}, {lon}]);"
            f" return [p.x, p.y]; }})()")
        box = self.page.locator("#map").bounding_box()
        self.page.mouse.click(box["x"] + point[0], box["y"] + point[1])


@pytest.fixture
def visit(browser, live_server):
    opened = []

    def open_page(**context):
        opened.append(Visit(browser, live_server, **context))
        return opened[-1]

    yield open_page
    for page in opened:
        page.context.close()


def test_the_map_loads_with_no_request_leaving_the_server_and_no_errors(visit, live_server):
    page = visit()
    page.page.wait_for_load_state("networkidle")
    origin = urlparse(live_server).netloc
    outside = [u for u in page.requests if urlparse(u).scheme in ("http", "https")
               and urlparse(u).netloc != origin]
    assert outside == []
    assert page.errors == []
    assert any("/ogc/collections/roads/tiles/" in u for u in page.requests)  # own basemap
    assert any("/ogc/collections/zoning/tiles/" in u for u in page.requests)


def test_the_layer_panel_is_the_catalogue_in_greek_and_english(visit):
    page = visit().page
    labels = page.locator("#layers label").all_inner_texts()
    assert labels == [layer.title_el for layer in layers.COLLECTIONS]
    assert page.evaluate("document.documentElement.lang") == "el"
    page.click("#language")
    assert page.locator("#layers label").all_inner_texts() == [
        layer.title_en for layer in layers.COLLECTIONS]
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.locator("#tab-citizen").inner_text() == "Citizens"


def test_turning_a_layer_on_requests_its_tiles(visit):
    page = visit()
    page.page.check("#layer-refuge_areas")
    page.page.wait_for_load_state("networkidle")
    assert any("/ogc/collections/refuge_areas/tiles/WebMercatorQuad/" in u for u in page.requests)


def test_a_planner_clicks_a_zone_and_reads_its_terms_plan_and_fek(visit, demo_url):
    (lon, lat, zone_code, fek), = rows(demo_url, """
        SELECT ST_X(p), ST_Y(p), z.zone_code, pl.fek FROM (
          SELECT ST_Transform(ST_PointOnSurface(geom), 4326) AS p, zone_code, plan_id, geom
          FROM zoning WHERE valid_to IS NULL AND plan_id = 'GPS-2004' ORDER BY id LIMIT 1) AS z
        JOIN plans pl ON pl.plan_id = z.plan_id""")
    page = visit()
    page.click_map_at(lon, lat)
    table = page.page.locator("#report table.zones")
    table.wait_for(timeout=15_000)
    assert zone_code in table.inner_text() and fek in table.inner_text()
    page.screenshot("planner-report")


def test_a_citizen_reports_a_problem_with_a_photo_after_seeing_requests_nearby(visit, demo_url,
                                                                               tmp_path):
    (number, lon, lat), = rows(demo_url, """
        SELECT service_request_id, ST_X(ST_Transform(geom, 4326)), ST_Y(ST_Transform(geom, 4326))
        FROM service_requests WHERE status = 'open' AND service_code = 'pothole'
        ORDER BY id LIMIT 1""")
    photo = tmp_path / "pothole.jpg"
    Image.new("RGB", (640, 480), (90, 90, 90)).save(photo, "JPEG")
    page = visit()
    page.page.click("#tab-citizen")
    page.page.select_option("#service", "pothole")
    page.click_map_at(lon + 0.0001, lat)  # ~9 m east of an open pothole request
    page.page.wait_for_selector(f"#nearby [data-follow='{number}']", timeout=15_000)
    page.page.fill("#description", "Λακκούβα από τον δοκιμαστικό φυλλομετρητή")
    page.page.set_input_files("#photos", str(photo))
    page.page.fill("#email", "browser.test@example.gr")
    page.page.click("#report-form button[type=submit]")
    made = page.page.locator("#report-result .request-id")
    made.wait_for(timeout=15_000)
    stored = rows(demo_url, """SELECT r.description, count(m.id) FROM service_requests r
        LEFT JOIN service_request_media m ON m.request_id = r.id
        WHERE r.service_request_id = %s GROUP BY r.description""", (made.inner_text(),))
    assert stored == [("Λακκούβα από τον δοκιμαστικό φυλλομετρητή", 1)]
    follow = page.page.locator("#follow-result")  # the new request appears, with its status
    page.page.wait_for_function(
        f"document.querySelector('#follow-result').textContent.includes('{made.inner_text()}')")
    assert layers.get("service_requests").field("status").choice_title("open", "el") in follow.inner_text()
    page.screenshot("citizen-report")


def test_a_report_whose_answer_was_lost_waits_in_the_outbox_and_is_filed_once(visit, demo_url):
    (lon, lat), = rows(demo_url, """
        SELECT ST_X(ST_Transform(geom, 4326)), ST_Y(ST_Transform(geom, 4326))
        FROM service_requests WHERE service_code = 'pothole' ORDER BY id DESC LIMIT 1""")
    description = f"Σπασμένο παγκάκι {uuid.uuid4().hex[:8]}"
    page = visit()
    keys = []

    def lose_the_first_answer(route):
        if route.request.method != "POST":
            route.continue_()
            return
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) == 1:
            route.fetch()  # the server files the report; its answer never reaches the map
            route.abort("connectionreset")
        else:
            route.continue_()

    page.page.route(lambda url: url.endswith("/open311/v2/requests.json"), lose_the_first_answer)
    page.page.click("#tab-citizen")
    page.page.select_option("#service", "pothole")
    page.click_map_at(lon + 0.0003, lat)
    page.page.fill("#description", description)
    page.page.click("#report-form button[type=submit]")
    # no answer: the report waits on the device, and the outbox sends it again by itself
    page.page.locator("#outbox li[data-state=waiting]").wait_for(timeout=15_000)
    assert page.page.locator("#report-result .request-id").count() == 0
    made = page.page.locator("#outbox li[data-state=sent] .request-id")
    made.wait_for(timeout=30_000)
    assert len(keys) == 2 and keys[0] and keys[0] == keys[1]
    assert rows(demo_url, "SELECT service_request_id FROM service_requests WHERE description = %s",
                (description,)) == [(made.inner_text(),)]


def test_a_citizen_finds_the_nearest_free_bays_on_foot(visit, demo_url):
    from shapely.geometry import Point

    from gis.parking import nearest_free_bays

    page = visit()
    page.page.click("#tab-citizen")
    page.click_map_at(24.4735, 35.3695)
    page.page.click("[data-nearest=bays]")
    page.page.wait_for_selector("#nearest li", timeout=15_000)
    shown = [name.split()[0] for name in page.page.locator("#nearest .name").all_inner_texts()]
    lon, lat = page.page.evaluate("(() => { const c = dimos.map.getCenter(); "
                                  "return [c.lng, c.lat]; })()")
    (x, y), = rows(demo_url, "SELECT ST_X(p), ST_Y(p) FROM ST_Transform(ST_SetSRID("
                             "ST_MakePoint(%s, %s), 4326), 2100) AS p", (lon, lat))
    conn = db.connect(demo_url)
    try:
        with conn.cursor() as cur:
            expected = nearest_free_bays(cur, Point(x, y), 5)
    finally:
        conn.close()
    assert shown == [f["id"] for f in expected]
    distances = page.page.locator("#nearest .distance").all_inner_texts()
    assert all("με τα πόδια" in d for d in distances)
    walks = [float(d.split()[0]) for d in distances]
    assert walks == sorted(walks)
    page.screenshot("citizen-free-bays")


def test_the_map_shows_live_parking_changes_within_two_seconds(visit, demo_url, live_server):
    page = visit()
    page.page.wait_for_selector("body[data-live-free-bays]", timeout=15_000)
    (free,), = rows(demo_url, "SELECT count(*) FROM parking_bays WHERE jurisdiction_id = "
                              "'rethymno' AND occupancy_state = 'free'")
    assert page.page.evaluate("document.body.dataset.liveFreeBays") == str(free)
    (sensor,), = rows(demo_url, "SELECT sensor_id FROM parking_bays WHERE jurisdiction_id = "
                                "'rethymno' AND occupancy_state = 'free' ORDER BY bay_id LIMIT 1")
    gateway = token(demo_url, "map-gateway", "gateway")
    sent = time.monotonic()
    answer = requests.post(f"{live_server}/api/sensors/readings", timeout=30,
                           headers={"Authorization": f"Bearer {gateway}"},
                           json={"jurisdiction_id": "rethymno", "readings": [{
                               "sensor_id": sensor, "occupied": True,
                               "ts": datetime.now(UTC).isoformat()}]})
    assert answer.status_code == 200 and answer.json()["stored"] == 1, answer.text
    page.page.wait_for_function(
        f"document.body.dataset.liveFreeBays === '{free - 1}'", timeout=5_000)
    assert time.monotonic() - sent < 2.0
    assert str(free - 1) in page.page.locator("#live-status").inner_text()


def test_a_citizen_finds_the_nearest_refuge_area_with_its_distance(visit):
    page = visit()
    page.page.click("#tab-citizen")
    page.click_map_at(24.4747, 35.3676)
    page.page.click("[data-nearest=refuge]")
    page.page.wait_for_selector("#nearest li", timeout=15_000)
    distances = [float(d.split()[0]) for d in page.page.locator("#nearest .distance").all_inner_texts()]
    assert len(distances) == 5 and distances == sorted(distances)


def test_staff_sign_in_and_see_open_requests_clustered_and_filtered(visit, demo_url):
    staff = token(demo_url, "map-staff-test", "staff")
    page = visit()
    page.page.click("#tab-staff")
    page.page.click("#token-sign-in summary")
    page.page.fill("#token", staff)
    page.page.click("#signin-token button[type=submit]")
    page.page.wait_for_selector("#staff-count .count", timeout=30_000)
    (open_count,), = rows(demo_url, "SELECT count(*) FROM service_requests "
                                    "WHERE status IN ('open', 'acknowledged', 'in_progress')")
    assert int(page.page.locator("#staff-count .count").inner_text()) == open_count
    assert page.page.locator(".marker-cluster").count() > 0
    # the wardens' layer: occupied paying bays with no paid session, as the server counts them
    page.page.wait_for_selector("#unpaid-count .count", timeout=15_000)
    (unpaid,), = rows(demo_url, """
        SELECT count(*) FROM parking_bays b WHERE b.jurisdiction_id = 'rethymno'
          AND b.occupancy_state = 'occupied' AND b.tariff_eur_h > 0 AND b.bay_type = 'regular'
          AND b.state_since < now() - interval '10 minutes' AND NOT EXISTS (
            SELECT 1 FROM parking_sessions p WHERE p.jurisdiction_id = b.jurisdiction_id
              AND p.bay_id = b.bay_id AND p.starts_at <= now() AND p.ends_at > now())""")
    assert unpaid > 0
    assert int(page.page.locator("#unpaid-count .count").inner_text()) == unpaid
    page.page.select_option("#f-category", "rubbish")
    page.page.click("#staff-filters button[type=submit]")
    (rubbish,), = rows(demo_url, "SELECT count(*) FROM service_requests WHERE status IN "
                                 "('open', 'acknowledged', 'in_progress') AND service_code = 'rubbish'")
    page.page.wait_for_function(
        f"document.querySelector('#staff-count .count').textContent === '{rubbish}'",
        timeout=15_000)
    page.screenshot("staff-requests")

    page.page.click("#show-clusters")
    page.page.wait_for_selector("#routes .cluster-count", timeout=30_000)
    assert int(page.page.locator("#routes .cluster-count").inner_text()) > 0
    page.page.fill("#crew-count", "2")
    page.page.click("#plan-routes")
    page.page.wait_for_selector("#routes .crew-route", timeout=60_000)
    assert page.page.locator("#routes .crew-route").count() == 2
    assert page.page.locator(".stop").count() > 0  # numbered stops drawn on the map
    page.screenshot("staff-crew-routes")


def test_a_wrong_token_is_not_signed_in(visit):
    page = visit().page
    page.click("#tab-staff")
    page.click("#token-sign-in summary")
    page.fill("#token", "not-a-token")
    page.click("#signin-token button[type=submit]")
    page.wait_for_function("document.querySelector('#whoami').textContent.length > 0")
    assert page.locator("#staff-filters").is_hidden()


def test_staff_sign_in_with_an_account_and_sign_out(visit, demo_url):
    name = f"map-{uuid.uuid4().hex[:6]}"
    made = dimos("account", "create", name, "--role", "staff", "--jurisdiction", "rethymno",
                 "--password-stdin", url=demo_url, stdin="Ρέθυμνο-χάρτης-2026\n")
    assert made.returncode == 0, made.stderr
    page = visit().page
    page.click("#tab-staff")
    page.fill("#username", name)
    page.fill("#password", "Ρέθυμνο-χάρτης-2026")
    page.click("#signin button[type=submit]")
    page.wait_for_selector("#staff-count .count", timeout=30_000)
    assert name in page.locator("#whoami").inner_text()
    page.click("#show-clusters")  # a process run (POST) on the session: it carries the CSRF token
    page.wait_for_selector("#routes .cluster-count", timeout=30_000)
    page.reload()  # the session cookie keeps the person signed in
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    page.click("#tab-staff")
    page.wait_for_selector("#staff-count .count", timeout=30_000)
    page.click("#signout")
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    page.click("#tab-staff")
    assert page.locator("#staff-filters").is_hidden()


def test_staff_sign_in_through_the_town_halls_single_sign_on(visit, identity_provider):
    username = f"sso-{uuid.uuid4().hex[:6]}"
    identity_provider.add_user("cityhall", username, "σωστός-κωδικός-2026",
                               sub=uuid.uuid4().hex, groups=["gis-staff"])
    page = visit().page
    page.click("#tab-staff")
    page.click("#sso a:has-text('Δήμος Ρεθύμνης SSO')")
    page.wait_for_selector("input[name=username]")  # the provider's own form, another origin
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "σωστός-κωδικός-2026")
    page.click("button")
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)  # back on the map
    page.click("#tab-staff")
    page.wait_for_selector("#staff-count .count", timeout=30_000)
    assert "cityhall:" in page.locator("#whoami").inner_text()


def test_a_citizen_signed_in_with_taxisnet_reports_and_reads_the_note_left_for_them(
        visit, demo_url, live_server, identity_provider):
    username = f"citizen-{uuid.uuid4().hex[:6]}"
    identity_provider.add_user("taxisnet", username, "σωστός-κωδικός-2026", sub=uuid.uuid4().hex)
    page = visit().page
    page.click("#tab-citizen")
    page.click("#my-requests a:has-text('TAXISnet')")
    page.wait_for_selector("input[name=username]")  # TAXISnet's own page
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "σωστός-κωδικός-2026")
    page.click("button")
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    page.click("#tab-citizen")
    page.wait_for_selector("#my-requests p:has-text('Κανένα αίτημα')", timeout=15_000)
    page.select_option("#service", "street_light")
    page.evaluate("dimos.map.setView([35.3660, 24.4790], 18, {animate: false})")
    page.click("#pin-centre")
    page.click("#report-form button[type=submit]")  # a POST on the session: CSRF token sent
    made = page.locator("#report-result .request-id")
    made.wait_for(timeout=15_000)
    number = made.inner_text()
    page.wait_for_selector(f"#my-requests .my-request:has-text('{number}')", timeout=15_000)
    staff = token(demo_url, "map-note-staff", "staff")
    answer = requests.post(f"{live_server}/open311/v2/servicerequestupdates.json", timeout=30,
                           headers={"Authorization": f"Bearer {staff}"},
                           data={"service_request_id": number, "status": "acknowledged",
                                 "private_note": "Θα σας καλέσουμε αύριο"})
    assert answer.status_code == 201, answer.text
    page.reload()
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    page.click("#tab-citizen")
    page.wait_for_selector("#my-requests .note-for-you:has-text('Θα σας καλέσουμε αύριο')",
                           timeout=15_000)
    page.locator("#my-requests").scroll_into_view_if_needed()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "citizen-my-requests.png"))


@pytest.mark.parametrize("view", ["planner", "citizen", "staff"])
def test_no_serious_accessibility_violations_on_each_view(visit, view):
    page = visit()
    page.page.click(f"#tab-{view}")
    page.page.wait_for_load_state("networkidle")
    assert page.axe_violations() == []


def test_the_plan_in_force_on_a_past_date_is_drawn(visit, demo_url):
    page = visit().page
    page.fill("#plan-date", "2010-06-01")
    page.evaluate("""new Promise(done => { dimos.map.once('dimos:in-force', e => {
        window.inForce = e.count; done(); });
        document.getElementById('plan-in-force').click(); })""")
    (expected,), = rows(demo_url, """SELECT count(*) FROM zoning WHERE jurisdiction_id = 'rethymno'
        AND valid_from <= '2010-06-01' AND (valid_to IS NULL OR valid_to > '2010-06-01')""")
    assert page.evaluate("window.inForce") == expected


def test_every_control_has_a_label_and_the_tabs_work_with_the_keyboard(visit):
    page = visit().page
    # every control, the hidden ones too: a hidden panel's controls are shown later
    unlabelled = page.evaluate("""[...document.querySelectorAll('input, select, textarea, button')]
        .filter(el => { const name = el.getAttribute('aria-label') || el.labels?.[0]?.textContent
                         || el.textContent; return !(name && name.trim()); })
        .map(el => el.outerHTML.slice(0, 80))""")
    assert unlabelled == []
    page.focus("#tab-planner")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.id") == "tab-citizen"
    assert page.locator("#view-citizen").is_visible()
    assert page.locator("#view-planner").is_hidden()


def test_readable_on_a_phone(visit):
    page = visit(viewport={"width": 375, "height": 740}, is_mobile=True).page
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.locator("#map").bounding_box()["height"] > 200
    assert page.locator("#tab-citizen").bounding_box()["height"] >= 40  # a finger's target


def test_a_planner_exports_a_selection_as_geopackage_in_greek_grid(live_server, demo_url):
    import pyogrio
    import requests

    answer = requests.get(f"{live_server}/api/export", timeout=60, params={
        "layer": "zoning", "format": "gpkg", "filter": "building_coefficient > 1.2"})
    assert answer.status_code == 200
    frame = pyogrio.read_dataframe(io.BytesIO(answer.content))
    (expected,), = rows(demo_url, "SELECT count(*) FROM zoning WHERE building_coefficient > 1.2")
    assert len(frame) == expected and frame.crs.to_epsg() == 2100
    one = requests.get(f"{live_server}/api/export", timeout=60, params={
        "layer": "zoning", "format": "geojson", "jurisdiction_id": "rethymno"})
    (rethymno,), = rows(demo_url, "SELECT count(*) FROM zoning WHERE jurisdiction_id = 'rethymno'")
    assert len(one.json()["features"]) == rethymno
    unknown = requests.get(f"{live_server}/api/export", timeout=60, params={
        "layer": "zoning", "jurisdiction_id": "atlantis"})
    assert unknown.status_code == 400 and "atlantis" in unknown.json()["description"]


def test_route_sheets_gpx_and_geojson_for_a_planned_crew(live_server):
    import xml.etree.ElementTree as ElementTree

    import requests

    depot = {"type": "Point", "coordinates": [24.4800, 35.3640]}
    plan = requests.post(f"{live_server}/ogc/processes/plan-crew-routes/execution", timeout=120,
                         json={"inputs": {"time_limit_s": 2, "filter": "service_code = 'rubbish'",
                                          "crews": [{"id": "A", "depot": depot, "skills": ["rubbish"],
                                                     "shift_start": "2026-11-24T07:00:00+02:00",
                                                     "shift_end": "2026-11-24T11:00:00+02:00"}]}})
    route = plan.json()["routes"][0]
    assert route["stops"]
    sheet = requests.post(f"{live_server}/api/route-sheet", json=route, timeout=60)
    assert sheet.status_code == 200
    assert "/vendor/leaflet/dist/leaflet.js" in sheet.text
    assert not [host for host in ("cdn.jsdelivr", "code.jquery", "bootstrapcdn", "unpkg")
                if host in sheet.text]
    assert route["stops"][0]["request"] in sheet.text
    track = requests.post(f"{live_server}/api/route-sheet", params={"format": "gpx"}, json=route,
                          timeout=60)
    root = ElementTree.fromstring(track.content)
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    assert len(root.findall("g:wpt", ns)) == len(route["stops"])
    assert root.findall("g:trk/g:trkseg/g:trkpt", ns)
    features = requests.post(f"{live_server}/api/route-sheet", params={"format": "geojson"},
                             json=route, timeout=60).json()["features"]
    assert len(features) == 1 + len(route["stops"])
    bad = requests.post(f"{live_server}/api/route-sheet", json={"crew": "A"}, timeout=60)
    assert bad.status_code == 400
