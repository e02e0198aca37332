"""Nothing a client sends over MQTT stops sensor ingestion, and the broker lets in only its
accounts, each to its own topics (real Mosquitto, real ingest worker, real database).

The municipality "sensorton" and the broker come from tests/test_sensors.py.
"""
from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
import pytest

from mqtt.ingest import IngestWorker
from servers import broker_accounts
from servers.broker import LocalBroker
from tests import test_sensors as sensorton
from tests.helpers import free_port, rows, serving
from tests.test_sensors import J, counts, publish, readings_of, signed_in, ts, wait_for

# the municipality, its broker, its gateway's account: the fixtures of tests/test_sensors.py
town, broker = sensorton.town, sensorton.broker
gateway_password, sensor_settings = sensorton.gateway_password, sensorton.sensor_settings
own = sensorton.own  # a bay, car park and AP of each test's own in sensorton


@pytest.fixture(scope="module")
def ingest(sensor_settings, town):
    """An ingest worker on the module's broker, and the thread it runs in."""
    worker = IngestWorker(sensor_settings, client_id=f"hostile-{uuid.uuid4().hex[:6]}")
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    assert worker.connected.wait(10), "the ingest worker did not connect to the broker"
    yield worker, thread
    worker.stop()
    thread.join(10)


@pytest.fixture
def gateway(broker, gateway_password):
    client = signed_in(broker.port, "gw-sensorton", gateway_password)
    yield client
    client.loop_stop()
    client.disconnect()


def stored_within(demo_url, sensor_id: str, at: str, seconds: float) -> bool:
    """Whether the reading of ``sensor_id`` stamped ``at`` is stored before the deadline."""
    moment = datetime.fromisoformat(at)
    return bool(wait_for(lambda: any(r[0] == moment for r in readings_of(demo_url, sensor_id)),
                         timeout=seconds))


def delta(before: dict, after: dict, outcome: str) -> int:
    return after.get(outcome, 0) - before.get(outcome, 0)


def test_a_poison_message_is_refused_and_the_next_reading_stored_within_two_seconds(
        demo_url, ingest, gateway, own):
    worker, thread = ingest
    before = counts(demo_url)
    publish(gateway, "bay", own.sensor, b"[" * 100_000)  # the brief's poison: 100 kB deep
    publish(gateway, "bay", own.sensor, b"[" * 4000)  # small enough, but deeper than Python recurses
    publish(gateway, "bay", own.sensor, b'{"ts": 1, "occupied": ' + b"[" * 3000 + b"]" * 3000 + b"}")
    at = ts(1)
    publish(gateway, "bay", own.sensor, {"ts": at, "occupied": True})
    assert stored_within(demo_url, own.sensor, at, 2.0), "the valid reading after the poison"
    assert thread.is_alive()
    assert wait_for(lambda: delta(before, counts(demo_url), "malformed") == 3)


def test_a_refused_message_is_acknowledged_so_a_restarted_worker_never_sees_it_again(
        demo_url, sensor_settings, ingest, gateway, own):
    # two workers hear it: the module's (``ingest``) and this one, stopped and started again
    client_id = f"hostile-session-{uuid.uuid4().hex[:6]}"

    def run_worker():
        worker = IngestWorker(sensor_settings, client_id=client_id)
        thread = threading.Thread(target=worker.run, daemon=True)
        thread.start()
        assert worker.connected.wait(10)
        return worker, thread

    worker, thread = run_worker()  # the persistent session exists from here on
    before = counts(demo_url)
    publish(gateway, "bay", own.sensor, b"[" * 4000)
    first = ts(3)
    publish(gateway, "bay", own.sensor, {"ts": first, "occupied": False})
    assert stored_within(demo_url, own.sensor, first, 5.0)
    worker.stop()
    thread.join(10)
    worker, thread = run_worker()  # the same session resumed: unacknowledged messages come again
    try:
        second = ts(2)
        publish(gateway, "bay", own.sensor, {"ts": second, "occupied": False})
        assert stored_within(demo_url, own.sensor, second, 5.0)
        # once by each worker; a redelivery to the restarted one would make it three
        assert delta(before, counts(demo_url), "malformed") == 2
    finally:
        worker.stop()
        thread.join(10)


@pytest.mark.parametrize("payload", [
    pytest.param(json.dumps({"ts": "now", "occupied": True, "pad": "x" * 5000}).encode(),
                 id="oversized"),
    pytest.param(b'\xff\xfe{"occupied": true}', id="not-utf-8"),
    pytest.param(b'{"ts": NaN, "occupied": true}', id="nan-time"),
    pytest.param(b'{"ts": Infinity, "occupied": true}', id="infinite-time"),
    pytest.param(b'{"ts": 1e999, "occupied": true}', id="huge-float"),
    pytest.param(b'{"ts": ' + b"9" * 4000 + b', "occupied": true}', id="huge-integer"),
    pytest.param(b'{"ts": "TS", "occupied": true, "battery": NaN}', id="nan-battery"),
    pytest.param(b'{"ts": "TS", "occupied": [true]}', id="list-instead-of-bool"),
    pytest.param(b'{"ts": "TS", "occupied": {"value": true}}', id="object-instead-of-bool"),
    pytest.param(b'{"ts": "TS", "occupied": "yes"}', id="text-instead-of-bool"),
    pytest.param(b'[{"ts": "TS", "occupied": true}]', id="array-not-object"),
    pytest.param(b"", id="empty"),
])
def test_a_hostile_payload_is_counted_as_malformed_and_ingestion_goes_on(
        demo_url, ingest, gateway, payload, own):
    worker, thread = ingest
    before = counts(demo_url)
    # a valid time where the payload wants one: only what is hostile about it is refused
    publish(gateway, "bay", own.sensor, payload.replace(b'"TS"', json.dumps(ts(5)).encode()))
    at = ts(1)
    publish(gateway, "bay", own.sensor, {"ts": at, "occupied": False})
    assert stored_within(demo_url, own.sensor, at, 2.0)
    assert thread.is_alive()
    assert wait_for(lambda: delta(before, counts(demo_url), "malformed") == 1)
    assert delta(before, counts(demo_url), "stored") + delta(
        before, counts(demo_url), "stale") == 1  # only the valid reading went in


def test_an_anonymous_client_or_a_wrong_password_is_refused_by_the_broker(broker):
    for username, password in ((None, None), ("gw-sensorton", "not-the-password"),
                               ("dimos-ingest", "")):
        outcome = threading.Event()
        refused = []
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="")
        if username:
            client.username_pw_set(username, password)

        def on_connect(c, userdata, flags, reason_code, properties):
            refused.append(reason_code.is_failure)
            outcome.set()
        client.on_connect = on_connect
        client.connect("127.0.0.1", broker.port)
        client.loop_start()
        try:
            assert outcome.wait(10)
            assert refused == [True], username
        finally:
            client.loop_stop()
            client.disconnect()


# A gateway's account publishing to another municipality's topic: tests/test_municipality_matrix.py
# (Chania's own account, made by `dimos broker account create`, on a Rethymno topic).


def test_ingest_itself_refuses_a_reading_for_another_municipality_s_sensor(demo_url, broker,
                                                                           ingest, own):
    # the simulator's account may publish anywhere: the worker checks what the broker did not
    services = json.loads((broker.state_dir / "mqtt" / "service-accounts.json").read_text())
    simulator = signed_in(broker.port, "dimos-simulator", services["simulator"]["password"])
    try:
        before = counts(demo_url)
        at = ts(6)
        publish(simulator, "bay", own.sensor, {"ts": at, "occupied": True}, jurisdiction="rethymno")
        marker = ts(1)
        publish(simulator, "bay", own.sensor, {"ts": marker, "occupied": False})
        assert stored_within(demo_url, own.sensor, marker, 2.0)
        assert wait_for(lambda: delta(before, counts(demo_url), "wrong_jurisdiction") == 1)
        assert not any(r[0] == datetime.fromisoformat(at) for r in readings_of(demo_url, own.sensor))
    finally:
        simulator.loop_stop()
        simulator.disconnect()


def test_dimos_serve_ingests_and_simulates_with_authentication_on(demo_url, own,
                                                                  tmp_path_factory):
    """`make run`'s path: `dimos broker up`, then `dimos serve` with its ingest worker and the
    simulator as companions, each signing in with the account the broker's folder holds."""
    state_dir = tmp_path_factory.mktemp("serve-state")
    local = LocalBroker(state_dir, free_port())
    local.up()
    try:
        password = broker_accounts.create_gateway(state_dir, "gw-serve", J)
        assert local.reload()
        started = datetime.now(UTC) - timedelta(seconds=1)
        with serving(demo_url, state_dir, workers=1, sensors_ingest=1, sensors_simulate=1,
                     mqtt_port=local.port, rate_limit_reports_per_min=0):
            gateway = signed_in(local.port, "gw-serve", password)
            try:
                at = ts(7)
                publish(gateway, "lot", own.lot, {"ts": at, "free": 17})
                assert stored_within(demo_url, own.lot, at, 30.0), "the companion stored nothing"
            finally:
                gateway.loop_stop()
                gateway.disconnect()
            # the simulator's readings of the demo's sensors reach the database too
            assert wait_for(lambda: rows(demo_url, """
                SELECT count(*) FROM sensor_readings r JOIN sensors s ON s.id = r.sensor
                WHERE s.jurisdiction_id = 'rethymno' AND r.received_at >= %s""",
                (started,))[0][0] > 0, timeout=30)
        log = (state_dir / "server.log").read_text()
        assert "refused the connection" not in log and "refused the simulator" not in log
    finally:
        local.down()
