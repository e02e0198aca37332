"""The plan history: the versions of a municipality's zoning (/api/plan-versions), what an
amendment added, removed and changed (/api/plan-changes) in a municipality of the test's own,
and the planning view's slider and "what changed" mode in Debian's Chromium."""
from __future__ import annotations

from datetime import date

import geopandas as gpd
import pytest
import requests
import shapely
from shapely.geometry import box

import layers
from gis import db
from gis.load import insert_features
from tests.helpers import add_municipality, rows
from tests.test_web_map import ARTIFACTS, AXE

J = "planton"
X0, Y0 = 620_000, 4_110_000
FIRST, AMENDED = date(2000, 1, 1), date(2010, 6, 1)


def _square(x: float, y: float, size: float = 100) -> shapely.MultiPolygon:
    return shapely.MultiPolygon([box(X0 + x, Y0 + y, X0 + x + size, Y0 + y + size)])


def _zone(zone_id, plan, code, land_use, coefficient, geometry, valid_from, valid_to=None):
    return {"zone_id": zone_id, "plan_id": plan, "zone_code": code, "land_use": land_use,
            "building_coefficient": coefficient, "coverage_pct": 60.0, "max_height_m": 10.0,
            "max_floors": 3, "min_plot_area_m2": 300.0, "min_frontage_m": 12.0,
            "valid_from": valid_from, "valid_to": valid_to, "geometry": geometry}


ZONES = [
    # A: its coefficient amended (the same land)
    _zone("P1/A", "P-2000", "A", "general_residential", 0.8, _square(0, 0), FIRST, AMENDED),
    _zone("P2/A", "P-2010", "A", "general_residential", 1.2, _square(0, 0), AMENDED),
    # B: struck out
    _zone("P1/B", "P-2000", "B", "green", None, _square(200, 0), FIRST, AMENDED),
    # C: untouched
    _zone("P1/C", "P-2000", "C", "agriculture", 0.2, _square(400, 0), FIRST),
    # D: new land
    _zone("P2/D", "P-2010", "D", "tourism", 0.6, _square(600, 0), AMENDED),
    # E: redrawn, the same terms: the two share 80 m of 100 and 120 m
    _zone("P1/E", "P-2000", "E", "pure_residential", 0.8, _square(0, 200), FIRST, AMENDED),
    _zone("P2/E", "P-2010", "E", "pure_residential", 0.8,
          shapely.MultiPolygon([box(X0 + 20, Y0 + 200, X0 + 140, Y0 + 300)]), AMENDED),
    # F ends and G begins over a third of it: not the same zone
    _zone("P1/F", "P-2000", "F", "town_centre", 2.0, _square(0, 400), FIRST, AMENDED),
    _zone("P2/G", "P-2010", "G", "town_centre", 2.4,
          shapely.MultiPolygon([box(X0 + 70, Y0 + 400, X0 + 170, Y0 + 500)]), AMENDED),
]


@pytest.fixture(scope="module")
def planton(demo_url):
    add_municipality(demo_url, J, "Σχεδιούπολη", X0, Y0, 1000)
    plans = gpd.GeoDataFrame([
        {"plan_id": "P-2000", "plan_type": "ΓΠΣ", "title": "Πρώτο", "fek": "ΦΕΚ 1/Δ/1999",
         "approval_date": date(1999, 12, 1), "valid_from": FIRST, "valid_to": None, "amends": None,
         "geometry": _square(0, 0, 1000)},
        {"plan_id": "P-2010", "plan_type": "ΓΠΣ", "title": "Τροποποίηση", "fek": "ΦΕΚ 2/ΑΑΠ/2010",
         "approval_date": date(2010, 5, 1), "valid_from": AMENDED, "valid_to": None,
         "amends": "P-2000", "geometry": _square(0, 0, 1000)}], crs=2100)
    conn = db.connect(demo_url)
    with conn, conn.cursor() as cur:
        insert_features(cur, layers.get("plans"), J, plans)
        insert_features(cur, layers.get("zoning"), J, gpd.GeoDataFrame(ZONES, crs=2100))
    conn.close()
    return J


@pytest.fixture(scope="module")
def server(planton, live_server):
    return live_server


def _changes(server, **params):
    answer = requests.get(f"{server}/api/plan-changes", params={"jurisdiction_id": J, **params},
                          timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("application/geo+json")
    return answer.json()


def test_the_versions_are_the_days_the_zoning_changed_with_their_plans(server):
    answer = requests.get(f"{server}/api/plan-versions", params={"jurisdiction_id": J}, timeout=30)
    assert answer.status_code == 200
    versions = answer.json()["versions"]
    assert [(v["date"], v["zones"], [p["plan_id"] for p in v["plans"]]) for v in versions] == [
        ("2000-01-01", 5, ["P-2000"]), ("2010-06-01", 5, ["P-2010"])]
    assert versions[1]["plans"][0] == {"plan_id": "P-2010", "plan_type": "ΓΠΣ",
                                       "title": "Τροποποίηση", "fek": "ΦΕΚ 2/ΑΑΠ/2010",
                                       "amends": "P-2000"}


def test_an_amendment_added_removed_and_changed_these_zones(server):
    found = _changes(server, plan_id="P-2010")
    assert (found["from"], found["to"]) == ("2010-05-31", "2010-06-01")
    changes = {(f["properties"]["zone_code"], f["properties"]["change"]):
               f["properties"] for f in found["features"]}
    assert sorted(changes) == [("A", "changed"), ("B", "removed"), ("D", "added"),
                               ("E", "changed"), ("F", "removed"), ("G", "added")]
    amended = changes["A", "changed"]
    assert amended["changed_terms"] == ["building_coefficient"]
    assert (amended["before"]["building_coefficient"], amended["after"]["building_coefficient"]) \
        == (0.8, 1.2)
    assert (amended["before"]["fek"], amended["after"]["fek"]) == ("ΦΕΚ 1/Δ/1999", "ΦΕΚ 2/ΑΑΠ/2010")
    assert changes["E", "changed"]["changed_terms"] == ["area_m2"]
    assert changes["B", "removed"]["after"] is None and changes["D", "added"]["before"] is None
    # the geometry is the newer zone's, in CRS84
    g = shapely.geometry.shape(next(f for f in found["features"]
                                    if f["properties"]["zone_code"] == "G")["geometry"])
    assert 20 < g.centroid.x < 30 and 30 < g.centroid.y < 40


def test_any_two_days_compare_and_a_first_plan_adds_every_zone(server):
    first = _changes(server, **{"from": "1999-12-31", "to": "2000-01-01"})
    assert sorted(f["properties"]["zone_code"] for f in first["features"]) == list("ABCEF")
    assert {f["properties"]["change"] for f in first["features"]} == {"added"}
    assert _changes(server, **{"from": "2001-01-01", "to": "2009-01-01"})["features"] == []
    # across the amendment, C (in force throughout) is not listed
    across = _changes(server, **{"from": "2005-01-01", "to": "2020-01-01"})
    assert "C" not in {f["properties"]["zone_code"] for f in across["features"]}
    assert len(across["features"]) == 6


@pytest.mark.parametrize(("params", "status", "named"), [
    ({}, 400, "plan_id"),
    ({"from": "2001-01-01"}, 400, "plan_id"),
    ({"from": "2001-13-01", "to": "2002-01-01"}, 400, "from"),
    ({"from": "2002-01-01", "to": "2001-01-01"}, 400, "to"),
    ({"plan_id": "P-1900"}, 404, "plan_id"),
    ({"plan_id": "P-2010", "jurisdiction_id": "atlantis"}, 400, "jurisdiction_id"),
])
def test_a_wrong_question_is_a_4xx_naming_the_parameter(server, params, status, named):
    answer = requests.get(f"{server}/api/plan-changes", params={"jurisdiction_id": J, **params},
                          timeout=30)
    assert answer.status_code == status, answer.text
    assert answer.json()["description"].startswith(f"{named}:")


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 768}, {"width": 390, "height": 844}])
def test_a_planner_steps_through_the_versions_and_sees_what_the_2015_amendment_changed(
        browser, server, demo_url, viewport):
    context = browser.new_context(bypass_csp=True, viewport=viewport)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{server}/m/rethymno/")
        page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        assert page.get_attribute("#plan-slider", "max") == "3"  # 1987, 1995, 2004, 2015
        # a function returning nothing: evaluate would wait for a promise it returned
        heard = ("() => { window.inForce = new Promise("
                 "r => dimos.map.once('dimos:in-force', e => r(e.count))); }")
        page.evaluate(heard)
        page.focus("#plan-slider")
        page.keyboard.press("Home")
        assert page.evaluate("window.inForce") == rows(demo_url, """
            SELECT count(*) FROM zoning WHERE jurisdiction_id = 'rethymno' AND valid_from <= '1987-04-10'
              AND (valid_to IS NULL OR valid_to > '1987-04-10')""")[0][0]
        assert page.input_value("#plan-date") == "1987-04-10"
        assert page.locator("#plan-version").inner_text().startswith("1987-04-10 — ")
        page.evaluate(heard)
        page.keyboard.press("End")
        assert page.evaluate("window.inForce") == rows(demo_url, """
            SELECT count(*) FROM zoning WHERE jurisdiction_id = 'rethymno' AND valid_from <= '2015-05-20'
              AND (valid_to IS NULL OR valid_to > '2015-05-20')""")[0][0]
        assert "ΦΕΚ 112/ΑΑΠ/2015" in page.locator("#plan-version").inner_text()
        # the amendment's zones: the seafront's six terms lowered, residential zones densified
        amended = dict(rows(demo_url, """SELECT zone_code, land_use FROM zoning
            WHERE jurisdiction_id = 'rethymno' AND plan_id = 'GPS-2015'"""))
        densified = sorted(code for code, use in amended.items() if use == "general_residential")
        seafront, = (code for code, use in amended.items() if use == "tourism")
        page.click("#plan-what-changed")
        page.wait_for_selector(f"article.change[data-zone='{densified[0]}']", timeout=30_000)
        assert page.locator("article.change").count() == len(amended)
        differs = page.locator(f"article.change[data-zone='{densified[0]}'] tr.differs")
        assert differs.count() == 1
        assert [c.strip() for c in differs.locator("td").all_inner_texts()] == ["1.6", "1.8"]
        assert page.locator(f"article.change[data-zone='{seafront}'] tr.differs").count() == 6
        page.locator("#plan-changes").scroll_into_view_if_needed()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"planner-history-{viewport['width']}.png"))
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate("""axe.run(document, {resultTypes: ['violations']})
            .then(r => r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
            .map(v => v.id))""")
        assert violations == []
        page.click("#language")
        assert "Before" in page.locator(
            f"article.change[data-zone='{densified[0]}']").inner_text()
        assert errors == []
    finally:
        context.close()
