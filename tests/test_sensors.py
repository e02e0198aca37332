"""Live sensors with the real broker (the project's Mosquitto) and the real database.

A municipality of its own ("sensorton", inland in Rethymno's land area, far from the demo's
bays) holds a small street grid, bays, a car park and an AP, so the tests' readings and
states never touch the demo's.
"""
from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import geopandas as gpd
import paho.mqtt.client as mqtt
import pytest
import requests
import shapely
from shapely.geometry import LineString, Point, box

import layers
from accounts.tokens import issue_token
from gis import db, sensors
from gis.load import insert_features, replace_layers, upsert_jurisdiction
from gis.parking import nearest_free_bays
from gis.routing import build_topology
from mqtt.ingest import IngestWorker
from servers import broker_accounts
from servers.broker import LocalBroker
from tests.helpers import mqtt_sign_in

J = "sensorton"
LAYERS = ("roads", "parking_bays", "parking_lots", "wifi_access_points")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def query(url, sql, params=()):
    conn = db.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else None
    finally:
        conn.close()


def wait_for(check, timeout=10.0, every=0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


def _streets(x0: float, y0: float) -> gpd.GeoDataFrame:
    """Two parallel streets 40 m apart, joined only 400 m east: 100 m segments."""
    lines = []
    for y in (y0, y0 + 40):
        for x in range(-200, 400, 100):
            lines.append(LineString([(x0 + x, y), (x0 + x + 100, y)]))
    lines.append(LineString([(x0 + 400, y0), (x0 + 400, y0 + 40)]))
    rows = [{"road_id": f"T-{n}", "osm_id": None, "name": "Οδός Δοκιμής", "road_class":
             "residential", "oneway": False, "maxspeed_kmh": 30, "length_m": line.length,
             "cost_s": line.length / 8.3, "reverse_cost_s": line.length / 8.3,
             "source": None, "target": None} for n, line in enumerate(lines)]
    return gpd.GeoDataFrame(rows, geometry=lines, crs=2100)


def _bay(bay_id, sensor_id, x, y, state="free", tariff=1.0):
    return {"bay_id": bay_id, "sensor_id": sensor_id, "street": "Οδός Δοκιμής",
            "parking_zone": "T1", "tariff_eur_h": tariff, "bay_type": "regular",
            "occupancy_state": state, "state_since": datetime(2026, 1, 1, tzinfo=UTC),
            "battery_low": None, "geometry": box(x - 1.25, y - 2.5, x + 1.25, y + 2.5)}


@pytest.fixture(scope="module")
def town(demo_url):
    """sensorton: where it is (x0, y0 in EPSG:2100), its features loaded and registered."""
    (x0, y0), = query(demo_url, """
        SELECT ST_X(p), ST_Y(p) FROM (
          SELECT ST_PointOnSurface(s.geom) AS p FROM settlements s
          WHERE s.jurisdiction_id = 'rethymno'
          ORDER BY ST_Distance(s.geom, (SELECT ST_Collect(geom) FROM parking_bays
                                        WHERE jurisdiction_id = 'rethymno')) DESC
          LIMIT 1) AS far""")
    frames = {
        "roads": _streets(x0, y0),
        # A: across the block from the origin (35 m straight, 840 m on foot); B: on its street
        "parking_bays": gpd.GeoDataFrame([
            _bay("T-A", "TS-A", x0, y0 + 45), _bay("T-B", "TS-B", x0 - 100, y0 - 6),
            _bay("T-C", "TS-C", x0 + 300, y0 - 6, state="occupied"),
            _bay("T-D", "TS-D", x0 + 200, y0 - 6)], crs=2100),
        "parking_lots": gpd.GeoDataFrame([{
            "lot_id": "T-LOT", "name": "Χώρος δοκιμής", "capacity": 50, "free_spaces": 10,
            "updated_at": None, "osm_id": None,
            "geometry": shapely.MultiPolygon([box(x0 + 50, y0 - 60, x0 + 90, y0 - 20)])}],
            crs=2100),
        "wifi_access_points": gpd.GeoDataFrame([{
            "ap_id": "T-AP", "name": "Πλατεία δοκιμής", "status": "up", "clients_now": 3,
            "monthly_users": 100, "status_since": None, "geometry": Point(x0, y0 - 10)}],
            crs=2100),
    }
    conn = db.connect(demo_url)
    with conn, conn.cursor() as cur:
        upsert_jurisdiction(cur, {"id": J, "name_el": "Δοκιμούπολη", "name_en": "Sensorton",
                                  "boundary": shapely.MultiPolygon([box(x0 - 1000, y0 - 1000,
                                                                        x0 + 1000, y0 + 1000)])})
        replace_layers(cur, J, frames, LAYERS)
        build_topology(cur, J)
        sensors.register_sensors(cur, J)
    conn.close()
    yield x0, y0
    conn = db.connect(demo_url)
    with conn, conn.cursor() as cur:
        cur.execute("DELETE FROM sensor_readings WHERE sensor IN "
                    "(SELECT id FROM sensors WHERE jurisdiction_id = %s)", (J,))
        cur.execute("DELETE FROM sensors WHERE jurisdiction_id = %s", (J,))
        cur.execute("DELETE FROM parking_sessions WHERE jurisdiction_id = %s", (J,))
        for table in (*LAYERS, "road_vertices"):
            cur.execute(f"DELETE FROM {table} WHERE jurisdiction_id = %s", (J,))
        cur.execute("DELETE FROM jurisdictions WHERE id = %s", (J,))
    conn.close()


@dataclass(frozen=True)
class OwnSensors:
    """A bay (free since 2026-01-01), a car park (capacity 50) and an AP (up, 3 clients) of one
    test: their sensors are heard from by that test alone."""
    bay: str
    sensor: str
    lot: str
    ap: str


@pytest.fixture
def own(demo_url, town):
    """Sensors of the test's own in sensorton (ids no other test uses, 600 m from the street
    grid), registered; removed with their readings after the test."""
    x0, y0 = town
    tag = uuid.uuid4().hex[:8]
    made = OwnSensors(bay=f"O-{tag}", sensor=f"OS-{tag}", lot=f"OL-{tag}", ap=f"OA-{tag}")
    x, y = x0 + 600, y0 + 600
    frames = {
        "parking_bays": gpd.GeoDataFrame([_bay(made.bay, made.sensor, x, y)], crs=2100),
        "parking_lots": gpd.GeoDataFrame([{
            "lot_id": made.lot, "name": "Χώρος της δοκιμής", "capacity": 50, "free_spaces": 10,
            "updated_at": None, "osm_id": None,
            "geometry": shapely.MultiPolygon([box(x + 20, y, x + 60, y + 40)])}], crs=2100),
        "wifi_access_points": gpd.GeoDataFrame([{
            "ap_id": made.ap, "name": "Σημείο της δοκιμής", "status": "up", "clients_now": 3,
            "monthly_users": 100, "status_since": None, "geometry": Point(x, y - 10)}],
            crs=2100),
    }
    conn = db.connect(demo_url)
    with conn, conn.cursor() as cur:
        for layer_id, frame in frames.items():
            insert_features(cur, layers.get(layer_id), J, frame)
        sensors.register_sensors(cur, J)
    conn.close()
    yield made
    conn = db.connect(demo_url)
    with conn, conn.cursor() as cur:
        mine = [made.sensor, made.lot, made.ap]
        cur.execute("DELETE FROM sensor_readings WHERE sensor IN (SELECT id FROM sensors "
                    "WHERE jurisdiction_id = %s AND sensor_id = ANY(%s))", (J, mine))
        cur.execute("DELETE FROM parking_sessions WHERE jurisdiction_id = %s AND bay_id = %s",
                    (J, made.bay))
        for table, column, feature in (("parking_bays", "bay_id", made.bay),
                                       ("parking_lots", "lot_id", made.lot),
                                       ("wifi_access_points", "ap_id", made.ap)):
            cur.execute(f"DELETE FROM {table} WHERE jurisdiction_id = %s AND {column} = %s",
                        (J, feature))
        sensors.register_sensors(cur, J)  # their sensors go with them
    conn.close()


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    local = LocalBroker(tmp_path_factory.mktemp("mqtt"), free_port())
    local.up()
    yield local
    local.down()


@pytest.fixture(scope="module")
def gateway_password(broker):
    """The password of the broker account "gw-sensorton", which may publish sensorton's topics."""
    password = broker_accounts.create_gateway(broker.state_dir, "gw-sensorton", J)
    assert broker.reload()
    return password


@pytest.fixture(scope="module")
def sensor_settings(settings, demo_url, broker):
    return settings.model_copy(update={"database_url": demo_url, "mqtt_port": broker.port,
                                       "mqtt_url": None, "sensor_silent_after_s": 60,
                                       "state_dir": broker.state_dir})


@pytest.fixture(scope="module")
def worker(sensor_settings, town):
    running = IngestWorker(sensor_settings, client_id=f"test-ingest-{uuid.uuid4().hex[:6]}")
    running.sweep_s = 0.5
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    assert running.connected.wait(10), "the ingest worker did not connect to the broker"
    yield running
    running.stop()
    thread.join(10)
    assert not thread.is_alive()


def signed_in(port: int, username: str, password: str, timeout: float = 10.0,
              **options) -> mqtt.Client:
    """An MQTT client signed in to the broker on ``port``, its network loop running. A refusal
    is tried again until ``timeout``: the broker reads a new account a moment after SIGHUP."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            client = mqtt_sign_in(port, username, password,
                                  max(0.1, deadline - time.monotonic()), **options)
        except TimeoutError:
            client = None
        if client is not None:
            return client
        assert time.monotonic() < deadline, f"the broker did not let {username} in"
        time.sleep(0.05)


@pytest.fixture
def publisher(broker, gateway_password):
    client = signed_in(broker.port, "gw-sensorton", gateway_password)
    yield client
    client.loop_stop()
    client.disconnect()


def publish(client, kind, sensor_id, payload, jurisdiction=J):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    client.publish(f"dimos/{jurisdiction}/{kind}/{sensor_id}", body, qos=1).wait_for_publish(5)


def ts(seconds_ago: float = 0.0) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds_ago)).isoformat(timespec="milliseconds")


def bay_state(url, bay_id):
    return query(url, "SELECT occupancy_state, state_since, battery_low FROM parking_bays "
                      "WHERE jurisdiction_id = %s AND bay_id = %s", (J, bay_id))[0]


def readings_of(url, sensor_id):
    return query(url, """SELECT r.observed_at, r.state, r.value FROM sensor_readings r
                         JOIN sensors s ON s.id = r.sensor
                         WHERE s.jurisdiction_id = %s AND s.sensor_id = %s
                         ORDER BY r.observed_at""", (J, sensor_id))


def counts(url):
    return dict(query(url, "SELECT outcome, count FROM sensor_ingest_counts"))


def test_readings_flow_from_mqtt_to_current_state_and_history(demo_url, worker, publisher, own):
    at = ts(1)
    publish(publisher, "bay", own.sensor, {"ts": at, "occupied": True, "battery": 15.5})
    publish(publisher, "lot", own.lot, {"ts": at, "free": 42})
    publish(publisher, "ap", own.ap, {"ts": at, "up": False})
    assert wait_for(lambda: bay_state(demo_url, own.bay)[0] == "occupied")
    state, since, battery_low = bay_state(demo_url, own.bay)
    assert since == datetime.fromisoformat(at) and battery_low is True  # 15.5 % < 20 %
    assert wait_for(lambda: query(demo_url, "SELECT free_spaces FROM parking_lots WHERE "
                                            "lot_id = %s", (own.lot,)) == [(42,)])
    assert wait_for(lambda: query(demo_url, "SELECT status, clients_now FROM wifi_access_points "
                                            "WHERE ap_id = %s", (own.ap,)) == [("down", None)])
    assert [(r[1], r[2]) for r in readings_of(demo_url, own.sensor)] == [("occupied", None)]
    assert [r[2] for r in readings_of(demo_url, own.lot)] == [42]


def test_a_redelivered_reading_is_stored_once(demo_url, worker, publisher, own):
    before = counts(demo_url).get("duplicate", 0)
    message = {"ts": ts(2), "occupied": False}
    for _ in range(3):
        publish(publisher, "bay", own.sensor, message)
    assert wait_for(lambda: counts(demo_url).get("duplicate", 0) >= before + 2)
    assert [r[0] for r in readings_of(demo_url, own.sensor)] == [
        datetime.fromisoformat(message["ts"])]


def test_a_late_reading_goes_to_history_without_overwriting_a_newer_state(demo_url, worker,
                                                                           publisher, own):
    # the sensor is the test's own: its newer reading is the newest it ever sent
    newer, older = ts(5), ts(30)
    publish(publisher, "bay", own.sensor, {"ts": newer, "occupied": True})
    assert wait_for(lambda: bay_state(demo_url, own.bay)[:2] == (
        "occupied", datetime.fromisoformat(newer)))
    publish(publisher, "bay", own.sensor, {"ts": older, "occupied": False})
    assert wait_for(lambda: len(readings_of(demo_url, own.sensor)) == 2)
    assert bay_state(demo_url, own.bay)[:2] == ("occupied", datetime.fromisoformat(newer))
    assert [(r[0], r[1]) for r in readings_of(demo_url, own.sensor)] == [
        (datetime.fromisoformat(older), "free"), (datetime.fromisoformat(newer), "occupied")]


def test_a_silent_sensor_turns_its_bay_unknown(demo_url, worker, publisher, own):
    # newest reading 2 minutes old; silence allowed: 60 s
    publish(publisher, "bay", own.sensor, {"ts": ts(120), "occupied": True})
    assert wait_for(lambda: bay_state(demo_url, own.bay)[0] == "unknown", timeout=15)
    publish(publisher, "bay", own.sensor, {"ts": ts(0), "occupied": True})
    assert wait_for(lambda: bay_state(demo_url, own.bay)[0] == "occupied")


def test_bad_messages_are_counted_and_the_worker_keeps_going(demo_url, worker, publisher, own):
    before = counts(demo_url)
    publish(publisher, "bay", own.sensor, b"{not json")
    publish(publisher, "bay", own.sensor, {"ts": ts(), "occupied": "maybe"})
    publish(publisher, "bay", own.sensor, {"occupied": True})  # no time
    publish(publisher, "bay", f"NO-SUCH-{own.sensor}", {"ts": ts(), "occupied": True})
    publish(publisher, "lot", own.lot, {"ts": ts(), "free": 51})  # capacity 50
    publish(publisher, "bay", own.sensor, {
        "ts": (datetime.now(UTC) + timedelta(hours=1)).isoformat(), "occupied": True})
    # the last message: once it is in, so are the counts of those before it (same order)
    publish(publisher, "ap", own.ap, {"ts": ts(), "up": True, "clients": 7})
    assert wait_for(lambda: query(demo_url, "SELECT status, clients_now FROM wifi_access_points "
                                            "WHERE ap_id = %s", (own.ap,)) == [("up", 7)])
    after = counts(demo_url)
    assert after.get("malformed", 0) - before.get("malformed", 0) == 4
    assert after.get("unknown_sensor", 0) - before.get("unknown_sensor", 0) == 1
    assert after.get("future", 0) - before.get("future", 0) == 1
    assert bay_state(demo_url, own.bay)[:2] == ("free", datetime(2026, 1, 1, tzinfo=UTC))
    assert readings_of(demo_url, own.sensor) == [] and readings_of(demo_url, own.lot) == []


def test_a_broker_restart_mid_stream_loses_nothing_the_broker_accepted(demo_url, worker, broker,
                                                                       gateway_password, own):
    acked, lock = set(), threading.Lock()
    sent = {}

    def on_publish(client, userdata, mid, reason_code, properties):
        with lock:
            acked.add(mid)

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                         client_id=f"test-restart-pub-{uuid.uuid4().hex[:6]}", clean_session=False)
    client.username_pw_set("gw-sensorton", gateway_password)
    client.on_publish = on_publish
    client.reconnect_delay_set(min_delay=1, max_delay=2)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    start = datetime.now(UTC) - timedelta(hours=2)  # ten minutes, a reading a second
    total = 600
    try:
        for n in range(total):
            if n == total // 2:
                broker.down()
                broker.up()
            moment = (start + timedelta(seconds=n)).isoformat()
            info = client.publish(f"dimos/{J}/lot/{own.lot}",
                                  json.dumps({"ts": moment, "free": n % 50}), qos=1)
            sent[info.mid] = moment
            time.sleep(0.005)
        assert wait_for(lambda: len(acked) >= total * 0.9, timeout=30), len(acked)
    finally:
        client.loop_stop()
        client.disconnect()
    accepted = {datetime.fromisoformat(sent[mid]) for mid in acked if mid in sent}
    assert wait_for(lambda: worker.connected.is_set(), timeout=15), "the worker did not reconnect"

    def stored():
        return {r[0] for r in readings_of(demo_url, own.lot)}
    assert wait_for(lambda: accepted <= stored(), timeout=30), len(accepted - stored())


def test_gateways_post_batches_with_their_own_token(demo_url, live_server, own):
    conn = db.connect(demo_url)
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE api_tokens SET revoked_at = now() WHERE name = 'gw-test' "
                    "AND revoked_at IS NULL")
        token = issue_token(cur, "gw-test", "gateway", J)
    conn.close()
    url = f"{live_server}/api/sensors/readings"
    batch = {"jurisdiction_id": J, "readings": [
        {"sensor_id": own.sensor, "ts": ts(0), "occupied": False},
        {"sensor_id": own.sensor, "ts": ts(0.5), "occupied": True},
        {"sensor_id": f"NOPE-{own.sensor}", "ts": ts(0), "occupied": True},
        {"sensor_id": own.sensor, "ts": "yesterday", "occupied": True}]}
    assert requests.post(url, json=batch, timeout=30).status_code == 401
    answer = requests.post(url, json=batch, timeout=30,
                           headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["stored"] + body["stale"] == 2 and body["duplicate"] == 0
    assert [(r["at"], r["outcome"]) for r in body["rejected"]] == [
        ("readings[3]", "malformed"), ("readings[2]", "unknown_sensor")]
    assert bay_state(demo_url, own.bay)[0] == "free"
    assert [r[1] for r in readings_of(demo_url, own.sensor)] == ["occupied", "free"]
    # the same batch again: nothing new
    again = requests.post(url, json=batch, timeout=30,
                          headers={"Authorization": f"Bearer {token}"}).json()
    assert again["duplicate"] == 2 and again["stored"] == 0
    too_many = {"jurisdiction_id": J, "readings": [{}] * (sensors.MAX_BATCH + 1)}
    refused = requests.post(url, json=too_many, timeout=30,
                            headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 400 and "at most" in refused.json()["description"]


def test_nearest_free_bay_on_foot_is_not_the_nearest_in_a_straight_line(demo_url, town):
    x0, y0 = town
    conn = db.connect(demo_url)
    try:
        with conn.cursor() as cur:
            cur.execute("UPDATE parking_bays SET occupancy_state = CASE WHEN bay_id IN "
                        "('T-A', 'T-B') THEN 'free' ELSE 'occupied' END WHERE "
                        "jurisdiction_id = %s", (J,))
            found = nearest_free_bays(cur, Point(x0, y0 + 5), 2)
    finally:
        conn.rollback()
        conn.close()
    (first, second) = [f["properties"] for f in found]
    assert (first["bay_id"], second["bay_id"]) == ("T-B", "T-A")
    assert second["straight_m"] < first["straight_m"]  # A is closer as the crow flies
    assert 100 <= first["walk_m"] < 200
    assert second["walk_m"] > 800  # round the block: 400 m east, across, 400 m back


def test_the_process_answers_with_walking_distances(live_server, town):
    x0, y0 = town
    lon, lat = query_point(x0, y0 + 5)
    answer = requests.post(f"{live_server}/ogc/processes/parking-nearest-free/execution",
                           json={"inputs": {"count": 1, "location": {
                               "type": "Point", "coordinates": [lon, lat]}}}, timeout=30)
    assert answer.status_code == 200, answer.text
    (feature,) = answer.json()["features"]
    assert feature["properties"]["walk_m"] >= feature["properties"]["straight_m"]
    bad = requests.post(f"{live_server}/ogc/processes/parking-nearest-free/execution",
                        json={"inputs": {"count": 1, "bay_types": ["yacht"], "location": {
                            "type": "Point", "coordinates": [lon, lat]}}}, timeout=30)
    assert bad.status_code == 400 and "bay_types" in bad.text


def query_point(x, y):
    from pyproj import Transformer

    return Transformer.from_crs(2100, 4326, always_xy=True).transform(x, y)


def test_wardens_see_occupied_unpaid_bays_and_the_payment_app_clears_them(demo_url, live_server,
                                                                         own):
    conn = db.connect(demo_url)
    with conn, conn.cursor() as cur:
        for name in ("pay-test", "warden-test"):
            cur.execute("UPDATE api_tokens SET revoked_at = now() WHERE name = %s "
                        "AND revoked_at IS NULL", (name,))
        payment = issue_token(cur, "pay-test", "payment", J)
        warden = issue_token(cur, "warden-test", "crew", J)
        cur.execute("SET LOCAL dimos.audit = 'off'")
        cur.execute("UPDATE parking_bays SET occupancy_state = 'occupied', state_since = "
                    "now() - interval '30 minutes' WHERE jurisdiction_id = %s AND bay_id = %s",
                    (J, own.bay))
        # heard from just now: the silent-sensor sweep must not turn it unknown meanwhile
        cur.execute("UPDATE sensors SET observed_at = now() WHERE jurisdiction_id = %s "
                    "AND sensor_id = %s", (J, own.sensor))
    conn.close()
    violations = f"{live_server}/api/parking/violations"
    params = {"jurisdiction_id": J}
    assert requests.get(violations, params=params, timeout=30).status_code == 401
    seen = requests.get(violations, params=params, timeout=30,
                        headers={"Authorization": f"Bearer {warden}"}).json()
    assert own.bay in [f["id"] for f in seen["features"]]
    now = datetime.now(UTC)
    session = {"session_ref": f"PAY-{uuid.uuid4().hex[:6]}", "bay_id": own.bay,
               "plate": "ΡΕΘ1234", "starts_at": (now - timedelta(minutes=25)).isoformat(),
               "ends_at": (now + timedelta(hours=1)).isoformat()}
    paid = requests.post(f"{live_server}/api/parking/sessions", params=params, json=session,
                         timeout=30, headers={"Authorization": f"Bearer {payment}"})
    assert paid.status_code == 201, paid.text
    seen = requests.get(violations, params=params, timeout=30,
                        headers={"Authorization": f"Bearer {warden}"}).json()
    assert own.bay not in [f["id"] for f in seen["features"]]
    wrong = requests.post(f"{live_server}/api/parking/sessions", params=params, timeout=30,
                          json={**session, "ends_at": session["starts_at"]},
                          headers={"Authorization": f"Bearer {payment}"})
    assert wrong.status_code == 400 and "ends_at" in wrong.json()["description"]
    # the plate is personal data: no public output shows it
    for public in (f"{live_server}/api/parking/free?by=street&jurisdiction_id={J}",
                   f"{live_server}/ogc/collections/parking_bays/items?f=json&limit=1000",
                   f"{live_server}/api/live?jurisdiction_id={J}"):
        text = requests.get(public, timeout=30, stream=True)
        head = next(text.iter_content(65536)).decode()
        text.close()
        assert "ΡΕΘ1234" not in head


def test_the_map_hears_of_a_change_within_two_seconds(demo_url, live_server, own):
    conn = db.connect(demo_url)
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE api_tokens SET revoked_at = now() WHERE name = 'gw-sse' "
                    "AND revoked_at IS NULL")
        token = issue_token(cur, "gw-sse", "gateway", J)
    conn.close()
    stream = requests.get(f"{live_server}/api/live", params={"jurisdiction_id": J}, stream=True,
                          timeout=30)
    assert stream.headers["Content-Type"].startswith("text/event-stream")
    lines = stream.iter_lines(decode_unicode=True)
    events = []

    def read():
        event = None
        try:
            for line in lines:
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    events.append((event, json.loads(line[6:]), time.monotonic()))
        except (requests.RequestException, AttributeError):
            pass  # the test closed the stream

    threading.Thread(target=read, daemon=True).start()
    assert wait_for(lambda: events, timeout=10)
    snapshot = events[0]
    assert snapshot[0] == "snapshot"
    assert {b["id"] for b in snapshot[1]["parking_bays"]} == {"T-A", "T-B", "T-C", "T-D",
                                                             own.bay}
    sent = time.monotonic()
    answer = requests.post(f"{live_server}/api/sensors/readings", timeout=30, json={
        "jurisdiction_id": J, "readings": [{"sensor_id": own.ap, "ts": ts(), "up": True,
                                            "clients": 99}]},
        headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    change = wait_for(lambda: [e for e in events[1:] if e[0] == "change" and any(
        c["id"] == own.ap and c.get("clients_now") == 99 for c in e[1])], timeout=5)
    stream.close()
    assert change and change[0][2] - sent < 2.0


def test_hourly_aggregates_usage_export_and_retention(demo_url, live_server, own):
    conn = db.connect(demo_url)
    old_month = datetime(2020, 3, 1, tzinfo=UTC)
    try:
        with conn, conn.cursor() as cur:
            registry = sensors.Registry()
            registry.load(cur)
            readings = [(f"r{n}", sensors.Reading(J, own.sensor, old_month + timedelta(minutes=15 * n),
                                                  {"occupied": n % 4 != 0}))
                        for n in range(8)]  # two hours, 3 of 4 readings occupied
            sensors.store_readings(cur, registry, readings, 20, set())
            sensors.aggregate_hours(cur, old_month, old_month + timedelta(hours=2))
            cur.execute("""SELECT h.readings, h.occupied FROM sensor_hourly h JOIN sensors s
                           ON s.id = h.sensor WHERE s.jurisdiction_id = %s AND s.sensor_id = %s
                           AND h.hour = %s""", (J, own.sensor, old_month))
            assert cur.fetchall() == [(4, 3)]
        usage = requests.get(f"{live_server}/api/parking/usage.csv", timeout=30, params={
            "jurisdiction_id": J, "start": "2020-03-01", "end": "2020-03-01"})
        assert usage.status_code == 200 and usage.headers["Content-Type"].startswith("text/csv")
        assert usage.text.splitlines()[1:] == ["T1,2020-03-01,1,8,0.750"]
        occupancy = requests.get(f"{live_server}/api/parking/occupancy", timeout=30, params={
            "jurisdiction_id": J, "level": "zone", "id": "T1", "start": "2020-03-01T00:00:00Z",
            "end": "2020-03-02T00:00:00Z"}).json()
        assert [h["occupancy"] for h in occupancy["hours"]] == [0.75, 0.75]
        with conn, conn.cursor() as cur:
            dropped = sensors.drop_old_partitions(cur, 24, datetime.now(UTC))
            assert sensors.partition_name(old_month) in dropped
            cur.execute("SELECT count(*) FROM sensor_hourly h JOIN sensors s ON s.id = h.sensor "
                        "WHERE s.jurisdiction_id = %s AND s.sensor_id = %s AND h.hour >= %s "
                        "AND h.hour < %s", (J, own.sensor, old_month, old_month + timedelta(days=1)))
            assert cur.fetchone()[0] == 2  # the aggregates outlive the raw readings
    finally:
        conn.close()


def test_wifi_alerts_list_aps_down_or_saturated(demo_url, live_server, own):
    conn = db.connect(demo_url)
    with conn, conn.cursor() as cur:  # sensorton's APs: T-AP with 3 clients, the test's with 5
        cur.execute("UPDATE wifi_access_points SET status = 'up', clients_now = CASE ap_id "
                    "WHEN %s THEN 5 ELSE 3 END WHERE jurisdiction_id = %s", (own.ap, J))
    conn.close()
    for saturated_at, alerts in ((6, []), (5, [own.ap]), (3, sorted(["T-AP", own.ap]))):
        answer = requests.get(f"{live_server}/api/wifi/alerts", timeout=30,
                              params={"jurisdiction_id": J, "saturated_at": saturated_at})
        assert answer.status_code == 200
        assert sorted(f["id"] for f in answer.json()["features"]) == alerts, saturated_at
    assert requests.get(f"{live_server}/api/wifi/alerts", timeout=30,
                        params={"jurisdiction_id": J, "saturated_at": "x"}).status_code == 400


def test_the_simulator_records_a_paid_session_for_most_drivers_taking_a_paying_bay(demo_url):
    from gis.demo_history import PAID_SHARE
    from mqtt.simulator import Simulator
    from settings import Settings

    simulator = Simulator(Settings(database_url=demo_url), jurisdiction="rethymno")
    arrived = [d for d in simulator.devices if d.kind == "bay" and d.pays][:300]
    assert len(arrived) == 300
    conn = db.connect(demo_url)
    try:
        simulator.record_payments(arrived)
        with conn, conn.cursor() as cur:
            cur.execute("""SELECT count(DISTINCT bay_id), bool_and(ends_at > now())
                           FROM parking_sessions WHERE jurisdiction_id = 'rethymno'
                             AND session_ref LIKE 'sim-%%' AND bay_id = ANY(%s)""",
                        ([d.bay_id for d in arrived],))
            paid, running = cur.fetchone()
            assert paid == simulator.paid and running
            assert 0.9 * PAID_SHARE * 300 <= paid < 300  # most, not all: some never pay
    finally:
        with conn, conn.cursor() as cur:
            cur.execute("DELETE FROM parking_sessions WHERE session_ref LIKE 'sim-%%'")
        conn.close()
