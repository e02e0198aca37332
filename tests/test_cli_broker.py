"""`dimos broker up`/`down` and `dimos broker account create/list/remove`, run as the real
commands on a broker of their own (a folder and port of its own): a gateway's account signs
in with the password printed once, is listed with its topics, and once removed (and the
broker restarted) signs in no more."""
from __future__ import annotations

import socket
import threading

import paho.mqtt.client as mqtt
import pytest

from gis import db, migrate
from servers.broker import LocalBroker
from tests.helpers import dimos, free_port


def _signs_in(port: int, username: str, password: str) -> bool:
    answered, accepted = threading.Event(), []
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="")
    client.username_pw_set(username, password)

    def on_connect(c, userdata, flags, reason_code, properties):
        accepted.append(not reason_code.is_failure)
        answered.set()
    client.on_connect = on_connect
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        assert answered.wait(10), "the broker did not answer"
        return accepted == [True]
    finally:
        client.loop_stop()
        client.disconnect()


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def one_municipality(make_database) -> str:
    url = make_database("dimos_broker_cli")
    migrate.upgrade(url)
    conn = db.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("INSERT INTO jurisdictions (id, name_el, name_en, boundary) VALUES "
                    "('rethymno', 'Ρέθυμνο', 'Rethymno', ST_Multi(ST_Buffer(ST_SetSRID("
                    "ST_MakePoint(543000, 3914000), 2100), 2000)))")
    conn.close()
    return url


def test_broker_up_account_create_list_remove_and_down(one_municipality, tmp_path):
    port = free_port()
    env = {"DIMOS_STATE_DIR": str(tmp_path), "DIMOS_MQTT_PORT": str(port),
           "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}

    def broker(*args):
        return dimos("broker", *args, url=one_municipality, **env)

    try:
        up = broker("up")
        assert up.returncode == 0, up.stderr
        assert _listening(port)
        made = broker("account", "create", "gw-harbour", "--jurisdiction", "rethymno")
        assert made.returncode == 0, made.stderr
        assert "dimos/rethymno/#" in made.stderr and "shown once" in made.stderr
        password = made.stdout.strip()
        assert _signs_in(port, "gw-harbour", password)
        assert not _signs_in(port, "gw-harbour", password + "x")

        listed = broker("account", "list")
        assert listed.returncode == 0, listed.stderr
        assert [line.split() for line in listed.stdout.splitlines()] == [
            ["gw-harbour", "publishes", "to", "dimos/rethymno/#"]]

        unknown = broker("account", "create", "gw-x", "--jurisdiction", "chania")
        assert unknown.returncode == 1 and "'chania' unknown" in unknown.stderr

        removed = broker("account", "remove", "gw-harbour")
        assert removed.returncode == 0, removed.stderr
        assert broker("account", "list").stdout.strip() == ""
        assert broker("down").returncode == 0 and not _listening(port)
        assert broker("up").returncode == 0
        assert not _signs_in(port, "gw-harbour", password)
        again = broker("account", "remove", "gw-harbour")
        assert again.returncode == 1 and "no gateway account named 'gw-harbour'" in again.stderr

        down = broker("down")
        assert down.returncode == 0, down.stderr
        assert not _listening(port)
    finally:
        LocalBroker(tmp_path, port).down()
