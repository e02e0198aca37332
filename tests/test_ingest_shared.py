"""Several ingest workers share the readings (a shared subscription), for real: the module's own
Mosquitto and demo database, workers in this process and as `dimos sensors ingest --name`.

Each test publishes readings of its own demo bays (Rethymno's, a block of sensors per test) at
times of its own, so the counts it checks are its readings only.
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from mqtt.ingest import IngestWorker, client_id_for
from servers import broker_accounts
from servers.broker import LocalBroker
from tests.helpers import free_port, mqtt_sign_in, rows, wait_until

J = "rethymno"
READINGS_PER_BAY = 5


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    local = LocalBroker(tmp_path_factory.mktemp("shared-mqtt"), free_port())
    local.up()
    yield local
    local.down()


@pytest.fixture(scope="module")
def gateway(broker):
    password = broker_accounts.create_gateway(broker.state_dir, "gw-shared", J)
    assert broker.reload()
    client = None
    deadline = time.monotonic() + 10  # the broker reads the new account a moment after SIGHUP
    while client is None and time.monotonic() < deadline:
        client = mqtt_sign_in(broker.port, "gw-shared", password)
    assert client is not None, "the broker did not let the gateway in"
    yield client
    client.loop_stop()
    client.disconnect()


_taken: set[str] = set()


@pytest.fixture
def bays(demo_url):
    """(bay_id, sensor_id) of 20 open demo bays no other test of the module uses."""
    free = [row for row in rows(demo_url, "SELECT b.bay_id, s.sensor_id FROM parking_bays b "
                                          "JOIN sensors s ON s.feature_id = b.id "
                                          "AND s.kind = 'bay' AND s.jurisdiction_id = %s "
                                          # a closed bay stays closed, whatever it reads
                                          "WHERE b.jurisdiction_id = %s "
                                          "AND b.occupancy_state <> 'closed' ORDER BY b.bay_id",
                                          (J, J))
            if row[0] not in _taken][:20]
    assert len(free) == 20, "the demo has too few bays with sensors"
    _taken.update(bay for bay, _ in free)
    return free


def readings_for(bays) -> list[tuple[str, datetime, bool]]:
    """READINGS_PER_BAY readings a bay, a minute apart, occupied and free in turn, shuffled:
    the broker hands them to the workers in this order, so a bay's older readings often
    reach a worker after its newer ones."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    made = [(sensor, start + timedelta(minutes=k, seconds=i), k % 2 == 0)
            for i, (_, sensor) in enumerate(bays) for k in range(READINGS_PER_BAY)]
    random.Random(7).shuffle(made)
    return made


def publish(gateway, readings) -> None:
    for sensor, at, occupied in readings:
        body = json.dumps({"ts": at.isoformat(), "occupied": occupied}).encode()
        gateway.publish(f"dimos/{J}/bay/{sensor}", body, qos=1).wait_for_publish(5)


def stored_readings(url, sensors) -> list[tuple[str, datetime]]:
    return rows(url, "SELECT s.sensor_id, r.observed_at FROM sensor_readings r "
                     "JOIN sensors s ON s.id = r.sensor "
                     "WHERE s.jurisdiction_id = %s AND s.sensor_id = ANY(%s)", (J, list(sensors)))


def assert_every_reading_once_and_the_newest_state(url, bays, readings) -> None:
    sensors = [sensor for _, sensor in bays]
    wait_until(lambda: len(stored_readings(url, sensors)) >= len(readings), 30,
               f"all {len(readings)} readings stored")
    stored = stored_readings(url, sensors)
    assert sorted(stored) == sorted((sensor, at) for sensor, at, _ in readings)  # each once
    newest = {}
    for sensor, at, occupied in sorted(readings, key=lambda r: r[1]):
        newest[sensor] = ("occupied" if occupied else "free", at)
    states = {sensor: (state, at) for sensor, state, at in rows(
        url, "SELECT s.sensor_id, b.occupancy_state, s.observed_at FROM sensors s "
             "JOIN parking_bays b ON b.id = s.feature_id AND s.kind = 'bay' "
             "WHERE s.jurisdiction_id = %s AND s.sensor_id = ANY(%s)", (J, sensors))}
    assert states == newest  # whichever worker stored which, no older reading won


@pytest.fixture
def settings_for(settings, demo_url, broker):
    return settings.model_copy(update={"database_url": demo_url, "mqtt_port": broker.port,
                                       "mqtt_url": None, "state_dir": broker.state_dir})


def _workers(settings, *names) -> list[IngestWorker]:
    """Named (shared) workers in this process, running, each subscribed."""
    workers = [IngestWorker(settings, client_id_for(name), shared=True) for name in names]
    for worker in workers:
        threading.Thread(target=worker.run, daemon=True).start()
    assert all(w.connected.wait(10) for w in workers), "a worker did not subscribe"
    return workers


def _retire(settings, *names) -> None:
    """Take the test's workers out of the group (the next test's would share with them)."""
    for name in names:
        IngestWorker(settings, client_id_for(name), shared=True).retire(quiet_s=0.5)


def test_two_workers_split_the_readings_and_each_bay_keeps_its_newest(demo_url, settings_for,
                                                                     gateway, bays):
    names = [f"split-{side}-{uuid.uuid4().hex[:6]}" for side in "ab"]
    workers = _workers(settings_for, *names)
    try:
        readings = readings_for(bays)
        publish(gateway, readings)
        assert_every_reading_once_and_the_newest_state(demo_url, bays, readings)
        # the broker handed each worker a share (round robin), not every reading to both
        assert all(w.stored > 0 for w in workers), [w.stored for w in workers]
        assert sum(w.stored for w in workers) == len(readings)
    finally:
        for worker in workers:
            worker.stop()
        _retire(settings_for, *names)


def test_a_stopped_workers_share_waits_for_it_and_retiring_it_stores_that_share(
        demo_url, settings_for, gateway, bays):
    names = [f"retire-{side}-{uuid.uuid4().hex[:6]}" for side in "ab"]
    staying, leaving = _workers(settings_for, *names)
    try:
        leaving.stop()  # its persistent session stays in the group, and gets a share
        wait_until(lambda: not leaving.connected.is_set(), 10, "the worker to disconnect")
        while_away = readings_for(bays[:10])
        publish(gateway, while_away)
        wait_until(lambda: staying.stored >= len(while_away) // 4, 30, "the staying one's share")
        time.sleep(1)
        assert 0 < staying.stored < len(while_away)  # the rest waits in the stopped one's session
        retired = subprocess.run(
            [sys.executable, "-m", "dimos.cli", "sensors", "ingest", "--name", names[1],
             "--retire"], env=_env(demo_url, settings_for), capture_output=True, text=True,
            timeout=60)
        assert retired.returncode == 0, retired.stderr
        held = len(while_away) - staying.stored
        assert f"stored the {held} readings its session held" in retired.stdout
        assert_every_reading_once_and_the_newest_state(demo_url, bays[:10], while_away)
        # out of the group: every later reading goes to the worker that stayed
        before, after = staying.stored, readings_for(bays[10:])
        publish(gateway, after)
        assert_every_reading_once_and_the_newest_state(demo_url, bays[10:], after)
        assert staying.stored - before == len(after)
    finally:
        staying.stop()
        _retire(settings_for, names[0])


def _env(demo_url: str, settings) -> dict:
    return {**os.environ, "DATABASE_URL": demo_url, "DIMOS_MQTT_PORT": str(settings.mqtt_port),
            "DIMOS_STATE_DIR": str(settings.state_dir), "MQTT_URL": ""}


def _ingest(name: str, demo_url: str, settings) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "dimos.cli", "sensors", "ingest",
                             "--name", name], env=_env(demo_url, settings),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _subscribed(process: subprocess.Popen, client_id: str) -> None:
    deadline = time.monotonic() + 60
    for line in process.stderr:  # JSON log lines; "subscribed to … as <client id>"
        if f"as {client_id}" in line and "subscribed" in line:
            threading.Thread(target=process.stderr.read, daemon=True).start()  # keep draining
            return
        assert time.monotonic() < deadline, f"{client_id} did not subscribe"
    pytest.fail(f"the ingest worker {client_id} ended: exit {process.wait()}")


def test_a_worker_killed_mid_stream_loses_nothing_once_it_is_back(demo_url, settings_for,
                                                                   gateway, bays):
    names = [f"kill-{side}-{uuid.uuid4().hex[:6]}" for side in "ab"]
    processes = [_ingest(name, demo_url, settings_for) for name in names]
    try:
        for process, name in zip(processes, names):
            _subscribed(process, client_id_for(name))
        readings = readings_for(bays)
        half = len(readings) // 2
        publishing = threading.Thread(target=publish, args=(gateway, readings[half:]))
        publish(gateway, readings[:half])
        publishing.start()
        # SIGKILL while readings stream in: what b had received and not yet acknowledged,
        # and its share of what came while it was dead, wait in its broker session
        processes[1].send_signal(signal.SIGKILL)
        processes[1].wait(10)
        publishing.join(30)
        processes[1] = _ingest(names[1], demo_url, settings_for)  # back under its name
        _subscribed(processes[1], client_id_for(names[1]))
        assert_every_reading_once_and_the_newest_state(demo_url, bays, readings)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        _retire(settings_for, *names)
