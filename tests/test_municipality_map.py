"""Several municipalities on one map: /api/config tells the map which one it shows (asked, by
host name, by setting, or the first) with its centre, extent, services, routing and branding;
/m/<id>/ opens the map there and the picker switches it (issue 17's map).

Two towns of this module's own database, each a square of 10 km in EPSG:2100 with services of
its own: Rethymno (no settlements: the map opens on its land) and Chania (two settlements: the
map opens on the more populous one).
"""
from __future__ import annotations

import json

import pytest
from pyproj import Transformer

from dimos.app import create_app
from settings import Settings
from tests.helpers import add_municipality, dimos, rows, serving, token, wait_until

SQUARES = {"rethymno": (560_000, 3_910_000), "chania": (500_000, 3_920_000)}
SIZE_M = 10_000
NAMES = {"rethymno": ("Δήμος Ρεθύμνης", "Municipality of Rethymno"),
         "chania": ("Δήμος Χανίων", "Municipality of Chania")}
#: (code, name_el, name_en, group, department) of each town's services
SERVICES = {
    "rethymno": [("pothole", "Λακκούβα", "Pothole", "Οδοποιία", "Τεχνικές Υπηρεσίες"),
                 ("streetlight", "Φωτισμός", "Street light", "Ηλεκτροφωτισμός", "Ηλεκτρολογικό")],
    "chania": [("beach_cleaning", "Καθαρισμός παραλίας", "Beach cleaning", "Καθαριότητα",
                "Καθαριότητα Ακτών"),
               ("pothole", "Λακκούβα", "Pothole", "Οδοποιία", "Διεύθυνση Έργων Χανίων")],
}
#: a routing rule of Chania's: potholes in its old town go to another department
CHANIA_RULE = ("pothole", "7401010101", "Παλιά Πόλη — Συνεργείο")
#: Chania's settlements: (code, name, population, offset of its 1 km square in the town's)
SETTLEMENTS = [("7401010101", "Χανιά", 50_000, (2_000, 6_000)),
               ("7401020101", "Σούδα", 6_000, (7_000, 2_000))]
TO_CRS84 = Transformer.from_crs(2100, 4326, always_xy=True)
BRANDING = {"chania": {"title_el": "Χανιά — Δημοτικός χάρτης", "title_en": "Chania — city map",
                       "logo": "/vendor/leaflet/dist/images/marker-icon.png",
                       "hosts": ["dimos.chania.gr"]}}


def _extent(jurisdiction: str) -> list[float]:
    """The CRS84 box of the town's square (its corners: ST_Transform moves vertices only)."""
    x, y = SQUARES[jurisdiction]
    lons, lats = TO_CRS84.transform([x, x + SIZE_M, x, x + SIZE_M], [y, y, y + SIZE_M, y + SIZE_M])
    return [min(lons), min(lats), max(lons), max(lats)]


def point_in(jurisdiction: str, dx: float = 5_000, dy: float = 5_000) -> tuple[float, float]:
    x, y = SQUARES[jurisdiction]
    return TO_CRS84.transform(x + dx, y + dy)


@pytest.fixture(scope="module")
def towns(migrated_url) -> str:
    from gis import db

    url = migrated_url
    for jurisdiction, (x, y) in SQUARES.items():
        add_municipality(url, jurisdiction, NAMES[jurisdiction][0], x, y, size_m=SIZE_M)
    conn = db.connect(url)
    with conn, conn.cursor() as cur:
        for jurisdiction, (name_el, name_en) in NAMES.items():
            cur.execute("UPDATE jurisdictions SET name_el = %s, name_en = %s WHERE id = %s",
                        (name_el, name_en, jurisdiction))
            for code, el, en, group, department in SERVICES[jurisdiction]:
                cur.execute("""INSERT INTO services (jurisdiction_id, service_code, name_el, name_en,
                                 group_name, sla_hours, department)
                               VALUES (%s, %s, %s, %s, %s, 72, %s)""",
                            (jurisdiction, code, el, en, group, department))
        cur.execute("""INSERT INTO service_routing (jurisdiction_id, service_code, settlement_code,
                         department) VALUES ('chania', %s, %s, %s)""", CHANIA_RULE)
        x, y = SQUARES["chania"]
        for code, name, population, (dx, dy) in SETTLEMENTS:
            cur.execute("""INSERT INTO settlements (jurisdiction_id, settlement_code, name, category,
                             population_2021, geom)
                           VALUES ('chania', %s, %s, 'town_plan', %s,
                                   ST_Multi(ST_MakeEnvelope(%s, %s, %s, %s, 2100)))""",
                        (code, name, population, x + dx, y + dy, x + dx + 1_000, y + dy + 1_000))
    conn.close()
    return url


def _client(url: str, tmp_path, **settings):
    return create_app(Settings(database_url=url, state_dir=tmp_path / "state", **settings),
                      with_ogc=False).test_client()


@pytest.fixture
def client(towns, tmp_path):
    return _client(towns, tmp_path, municipalities=BRANDING, default_jurisdiction="rethymno")


def _inside(url: str, jurisdiction: str, lat: float, lon: float, table: str = "jurisdictions",
            key: str = "id") -> bool:
    query = {"jurisdictions": "SELECT ST_Intersects(boundary, p) FROM jurisdictions WHERE id = %s",
             "settlements": "SELECT ST_Intersects(geom, p) FROM settlements WHERE name = %s"}[table]
    (inside,), = rows(url, query.replace(" FROM ", " FROM (SELECT ST_Transform(ST_SetSRID("
                                         "ST_MakePoint(%s, %s), 4326), 2100) AS p) AS q, ", 1),
                      (lon, lat, jurisdiction))
    return inside


@pytest.mark.parametrize("jurisdiction", SQUARES)
def test_each_municipality_opens_inside_its_own_land_with_its_extent(client, towns, jurisdiction):
    answer = client.get(f"/api/config?jurisdiction={jurisdiction}")
    assert answer.status_code == 200, answer.json
    shown = answer.json["jurisdiction"]
    assert shown["id"] == jurisdiction
    assert (shown["name_el"], shown["name_en"]) == NAMES[jurisdiction]
    lat, lon = shown["centre"]
    assert answer.json["centre"] == shown["centre"]
    assert _inside(towns, jurisdiction, lat, lon)
    assert shown["extent"] == pytest.approx(_extent(jurisdiction), abs=1e-9)
    assert {m["id"] for m in answer.json["municipalities"]} == set(SQUARES)


def test_chania_opens_on_its_most_populous_settlement(client, towns):
    lat, lon = client.get("/api/config?jurisdiction=chania").json["jurisdiction"]["centre"]
    most_populous = max(SETTLEMENTS, key=lambda s: s[2])[1]
    assert _inside(towns, most_populous, lat, lon, table="settlements")


def test_each_municipality_lists_its_own_services_and_routing(client):
    for jurisdiction, services in SERVICES.items():
        shown = client.get(f"/api/config?jurisdiction={jurisdiction}").json["jurisdiction"]
        assert [(s["service_code"], s["service_name"], s["service_name_en"], s["group"])
                for s in shown["services"]] == [s[:4] for s in sorted(services)]
        rules = {"chania": {CHANIA_RULE[0]: [{"district_code": None,
                                              "settlement_code": CHANIA_RULE[1],
                                              "department": CHANIA_RULE[2]}]}}.get(jurisdiction, {})
        assert shown["routing"] == [{"service_code": code, "department": department,
                                     "rules": rules.get(code, [])}
                                    for code, _, _, _, department in sorted(services)]
    codes = {j: {s[0] for s in SERVICES[j]} for j in SERVICES}
    assert codes["chania"] != codes["rethymno"]  # the towns' lists differ: the test can tell


def test_the_branding_is_the_settings_and_the_name_where_there_is_none(client):
    chania = client.get("/api/config?jurisdiction=chania").json["jurisdiction"]["branding"]
    assert chania == {k: BRANDING["chania"][k] for k in ("title_el", "title_en", "logo")}
    rethymno = client.get("/api/config?jurisdiction=rethymno").json["jurisdiction"]["branding"]
    assert rethymno == {"title_el": None, "title_en": None, "logo": None}


def test_a_centre_and_zoom_of_the_settings_are_where_the_map_opens(towns, tmp_path):
    lon, lat = point_in("chania", 9_000, 9_000)
    client = _client(towns, tmp_path, municipalities={"chania": {"centre": [lat, lon], "zoom": 12}})
    answer = client.get("/api/config?jurisdiction=chania").json
    assert answer["jurisdiction"]["centre"] == answer["centre"] == [lat, lon]
    assert answer["zoom"] == answer["jurisdiction"]["zoom"] == 12
    rethymno = client.get("/api/config?jurisdiction=rethymno").json
    assert rethymno["zoom"] == 15 and _inside(towns, "rethymno", *rethymno["centre"])


def test_an_unknown_municipality_is_a_404_naming_it_cut_short(client):
    answer = client.get("/api/config?jurisdiction=heraklion")
    assert answer.status_code == 404 and "heraklion" in answer.json["description"]
    long = "a" * 5000
    answer = client.get(f"/api/config?jurisdiction={long}")
    assert answer.status_code == 404
    assert "a" * 40 in answer.json["description"] and "a" * 41 not in answer.json["description"]
    assert client.get("/m/heraklion/").status_code == 404
    assert client.get("/m/Chania!/").status_code == 404


@pytest.mark.parametrize("bad", ["", "Chania", "chania'--", "1chania", "χανιά"])
def test_a_value_that_cannot_be_a_municipality_id_is_a_400(client, bad):
    answer = client.get("/api/config", query_string={"jurisdiction": bad})
    assert answer.status_code == 400, answer.json
    assert answer.json["code"] == "InvalidParameterValue"


def test_the_host_name_chooses_before_the_default_setting(client):
    for host in ("dimos.chania.gr", "DIMOS.chania.gr:8443"):
        answer = client.get("/api/config", headers={"Host": host})
        assert answer.json["jurisdiction"]["id"] == "chania", host
    # another host: the installation's default (rethymno, not the first by id: chania)
    assert client.get("/api/config", headers={"Host": "dimos.example.gr"}
                      ).json["jurisdiction"]["id"] == "rethymno"


def test_without_settings_the_first_municipality_is_shown(towns, tmp_path):
    assert _client(towns, tmp_path).get("/api/config").json["jurisdiction"]["id"] == "chania"
    chosen = _client(towns, tmp_path, default_jurisdiction="rethymno").get("/api/config")
    assert chosen.json["jurisdiction"]["id"] == "rethymno"


def test_the_map_page_opens_for_each_municipality(client):
    for jurisdiction in SQUARES:
        page = client.get(f"/m/{jurisdiction}/")
        assert page.status_code == 200 and b'id="map"' in page.data


def test_a_report_filed_in_chania_with_a_point_in_rethymno_is_refused(client, towns):
    lon, lat = point_in("rethymno")
    answer = client.post("/open311/v2/requests.json", data={
        "jurisdiction_id": "chania", "service_code": "pothole", "lat": lat, "long": lon,
        "description": "on the wrong side"})
    assert answer.status_code == 400
    assert "rethymno" in answer.json[0]["description"]
    assert rows(towns, "SELECT count(*) FROM service_requests WHERE description = %s",
                ("on the wrong side",)) == [(0,)]


@pytest.mark.parametrize("setting, value", [
    ("DIMOS_MUNICIPALITIES", json.dumps({"heraklion": {"title_en": "Heraklion"}})),
    ("DIMOS_DEFAULT_JURISDICTION", "heraklion"),
])
def test_a_setting_naming_an_unknown_municipality_stops_the_server_saying_which(towns, tmp_path,
                                                                                 setting, value):
    done = dimos("serve", "--port", "1", url=towns, timeout=60,
                 **{setting: value, "DIMOS_STATE_DIR": str(tmp_path)})
    assert done.returncode == 1
    assert setting in done.stderr and "heraklion" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("logo", ["https://cdn.example.com/logo.png", "//cdn.example.com/l.png",
                                  "javascript:alert(1)", "/assets/../../etc/passwd", "logo.png"])
def test_a_logo_from_elsewhere_is_refused_in_one_line(towns, logo):
    done = dimos("doctor", url=towns, DIMOS_MUNICIPALITIES=json.dumps({"chania": {"logo": logo}}))
    assert done.returncode == 1
    assert done.stderr.startswith("dimos: error: DIMOS_MUNICIPALITIES chania.logo:"), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


# --- the map in a real Chromium (tests/test_web_map.py's way) ---------------------------------

@pytest.fixture(scope="module")
def server(towns, tmp_path_factory):
    with serving(towns, tmp_path_factory.mktemp("municipality-map"), workers=1,
                 rate_limit_reports_per_min=0, sensors_ingest=0,
                 municipalities=json.dumps(BRANDING), default_jurisdiction="rethymno") as base:
        yield base


@pytest.fixture
def page(server):
    from playwright.sync_api import sync_playwright

    from tests.helpers import CHROMIUM, FLAGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(bypass_csp=True)  # wait_for_function runs inline code
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.errors = errors
        yield page
        browser.close()


def _shown_centre(page) -> tuple[float, float]:
    return tuple(page.evaluate("(() => { const c = dimos.map.getCenter(); return [c.lat, c.lng]; })()"))


def _in_box(lat: float, lon: float, box: list[float]) -> bool:
    return box[0] <= lon <= box[2] and box[1] <= lat <= box[3]


def _drawn_requests(page) -> list[str]:
    """The request numbers the citizen view draws on the map."""
    return page.evaluate("""(() => { const found = []; dimos.map.eachLayer((l) => {
        if (l.options && l.options.requestId) found.push(l.options.requestId); });
        return found; })()""")


def _service_codes(page) -> list[str]:
    return page.locator("#service option").evaluate_all("os => os.map((o) => o.value)")


def test_a_report_filed_in_chania_is_shown_in_chania_and_not_in_rethymno(page, server, towns):
    page.goto(f"{server}/m/chania/")
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    # Chania's title, logo, centre and services
    assert page.locator("h1 [data-i18n=title]").inner_text() == BRANDING["chania"]["title_el"]
    assert page.locator("#logo").get_attribute("src") == BRANDING["chania"]["logo"]
    assert page.locator("#municipality").input_value() == "chania"
    assert _in_box(*_shown_centre(page), _extent("chania"))
    page.click("#tab-citizen")
    wait_until(lambda: sorted(_service_codes(page)) == sorted(s[0] for s in SERVICES["chania"]),
               15, "Chania's services in the report form")
    page.wait_for_selector("body[data-recent-requests]", timeout=15_000)
    # other tests of the module may have filed in Chania: this one checks its own report only
    before = set(_drawn_requests(page))

    # a report through the form, pinned inside Chania
    lon, lat = point_in("chania", 4_000, 4_000)
    page.select_option("#service", "beach_cleaning")
    page.evaluate(f"dimos.map.setView([{lat}, {lon}], 16, {{animate: false}})")
    page.click("#pin-centre")
    page.fill("#description", "Σκουπίδια στην παραλία (δοκιμή)")
    page.click("#report-form button[type=submit]")
    made = page.locator("#report-result .request-id")
    made.wait_for(timeout=15_000)
    number = made.inner_text()
    assert rows(towns, "SELECT jurisdiction_id, service_code FROM service_requests "
                       "WHERE service_request_id = %s", (number,)) == [("chania", "beach_cleaning")]
    # listed and drawn under Chania
    page.wait_for_selector(f"#municipality-requests [data-follow='{number}']", timeout=15_000)
    wait_until(lambda: set(_drawn_requests(page)) == before | {number}, 15,
               "the report drawn beside what Chania showed before")

    # the picker: Rethymno, its address, centre, title and services; the report is not there
    page.select_option("#municipality", "rethymno")
    page.wait_for_url(f"{server}/m/rethymno/", timeout=15_000)
    page.wait_for_function("document.body.dataset.jurisdiction === 'rethymno'", timeout=15_000)
    wait_until(lambda: sorted(_service_codes(page)) == sorted(s[0] for s in SERVICES["rethymno"]),
               15, "Rethymno's services in the report form")
    wait_until(lambda: _in_box(*_shown_centre(page), _extent("rethymno")), 15,
               "the map to move to Rethymno")
    assert page.locator("h1 [data-i18n=title]").inner_text() == "Δήμος Ρεθύμνης — Χάρτης υπηρεσιών"
    assert page.locator("#logo").is_hidden()
    page.wait_for_selector("body[data-recent-requests]", timeout=15_000)
    assert page.locator(f"#municipality-requests [data-follow='{number}']").count() == 0
    wait_until(lambda: number not in _drawn_requests(page), 15, "Chania's report gone from Rethymno")
    # followed by number under Rethymno: not one of its requests
    page.fill("#follow-id", number)
    page.click("#follow-form button[type=submit]")
    page.wait_for_function("document.querySelector('#follow-result').textContent.length > 0",
                           timeout=15_000)
    assert page.locator("#follow-result").inner_text().startswith("Δεν βρέθηκε")

    # back: Chania again, from the address
    page.go_back()
    page.wait_for_url(f"{server}/m/chania/", timeout=15_000)
    page.wait_for_function("document.body.dataset.jurisdiction === 'chania'", timeout=15_000)
    page.wait_for_selector(f"#municipality-requests [data-follow='{number}']", timeout=15_000)
    assert page.locator("#municipality").input_value() == "chania"
    assert page.errors == []


def test_the_host_name_opens_its_municipality_and_the_picker_writes_the_address(page, server):
    page.goto(f"{server}/")
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    # 127.0.0.1 is no municipality's host: the installation's default
    assert page.evaluate("document.body.dataset.jurisdiction") == "rethymno"
    assert page.locator("#municipality-picker").is_visible()
    assert page.locator("#municipality option").evaluate_all(
        "os => os.map((o) => o.value)") == sorted(SQUARES)
    page.select_option("#municipality", "chania")
    page.wait_for_url(f"{server}/m/chania/", timeout=15_000)
    page.wait_for_function("document.body.dataset.jurisdiction === 'chania'", timeout=15_000)
    wait_until(lambda: _in_box(*_shown_centre(page), _extent("chania")), 15,
               "the map to move to Chania")
    assert page.title() == f"dimos — {BRANDING['chania']['title_el']}"
    assert page.errors == []


# --- the staff view: the staff member's municipality, whatever the map shows --------------

def _file_request(url: str, jurisdiction: str, description: str) -> str:
    """An open pothole report in ``jurisdiction`` (as dimos itself): its number."""
    from shapely.geometry import Point

    from gis import db
    from gis import service_requests as sr

    lon, lat = point_in(jurisdiction, 3_000, 7_000)
    conn = db.connect(url)
    with conn, conn.cursor() as cur:
        made = sr.submit(cur, jurisdiction, sr.NewRequest("pothole", Point(lon, lat),
                                                          description=description))
    conn.close()
    return made["service_request_id"]


def _staff_requests(page) -> set[str]:
    """The request numbers the staff view lists (its clustered markers)."""
    return set(page.evaluate("""(() => { const found = []; dimos.map.eachLayer((l) => {
        if (typeof l.getLayers !== "function") return;
        for (const m of l.getLayers()) if (m.options && m.options.staffRequest)
          found.push(m.options.staffRequest); });
        return found; })()"""))


def _numbers_of(url: str, jurisdiction: str) -> set[str]:
    return {n for n, in rows(url, "SELECT service_request_id FROM service_requests "
                                  "WHERE jurisdiction_id = %s", (jurisdiction,))}


def test_a_chania_clerk_on_rethymnos_map_lists_chanias_requests_only(page, server, towns):
    mine = {town: _file_request(towns, town, f"staff list test in {town}") for town in SQUARES}
    clerk = token(towns, "clerk-of-chania", "staff", "chania")
    page.goto(f"{server}/m/rethymno/")  # the map shows Rethymno
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    page.click("#tab-staff")
    page.click("#token-sign-in summary")
    page.fill("#token", clerk)
    page.click("#signin-token button[type=submit]")
    page.wait_for_selector("#staff-count .count", timeout=30_000)
    listed = wait_until(lambda: _staff_requests(page), 15, "the staff view's requests")
    assert mine["chania"] in listed
    assert mine["rethymno"] not in listed
    assert listed <= _numbers_of(towns, "chania")  # every one Chania's, by its jurisdiction_id
    assert int(page.locator("#staff-count .count").inner_text()) == len(listed)
    assert page.evaluate("document.body.dataset.staffJurisdiction") == "chania"
    assert page.evaluate("document.body.dataset.jurisdiction") == "rethymno"  # the map stays
    assert page.errors == []


def test_the_items_of_one_municipality_and_an_unknown_one_refused(server, towns):
    import requests

    mine = {town: _file_request(towns, town, f"items test in {town}") for town in SQUARES}
    answer = requests.get(f"{server}/ogc/collections/service_requests/items", timeout=30,
                          params={"f": "json", "limit": 10000, "jurisdiction_id": "chania"})
    assert answer.status_code == 200, answer.text
    found = {f["properties"]["service_request_id"] for f in answer.json()["features"]}
    assert mine["chania"] in found and mine["rethymno"] not in found
    assert found <= _numbers_of(towns, "chania")
    unknown = requests.get(f"{server}/ogc/collections/service_requests/items", timeout=30,
                           params={"f": "json", "jurisdiction_id": "heraklion"})
    assert unknown.status_code == 400, unknown.text
    assert "heraklion" in unknown.json()["description"] and "chania" in unknown.json()["description"]


def test_the_session_names_the_municipalities_a_principal_acts_in(server, towns):
    import requests

    clerk = token(towns, "clerk-session-chania", "staff", "chania")
    me = requests.get(f"{server}/api/session", headers={"Authorization": f"Bearer {clerk}"},
                      timeout=30).json()
    assert (me["municipalities"], me["everywhere"]) == (["chania"], False)
    admin = token(towns, "admin-session-everywhere", "admin")
    me = requests.get(f"{server}/api/session", headers={"Authorization": f"Bearer {admin}"},
                      timeout=30).json()
    assert (me["municipalities"], me["everywhere"]) == ([], True)
