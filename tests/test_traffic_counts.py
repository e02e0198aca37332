"""Traffic counts through the live sensor pipeline, with the real broker and database: a
camera's counts per approach and lane in, its flow against the usual for the hour and weekday
on the camera's feature and the live stream, the hourly sums, the day's chart data, the CSV
export, the refusals; the simulator's curves; the map's colours and the popup's chart.

A municipality of its own ("trafficton", a square kilometre with one camera) holds two weeks of
hourly history at 500 vehicles an hour, so the usual flow of every hour is known: 500.
"""
from __future__ import annotations

import csv
import io
import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import geopandas as gpd
import pytest
import requests
import shapely
from shapely.geometry import Point, box

import layers
from accounts.tokens import issue_token
from gis import db, sensors
from gis.load import insert_features, upsert_jurisdiction
from gis.local_time import LOCAL_TIME
from layers.traffic_cameras import FLOW_LEVELS
from mqtt.ingest import IngestWorker
from mqtt.simulator import COUNT_INTERVAL_S, Simulator, traffic
from servers import broker_accounts
from servers.broker import LocalBroker
from tests.helpers import rows, wait_until
from tests.test_sensors import free_port, signed_in
from tests.test_web_map import Visit

J = "trafficton"
CAMERA = "TT-1"
X0, Y0 = 615_000, 4_105_000
USUAL = 500  # vehicles an hour, every hour of the history


@pytest.fixture(scope="module")
def trafficton(demo_url):
    conn = db.connect(demo_url)
    with conn, conn.cursor() as cur:
        upsert_jurisdiction(cur, {"id": J, "name_el": "Κυκλοφορούπολη", "name_en": "Trafficton",
                                  "boundary": shapely.MultiPolygon([box(X0, Y0, X0 + 1000,
                                                                        Y0 + 1000)])})
        insert_features(cur, layers.get("traffic_cameras"), J, gpd.GeoDataFrame([{
            "camera_id": CAMERA, "name": "Κόμβος Δοκιμής", "camera_type": "thermal",
            "direction_deg": 0.0, "flow_veh_h": None, "usual_veh_h": None, "flow_level": None,
            "counted_at": None, "geometry": Point(X0 + 500, Y0 + 500)}], crs=2100))
        sensors.register_sensors(cur, J)
        cur.execute("""INSERT INTO sensor_hourly (sensor, hour, jurisdiction_id, readings,
                                                  occupied, value_avg, value_max, value_sum)
                       SELECT s.id, hour, %s, 12, 0, %s / 12.0, 60, %s
                       FROM sensors s, generate_series(date_trunc('hour', now()) - interval
                         '14 days', date_trunc('hour', now()) - interval '3 hours',
                         interval '1 hour') AS hour
                       WHERE s.jurisdiction_id = %s""", (J, USUAL, USUAL, J))
    conn.close()
    return J


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    local = LocalBroker(tmp_path_factory.mktemp("mqtt"), free_port())
    local.up()
    yield local
    local.down()


@pytest.fixture(scope="module")
def camera(broker, trafficton):
    """An MQTT client signed in as trafficton's gateway."""
    password = broker_accounts.create_gateway(broker.state_dir, "gw-trafficton", J)
    assert broker.reload()
    client = signed_in(broker.port, "gw-trafficton", password)
    yield client
    client.loop_stop()
    client.disconnect()


@pytest.fixture(scope="module")
def worker(settings, demo_url, broker, trafficton):
    running = IngestWorker(settings.model_copy(update={
        "database_url": demo_url, "mqtt_port": broker.port, "mqtt_url": None,
        "sensor_silent_after_s": 900, "state_dir": broker.state_dir}),
        client_id=f"test-ingest-{uuid.uuid4().hex[:6]}")
    running.sweep_s = 0.5
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    assert running.connected.wait(10), "the ingest worker did not connect to the broker"
    yield running
    running.stop()
    thread.join(10)


def _count(client, payload: dict | bytes, camera_id: str = CAMERA) -> None:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    client.publish(f"dimos/{J}/camera/{camera_id}", body, qos=1).wait_for_publish(5)


def _interval(minutes_ago: float) -> str:
    """The start of an interval this long ago."""
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat(timespec="seconds")


def _camera_state(url) -> tuple:
    ((state),) = rows(url, "SELECT flow_veh_h, usual_veh_h, flow_level, counted_at "
                           "FROM traffic_cameras WHERE jurisdiction_id = %s AND camera_id = %s",
                      (J, CAMERA))
    return state


def _never_heard(url) -> None:
    """The camera's sensor as if it had sent nothing yet: any count is its newest."""
    conn = db.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE sensors SET observed_at = NULL WHERE jurisdiction_id = %s", (J,))
    conn.close()


def _outcomes(url) -> dict:
    return dict(rows(url, "SELECT outcome, count FROM sensor_ingest_counts"))


def test_counts_set_the_junctions_flow_against_its_usual_and_reach_the_live_map(
        demo_url, live_server, worker, camera):
    stream = requests.get(f"{live_server}/api/live", params={"jurisdiction_id": J}, stream=True,
                          timeout=30)
    events = []

    def read():
        event = None
        try:
            for line in stream.iter_lines(decode_unicode=True):
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    events.append((event, json.loads(line[6:])))
        except (requests.RequestException, AttributeError):
            pass  # the test closed the stream

    threading.Thread(target=read, daemon=True).start()
    wait_until(lambda: events, 10, "the live stream's snapshot")
    _never_heard(demo_url)
    assert [c["id"] for c in events[0][1]["traffic_cameras"]] == [CAMERA]
    # 80 vehicles in 5 minutes: 960 an hour, against the usual 500: heavy
    heavy_at = _interval(9)
    _count(camera, {"ts": heavy_at, "interval_s": 300, "N1": 50, "S1": 30})
    wait_until(lambda: _camera_state(demo_url)[2] == "above_usual", 10, "heavy traffic")
    assert _camera_state(demo_url) == (960, USUAL, "above_usual", datetime.fromisoformat(heavy_at))
    # 25 in 5 minutes: 300 an hour, light; 42: 504 an hour, as usual
    _count(camera, {"ts": _interval(7), "interval_s": 300, "N1": 15, "S1": 10})
    wait_until(lambda: _camera_state(demo_url)[2] == "below_usual", 10, "light traffic")
    _count(camera, {"ts": _interval(5), "interval_s": 300, "N1": 25, "S1": 17})
    wait_until(lambda: _camera_state(demo_url)[2] == "as_usual", 10, "the usual traffic")
    assert _camera_state(demo_url)[0] == 504
    wait_until(lambda: [c for e in events if e[0] == "change" for c in e[1]
                        if c["layer"] == "traffic_cameras" and c["flow_level"] == "as_usual"],
               5, "the change on the live stream")
    stream.close()
    stored = rows(demo_url, """SELECT r.value, r.detail FROM sensor_readings r
                               JOIN sensors s ON s.id = r.sensor
                               WHERE s.jurisdiction_id = %s AND r.observed_at = %s""",
                  (J, datetime.fromisoformat(heavy_at)))
    assert stored == [(80, {"interval_s": 300, "lanes": {"N1": 50, "S1": 30}})]


def test_an_hours_counts_sum_into_its_aggregate_and_the_days_chart(demo_url, live_server,
                                                                   worker, camera):
    # three intervals of an hour the aggregates do not hold yet (late: history only)
    hour = (datetime.now(UTC) - timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    for n, vehicles in enumerate((10, 20, 30)):
        _count(camera, {"ts": (hour + timedelta(minutes=5 * n)).isoformat(), "interval_s": 300,
                        "E1": vehicles})

    def counted():
        return rows(demo_url, """SELECT count(*) FROM sensor_readings r JOIN sensors s
                                 ON s.id = r.sensor WHERE s.jurisdiction_id = %s
                                 AND r.observed_at >= %s AND r.observed_at < %s""",
                    (J, hour, hour + timedelta(hours=1)))[0][0] == 3

    wait_until(counted, 10, "the three counts stored")
    conn = db.connect(demo_url)
    with conn, conn.cursor() as cur:
        sensors.aggregate_hours(cur, hour, hour + timedelta(hours=1))
    conn.close()
    assert rows(demo_url, """SELECT h.readings, h.value_sum FROM sensor_hourly h
                             JOIN sensors s ON s.id = h.sensor
                             WHERE s.jurisdiction_id = %s AND h.hour = %s""", (J, hour)) == [
        (3, 60)]
    local = hour.astimezone(LOCAL_TIME)
    answer = requests.get(f"{live_server}/api/traffic/cameras/{CAMERA}/day", timeout=30,
                          params={"jurisdiction_id": J, "date": local.date().isoformat()})
    assert answer.status_code == 200, answer.text
    day = answer.json()
    assert day["name"] == "Κόμβος Δοκιμής" and day["time_zone"] == "Europe/Athens"
    assert len(day["hours"]) in (23, 24, 25)
    by_hour = {h["hour"]: h for h in day["hours"]}
    assert by_hour[f"{local.hour:02d}:00"] == {"hour": f"{local.hour:02d}:00", "vehicles": 60,
                                              "usual": USUAL}
    assert all(h["usual"] == USUAL for h in day["hours"])


def test_the_counts_export_as_csv_per_interval_and_lane(demo_url, live_server, worker, camera):
    at = _interval(45)
    _count(camera, {"ts": at, "interval_s": 300, "W1": 7, "W2": 4})
    wait_until(lambda: rows(demo_url, """SELECT 1 FROM sensor_readings r JOIN sensors s
                                         ON s.id = r.sensor WHERE s.jurisdiction_id = %s
                                         AND r.observed_at = %s""",
                            (J, datetime.fromisoformat(at))), 10, "the count stored")
    day = datetime.fromisoformat(at).astimezone(LOCAL_TIME).date().isoformat()
    answer = requests.get(f"{live_server}/api/traffic/counts.csv", timeout=30, params={
        "jurisdiction_id": J, "camera_id": CAMERA, "start": day, "end": day})
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(answer.text)))
    assert table[0] == ["camera_id", "interval_start", "interval_s", "lane", "vehicles"]
    mine = [r for r in table[1:] if datetime.fromisoformat(r[1]) == datetime.fromisoformat(at)]
    assert mine == [[CAMERA, mine[0][1], "300", "W1", "7"], [CAMERA, mine[0][1], "300", "W2", "4"]]


@pytest.mark.parametrize("path, params, status, named", [
    ("/api/traffic/counts.csv", {"start": "2026-03-10", "end": "2026-03-01"}, 400, "end"),
    ("/api/traffic/counts.csv", {"start": "2026-01-01", "end": "2026-03-01"}, 400, "end"),
    ("/api/traffic/counts.csv", {"start": "soon"}, 400, "start"),
    ("/api/traffic/counts.csv", {"camera_id": "TT-NONE"}, 404, "camera_id"),
    ("/api/traffic/cameras/TT-NONE/day", {}, 404, "camera_id"),
    ("/api/traffic/cameras/TT-1/day", {"date": "2026-02-30"}, 400, "date"),
])
def test_a_wrong_parameter_names_itself(live_server, trafficton, path, params, status, named):
    answer = requests.get(f"{live_server}{path}", params={"jurisdiction_id": J, **params},
                          timeout=30)
    assert answer.status_code == status, answer.text
    assert answer.json()["description"].startswith(f"{named}:")


@pytest.mark.parametrize("payload, reason", [
    ({"interval_s": 300, "X1": 5}, "X1: not a lane"),
    ({"interval_s": 300}, "lanes:"),
    ({"interval_s": 10, "N1": 5}, "interval_s: 10 outside"),
    ({"N1": 5}, "interval_s:"),
    ({"interval_s": 300, "N1": -2}, "N1: expected a whole number"),
    ({"interval_s": 60, "N1": 500}, "N1: 500 vehicles is more than a lane carries in 60 s"),
])
def test_a_bad_count_is_refused_with_its_reason_and_stores_nothing(payload, reason):
    with pytest.raises(sensors.RejectedReading, match=reason) as refused:
        sensors.state_of("camera", payload, None)
    assert refused.value.outcome == "malformed"


def test_bad_counts_over_mqtt_are_counted_and_the_worker_goes_on(demo_url, worker, camera):
    before = _outcomes(demo_url).get("malformed", 0)
    _count(camera, {"ts": _interval(30), "interval_s": 300, "lane 1": 5})
    _count(camera, b'{"ts": "now", "interval_s": 300, "N1": 5}')
    good = _interval(31)
    _count(camera, {"ts": good, "interval_s": 300, "N2": 3})
    wait_until(lambda: rows(demo_url, """SELECT 1 FROM sensor_readings r JOIN sensors s
                                         ON s.id = r.sensor WHERE s.jurisdiction_id = %s
                                         AND r.observed_at = %s""",
                            (J, datetime.fromisoformat(good))), 10, "the good count stored")
    assert _outcomes(demo_url).get("malformed", 0) == before + 2


def test_a_silent_camera_turns_its_flow_unknown(demo_url, worker, camera):
    # the worker's silence: 15 minutes; this count is the newest, from 20 minutes ago
    _never_heard(demo_url)
    _count(camera, {"ts": _interval(20), "interval_s": 300, "N1": 40})
    wait_until(lambda: _camera_state(demo_url)[2] == "unknown"
               and _camera_state(demo_url)[0] is None, 15, "the flow unknown")


def test_the_simulated_junction_peaks_by_day_and_summer_weekends_are_busier():
    def at(year, month, day, hour):
        return datetime(year, month, day, hour, tzinfo=LOCAL_TIME)

    # Tuesday 3 March 2026 and Saturday 7 March; Saturday 4 July
    assert traffic(at(2026, 3, 3, 8)) > 5 * traffic(at(2026, 3, 3, 3))
    assert traffic(at(2026, 3, 3, 17)) > traffic(at(2026, 3, 3, 14))
    assert traffic(at(2026, 7, 4, 11)) > traffic(at(2026, 3, 3, 11)) > traffic(at(2026, 3, 7, 11))


def test_what_the_simulator_sends_for_a_camera_the_pipeline_accepts(settings, demo_url):
    simulator = Simulator(settings.model_copy(update={"database_url": demo_url}),
                          jurisdiction="rethymno")
    cameras = [d for d in simulator.devices if d.kind == "camera"]
    assert len(cameras) == 12 and all(d.lanes for d in cameras)
    now = time.monotonic()
    for device in cameras:
        device.next_heartbeat = now
        sent = simulator._counts(device, now, datetime.now(UTC))
        state, vehicles, detail = sensors.state_of("camera", {k: v for k, v in sent.items()
                                                              if k != "ts"}, None)
        assert detail == {"interval_s": COUNT_INTERVAL_S,
                          "lanes": {lane: sent[lane] for lane in device.lanes}}
        assert vehicles == sum(sent[lane] for lane in device.lanes)
        assert simulator._counts(device, now + 1, datetime.now(UTC)) is None  # once an interval


def test_the_demo_holds_a_week_of_traffic_with_its_morning_peak(demo_url):
    (morning, night), = rows(demo_url, """
        SELECT avg(h.value_sum) FILTER (WHERE local = 8), avg(h.value_sum) FILTER (WHERE local = 3)
        FROM (SELECT *, extract(hour FROM hour AT TIME ZONE 'Europe/Athens') AS local
              FROM sensor_hourly) AS h
        JOIN sensors s ON s.id = h.sensor
        WHERE s.jurisdiction_id = 'rethymno' AND s.kind = 'camera'""")
    assert morning > 5 * night > 0


def test_the_map_colours_a_junction_by_its_flow_and_its_popup_draws_the_day(
        browser, live_server, demo_url):
    conn = db.connect(demo_url)
    with conn, conn.cursor() as cur:
        token = issue_token(cur, "traffic-map-gateway", "gateway", "rethymno")
        cur.execute("SELECT camera_id, ST_X(g), ST_Y(g) FROM (SELECT camera_id, "
                    "ST_Transform(geom, 4326) AS g FROM traffic_cameras "
                    "WHERE jurisdiction_id = 'rethymno' ORDER BY camera_id LIMIT 1) AS c")
        camera_id, lon, lat = cur.fetchone()
    conn.close()
    # every lane full for five minutes: far above any hour's usual
    answer = requests.post(f"{live_server}/api/sensors/readings", timeout=30,
                           headers={"Authorization": f"Bearer {token}"}, json={
                               "jurisdiction_id": "rethymno", "readings": [{
                                   "sensor_id": camera_id, "ts": _interval(5), "interval_s": 300,
                                   "N1": 300, "S1": 300}]})
    assert answer.status_code == 200 and answer.json()["stored"] == 1, answer.text
    visit = Visit(browser, live_server)
    page = visit.page
    try:
        page.click("#tab-staff")
        page.check("#layer-traffic_cameras")
        page.evaluate(f"dimos.map.setView([{lat}, {lon}], 18, {{animate: false}})")
        page.wait_for_selector("#map path[fill='#d73027']", state="attached", timeout=15_000)
        visit.click_map_at(lon, lat, 18)
        page.wait_for_selector("figure.traffic-day[data-hours]", timeout=15_000)
        hours = int(page.get_attribute("figure.traffic-day", "data-hours"))
        assert hours in (23, 24, 25)
        heavier = next(c for c in FLOW_LEVELS if c.code == "above_usual").title("el")
        assert page.locator(".leaflet-popup-content table.feature").inner_text().count(
            heavier) == 1
        assert visit.errors == []
    finally:
        visit.context.close()
