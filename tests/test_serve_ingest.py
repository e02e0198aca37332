"""The sensors' ingest companion that `dimos serve` starts (dimos/gunicorn_hooks.py), for real:
`dimos serve` on a database and a Mosquitto of this module's own, a gateway's reading over MQTT
reaches the HTTP API, and stopping the server stops the companion too."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
import requests

from gis import migrate
from servers import broker_accounts
from servers.broker import LocalBroker
from tests.helpers import free_port, rows, serving, wait_until

J = "rethymno"


@pytest.fixture(scope="module")
def own_url(make_database, demo) -> str:
    """A database of this module's own with the demo: the server's companion writes to it."""
    from dimos.demo import load_demo

    url = make_database("dimos_serve_ingest")
    migrate.upgrade(url)
    load_demo(url, demo)
    return url


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    local = LocalBroker(tmp_path_factory.mktemp("serve-mqtt"), free_port())
    local.up()
    yield local
    local.down()


def _children(pid: int) -> set[int]:
    return {int(child) for child in
            Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def _cmdline(pid: int) -> list[str]:
    try:
        text = Path(f"/proc/{pid}/cmdline").read_text().rstrip("\0")
    except FileNotFoundError:  # gone meanwhile
        return []
    return text.split("\0") if text else []  # a zombie's is empty


def _gunicorn_master(port: int) -> int:
    found = subprocess.run(["pgrep", "-o", "-f", f"gunicorn.*--bind 127.0.0.1:{port}"],
                           capture_output=True, text=True).stdout.split()
    assert found, f"no gunicorn bound to port {port}"
    return int(found[0])


def _free_spaces(base: str, lot_id: str):
    answer = requests.get(f"{base}/ogc/collections/parking_lots/items", timeout=30,
                          params={"f": "json", "lot_id": lot_id})
    assert answer.status_code == 200, answer.text
    (feature,) = answer.json()["features"]
    return feature["properties"]["free_spaces"]


def test_dimos_serve_ingests_a_gateways_reading_and_stops_its_companion(own_url, broker):
    password = broker_accounts.create_gateway(broker.state_dir, "gw-serve", J)
    assert broker.reload()
    (lot_id, free, capacity), = rows(own_url, "SELECT lot_id, free_spaces, capacity "
                                              "FROM parking_lots WHERE jurisdiction_id = %s "
                                              "ORDER BY lot_id LIMIT 1", (J,))
    reading = (free + 7) % (capacity + 1)  # a count the lot does not hold yet
    assert reading != free
    log_path = broker.state_dir / "server.log"
    with serving(own_url, broker.state_dir, workers=1, mqtt_port=broker.port, sensors_ingest=1,
                 sensors_simulate=0) as base:
        master = _gunicorn_master(int(base.rsplit(":", 1)[1]))
        companions = [pid for pid in _children(master)
                      if _cmdline(pid)[-2:] == ["sensors", "ingest"]]
        assert len(companions) == 1, [_cmdline(pid) for pid in _children(master)]
        # readings published before it subscribed would not reach it (no session yet)
        wait_until(lambda: "subscribed to dimos/+/+/+" in log_path.read_text(), 30,
                   "the ingest companion to subscribe to the broker")
        assert _free_spaces(base, lot_id) == free
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                             client_id=f"test-gw-{uuid.uuid4().hex[:6]}")
        client.username_pw_set("gw-serve", password)
        client.connect("127.0.0.1", broker.port)
        client.loop_start()
        try:
            client.publish(f"dimos/{J}/lot/{lot_id}", json.dumps(
                {"ts": datetime.now(UTC).isoformat(), "free": reading}), qos=1
            ).wait_for_publish(10)
        finally:
            client.loop_stop()
            client.disconnect()
        wait_until(lambda: _free_spaces(base, lot_id) == reading, 30,
                   f"lot {lot_id} to show {reading} free spaces through the API")
    # the server has stopped (serving waited for its master): its companion went with it
    try:
        wait_until(lambda: not _cmdline(companions[0]), 15,
                   f"the ingest companion (pid {companions[0]}) to end with dimos serve")
    finally:
        if _cmdline(companions[0])[-2:] == ["sensors", "ingest"]:  # an orphan: not ours to keep
            os.kill(companions[0], signal.SIGKILL)
