"""`dimos broker up`/`down` and `dimos broker account create/list/remove`, run as the real
commands on a broker of their own (a folder and port of its own): a gateway's account signs
in with the password printed once, is listed with its topics, and once removed (and the
broker restarted) signs in no more."""
from __future__ import annotations

import socket

import pytest

from gis import migrate
from servers.broker import LocalBroker
from tests.helpers import add_municipality, dimos, free_port, mqtt_sign_in


def _signs_in(port: int, username: str, password: str) -> bool:
    try:
        client = mqtt_sign_in(port, username, password)
    except TimeoutError:
        raise AssertionError("the broker did not answer") from None
    if client is None:
        return False
    client.loop_stop()
    client.disconnect()
    return True


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def one_municipality(make_database) -> str:
    url = make_database("dimos_broker_cli")
    migrate.upgrade(url)
    add_municipality(url, "rethymno", "Ρέθυμνο", 541_000, 3_912_000, size_m=4_000)
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
