"""The staff view's charts: /api/stats/<chart> (JSON and CSV) over a municipality of the
test's own whose figures are known, who may read them, the demo's week of sensor history, and
the charts drawn by Chart.js in Debian's Chromium."""
from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import geopandas as gpd
import pytest
import requests
import shapely
from shapely.geometry import Point, box

import layers
from gis import db, sensors
from gis.demo_history import DAYS
from gis.load import insert_features
from gis.local_time import local_today
from tests.helpers import add_municipality, rows, token
from tests.test_web_map import Visit

J = "chartton"
X0, Y0 = 610_000, 4_100_000  # chartton: a square kilometre of its own
# Monday 2 March 2026, 10:00 UTC: noon in Rethymno (EET, UTC+2)
MONDAY_NOON = datetime(2026, 3, 2, 10, tzinfo=UTC)


def _bay(bay_id: str, x: float) -> dict:
    return {"bay_id": bay_id, "sensor_id": f"CS-{bay_id}", "street": "Οδός Διαγραμμάτων",
            "parking_zone": "C1", "tariff_eur_h": 1.0, "bay_type": "regular",
            "occupancy_state": "free", "state_since": None, "battery_low": None,
            "geometry": box(x - 1.25, Y0 + 100 - 2.5, x + 1.25, Y0 + 100 + 2.5)}


def _features() -> dict[str, gpd.GeoDataFrame]:
    return {
        "parking_bays": gpd.GeoDataFrame([_bay("B1", X0 + 100), _bay("B2", X0 + 110)], crs=2100),
        "parking_lots": gpd.GeoDataFrame([{
            "lot_id": "L1", "name": "Χώρος", "capacity": 50, "free_spaces": 10, "updated_at": None,
            "osm_id": None, "geometry": shapely.MultiPolygon([box(X0 + 200, Y0 + 200, X0 + 240,
                                                                  Y0 + 240)])}], crs=2100),
        "wifi_access_points": gpd.GeoDataFrame([
            {"ap_id": ap, "name": ap, "status": "up", "clients_now": 0, "monthly_users": 0,
             "status_since": None, "geometry": Point(X0 + 300 + n, Y0 + 300)}
            for n, ap in enumerate(("AP1", "AP2"))], crs=2100),
    }


# (sensor, hour, readings, occupied, value_avg, value_max)
def _hours(ids: dict[str, int]) -> list[tuple]:
    noon, a_week_on = MONDAY_NOON, MONDAY_NOON + timedelta(days=7)
    january, february = datetime(2026, 1, 15, 10, tzinfo=UTC), datetime(2026, 2, 3, 18, tzinfo=UTC)
    return [
        # Monday noon: bays 9/12 and 3/12 occupied, then 12/12 and 12/12 a week on: 36/48
        (ids["CS-B1"], noon, 12, 9, None, None), (ids["CS-B2"], noon, 12, 3, None, None),
        (ids["CS-B1"], a_week_on, 12, 12, None, None), (ids["CS-B2"], a_week_on, 12, 12, None, None),
        # the car park: 10 of 50 free, then 30: (40 + 20) / 100 occupied
        (ids["L1"], noon, 12, 0, 10, 12), (ids["L1"], a_week_on, 12, 0, 30, 31),
        # WiFi: January 4 + 2 clients in one hour, 2 in another; February 3
        (ids["AP1"], january, 12, 0, 4, 6), (ids["AP2"], january, 12, 0, 2, 3),
        (ids["AP1"], january + timedelta(hours=1), 12, 0, 2, 2),
        (ids["AP1"], february, 12, 1, 3, 5),
    ]


# (id, service, requested, closed or None)
REQUESTS = [
    ("C-1", "pothole", MONDAY_NOON, MONDAY_NOON + timedelta(hours=2)),
    ("C-2", "pothole", MONDAY_NOON + timedelta(days=1), MONDAY_NOON + timedelta(days=1, hours=4)),
    ("C-3", "pothole", MONDAY_NOON + timedelta(days=2), MONDAY_NOON + timedelta(days=2, hours=10)),
    ("C-4", "lighting", MONDAY_NOON + timedelta(days=3), None),
    ("C-5", "lighting", MONDAY_NOON + timedelta(days=4), None),
    ("C-6", "=cmd|' /C calc'!A0", MONDAY_NOON + timedelta(days=8), None),
]


@pytest.fixture(scope="module")
def chartton(demo_url):
    add_municipality(demo_url, J, "Διαγραμματούπολη", X0, Y0, 1000)
    conn = db.connect(demo_url)
    with conn, conn.cursor() as cur:
        for layer_id, frame in _features().items():
            insert_features(cur, layers.get(layer_id), J, frame)
        sensors.register_sensors(cur, J)
        cur.execute("SELECT sensor_id, id FROM sensors WHERE jurisdiction_id = %s", (J,))
        ids = dict(cur.fetchall())
        cur.executemany("""INSERT INTO sensor_hourly (sensor, hour, jurisdiction_id, readings,
                           occupied, value_avg, value_max) VALUES (%s, %s, %s, %s, %s, %s, %s)""",
                        [(s, h, J, n, o, v, m) for s, h, n, o, v, m in _hours(ids)])
        for code, el, en in (("pothole", "Λακκούβα", "Pothole"),
                             ("lighting", "Φωτισμός", "Street lighting")):
            cur.execute("""INSERT INTO services (jurisdiction_id, service_code, name_el, name_en,
                           sla_hours, department) VALUES (%s, %s, %s, %s, 48, 'Τεχνική')""",
                        (J, code, el, en))
        for n, (ident, code, requested, closed) in enumerate(REQUESTS):
            cur.execute("""INSERT INTO service_requests (jurisdiction_id, service_request_id,
                           service_code, status, requested_at, closed_at, geom)
                           VALUES (%s, %s, %s, %s, %s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 2100))""",
                        (J, ident, code, "closed" if closed else "open", requested, closed,
                         X0 + 500 + n, Y0 + 500))
    conn.close()
    return J


@pytest.fixture(scope="module")
def server(chartton, live_server):
    return live_server


@pytest.fixture(scope="module")
def staff(demo_url, chartton):
    return {"Authorization": f"Bearer {token(demo_url, 'charts-staff', 'staff', J)}"}


def _table(server, staff, chart, **params):
    answer = requests.get(f"{server}/api/stats/{chart}", headers=staff, timeout=30,
                          params={"jurisdiction_id": J, **params})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_occupancy_is_the_share_of_bays_and_spaces_occupied_by_local_hour_of_the_week(server, staff):
    table = _table(server, staff, "occupancy", start="2026-03-01", end="2026-03-10")
    assert table["columns"] == ["weekday", "hour", "bays_occupied", "car_parks_occupied"]
    assert table["time_zone"] == "Europe/Athens"
    # both Mondays at local noon; weighted by readings and capacity
    assert table["rows"] == [[1, 12, 0.75, 0.6]]
    first_week = _table(server, staff, "occupancy", start="2026-03-01", end="2026-03-08")
    assert first_week["rows"] == [[1, 12, 0.5, 0.8]]


def test_the_usual_period_ends_on_the_municipalitys_today_not_utcs(server, staff):
    # between 22:00 and 24:00 UTC it is already the next day in Rethymno: a period ending on
    # UTC's date left out the last local hours (the occupancy chart missed an hour of its week)
    before = local_today()
    table = _table(server, staff, "occupancy")
    assert table["end"] in {before.isoformat(), local_today().isoformat()}
    assert date.fromisoformat(table["end"]) - date.fromisoformat(table["start"]) == timedelta(27)


def test_the_local_day_turns_at_local_midnight():
    assert local_today(datetime(2026, 12, 3, 21, 59, tzinfo=UTC)) == date(2026, 12, 3)
    assert local_today(datetime(2026, 12, 3, 22, 0, tzinfo=UTC)) == date(2026, 12, 4)
    # summer time: UTC+3
    assert local_today(datetime(2026, 7, 3, 20, 59, tzinfo=UTC)) == date(2026, 7, 3)
    assert local_today(datetime(2026, 7, 3, 21, 0, tzinfo=UTC)) == date(2026, 7, 4)


def test_requests_per_week_and_category_titled_in_the_readers_language(server, staff):
    greek = _table(server, staff, "requests", start="2026-03-01", end="2026-03-31")
    assert greek["columns"] == ["week", "service_code", "category", "requests"]
    assert greek["rows"] == [["2026-03-02", "lighting", "Φωτισμός", 2],
                             ["2026-03-02", "pothole", "Λακκούβα", 3],
                             ["2026-03-09", "=cmd|' /C calc'!A0", "=cmd|' /C calc'!A0", 1]]
    english = _table(server, staff, "requests", start="2026-03-01", end="2026-03-31", lang="en")
    assert [row[2] for row in english["rows"][:2]] == ["Street lighting", "Pothole"]


def test_time_to_close_is_the_median_and_90th_percentile_per_week_of_closing(server, staff):
    table = _table(server, staff, "time-to-close", start="2026-03-01", end="2026-03-31")
    assert table["columns"] == ["week", "closed", "median_hours", "p90_hours"]
    # 2, 4 and 10 hours: median 4; 90th percentile 4 + 0.8 × 6
    assert table["rows"] == [["2026-03-02", 3, 4.0, 8.8]]


def test_wifi_clients_per_month_mean_and_busiest_hour_of_the_network(server, staff):
    table = _table(server, staff, "wifi", start="2026-01-01", end="2026-02-28")
    assert table["columns"] == ["month", "clients_mean", "clients_peak_hour", "access_points"]
    assert table["rows"] == [["2026-01", 4.0, 6.0, 2], ["2026-02", 3.0, 3.0, 1]]


def test_each_chart_as_csv_is_its_table_and_no_cell_is_a_formula(server, staff):
    answer = requests.get(f"{server}/api/stats/requests.csv", headers=staff, timeout=30, params={
        "jurisdiction_id": J, "start": "2026-03-01", "end": "2026-03-31"})
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert 'filename="requests-chartton-2026-03-01-2026-03-31.csv"' in \
        answer.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(answer.text)))
    assert table[0] == ["week", "service_code", "category", "requests"]
    assert table[1] == ["2026-03-02", "lighting", "Φωτισμός", "2"]
    assert table[3][1] == "'=cmd|' /C calc'!A0"  # shown as text by a spreadsheet
    for chart in ("occupancy", "time-to-close", "wifi"):
        as_json = _table(server, staff, chart, start="2026-01-01", end="2026-03-31")
        as_csv = requests.get(f"{server}/api/stats/{chart}.csv", headers=staff, timeout=30, params={
            "jurisdiction_id": J, "start": "2026-01-01", "end": "2026-03-31"}).text
        assert list(csv.reader(io.StringIO(as_csv))) == [as_json["columns"]] + [
            [str(cell) for cell in row] for row in as_json["rows"]]


def test_the_charts_are_for_the_municipalitys_staff_only(server, demo_url, staff):
    url = f"{server}/api/stats/requests"
    assert requests.get(url, params={"jurisdiction_id": J}, timeout=30).status_code == 401
    citizen = token(demo_url, "charts-citizen", "citizen")
    assert requests.get(url, params={"jurisdiction_id": J}, timeout=30,
                        headers={"Authorization": f"Bearer {citizen}"}).status_code == 403
    rethymno = {"Authorization": f"Bearer {token(demo_url, 'charts-rethymno', 'staff')}"}
    refused = requests.get(url, params={"jurisdiction_id": J}, headers=rethymno, timeout=30)
    assert refused.status_code == 403 and J in refused.json()["description"]
    # their own municipality's, and none other's, when they name none
    own = requests.get(url, headers=rethymno, timeout=30)
    assert own.status_code == 200 and own.json()["jurisdiction_id"] == "rethymno"
    admin = {"Authorization": f"Bearer {token(demo_url, 'charts-admin', 'admin')}"}
    assert requests.get(url, params={"jurisdiction_id": J}, headers=admin,
                        timeout=30).status_code == 200


@pytest.mark.parametrize(("path", "params", "named"), [
    ("/api/stats/nothing", {}, "chart"),
    ("/api/stats/occupancy", {"start": "yesterday"}, "start"),
    ("/api/stats/occupancy", {"end": "2026-13-01"}, "end"),
    ("/api/stats/occupancy", {"start": "2026-03-02", "end": "2026-03-01"}, "end"),
    ("/api/stats/wifi.csv", {"start": "2020-01-01", "end": "2026-01-01"}, "end"),
    ("/api/stats/requests", {"lang": "fr"}, "lang"),
    ("/api/stats/requests", {"jurisdiction_id": "atlantis"}, "jurisdiction_id"),
])
def test_a_wrong_parameter_is_a_400_naming_it(server, staff, path, params, named):
    answer = requests.get(f"{server}{path}", headers=staff, timeout=30,
                          params={"jurisdiction_id": J, **params})
    assert answer.status_code == 400, answer.text
    assert answer.json()["description"].startswith(f"{named}:")


def test_the_demo_holds_a_week_of_plausible_hourly_history_for_every_sensor(demo_url):
    (sensors_count, hours_min, hours_max), = rows(demo_url, """
        SELECT count(*), min(n), max(n) FROM (
          SELECT s.id, count(h.hour) AS n FROM sensors s
          LEFT JOIN sensor_hourly h ON h.sensor = s.id
          WHERE s.jurisdiction_id = 'rethymno' GROUP BY s.id) AS per_sensor""")
    assert sensors_count > 100 and hours_min == hours_max == DAYS * 24
    (bays_night, bays_evening, lots_ok, aps_noon, aps_night), = rows(demo_url, """
        SELECT avg(h.occupied::float / h.readings) FILTER (WHERE s.kind = 'bay' AND local = 4),
               avg(h.occupied::float / h.readings) FILTER (WHERE s.kind = 'bay' AND local = 20),
               bool_and(h.value_max <= l.capacity AND h.value_avg >= 0) FILTER (WHERE s.kind = 'lot'),
               avg(h.value_avg) FILTER (WHERE s.kind = 'ap' AND local = 12),
               avg(h.value_avg) FILTER (WHERE s.kind = 'ap' AND local = 4)
        FROM (SELECT *, extract(hour FROM hour AT TIME ZONE 'Europe/Athens') AS local
              FROM sensor_hourly) AS h
        JOIN sensors s ON s.id = h.sensor
        LEFT JOIN parking_lots l ON s.kind = 'lot' AND l.id = s.feature_id
        WHERE s.jurisdiction_id = 'rethymno'""")
    assert 0.1 < bays_night < 0.5 < 0.7 < bays_evening < 1
    assert lots_ok
    assert aps_noon > 5 * max(aps_night, 0.1)


def test_staff_see_the_four_charts_drawn_and_download_their_data(browser, server, demo_url):
    visit = Visit(browser, server, viewport={"width": 1366, "height": 768}, accept_downloads=True)
    page = visit.page
    try:
        page.click("#tab-staff")
        page.click("#token-sign-in summary")
        page.fill("#token", token(demo_url, "charts-map-staff", "staff"))
        page.click("#signin-token button[type=submit]")
        page.wait_for_selector("#staff-charts[data-drawn=true]", timeout=30_000)
        drawn = page.evaluate("""[...document.querySelectorAll('#staff-charts figure')].map(f => ({
            chart: f.dataset.chart, rows: Number(f.dataset.rows),
            points: Chart.getChart(f.querySelector('canvas')).data.labels.length,
            label: f.querySelector('canvas').getAttribute('aria-label')}))""")
        assert [d["chart"] for d in drawn] == ["occupancy", "requests", "time-to-close", "wifi"]
        occupancy = drawn[0]
        # the demo's week of history: every hour of the week, each a point of the line
        assert occupancy["rows"] == occupancy["points"] == 7 * 24
        assert occupancy["label"].startswith("Πληρότητα στάθμευσης")
        assert drawn[3]["rows"] >= 1  # this month's WiFi, at least
        page.locator("#staff-charts").scroll_into_view_if_needed()
        visit.screenshot("staff-charts")
        with page.expect_download() as download:
            page.click("figure[data-chart=occupancy] .chart-csv")
        assert download.value.suggested_filename.startswith("occupancy-rethymno-")
        table = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
        assert table[0] == ["weekday", "hour", "bays_occupied", "car_parks_occupied"]
        assert len(table) == 1 + 7 * 24
        assert visit.axe_violations() == []
        page.click("#language")
        page.wait_for_function("document.querySelector('figure[data-chart=occupancy] "
                               "canvas').getAttribute('aria-label').startsWith('Parking')")
        assert visit.errors == []
    finally:
        visit.context.close()
