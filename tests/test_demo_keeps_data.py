"""`make run` keeps what a municipality stores: the demo goes only into an empty municipality,
and replacing stored features with it is a reset that lists what it deletes and asks first.

Each test has a database of its own (migrated, or left to `make run` to migrate): reloading or
resetting the shared demo database would change the ids other tests read.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import requests
from shapely.geometry import Point

from gis import db
from tests.helpers import dimos, free_port, rows

REPO = Path(__file__).resolve().parent.parent
PLACE = (24.4747, 35.3676)  # the old town


@pytest.fixture
def fresh_url(make_database) -> str:
    return make_database("dimos_keep")


@pytest.fixture
def demo_loaded_url(make_database, both_demo_template) -> str:
    """A database of its own as `dimos demo load` leaves it: a copy of the session's (the
    first test here runs `make run` itself, from an empty database)."""
    return make_database("dimos_keep", template=both_demo_template)


def _make_run(url: str, state_dir: Path, port: int, mqtt_port: int) -> subprocess.Popen:
    """The README's first command, on a database, port, broker and state folder of its own."""
    env = {**os.environ, "DATABASE_URL": url, "DIMOS_PORT": str(port), "DIMOS_WORKERS": "1",
           "DIMOS_STATE_DIR": str(state_dir), "DIMOS_MQTT_PORT": str(mqtt_port),
           "DIMOS_RATE_LIMIT_REPORTS_PER_MIN": "0"}
    log = (state_dir / "make-run.log").open("a")
    return subprocess.Popen(["make", "-C", str(REPO), "run"], env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def _wait_until_healthy(base: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 300  # the first run builds the demo
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            if requests.get(f"{base}/health", timeout=5).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or busy starting
            pass
        time.sleep(0.5)
    raise AssertionError(f"make run not serving after 300 s:\n{log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=60)


def test_a_request_filed_between_two_make_runs_is_still_there_after_the_second(fresh_url,
                                                                               tmp_path):
    port, mqtt_port = free_port(), free_port()
    base, log = f"http://127.0.0.1:{port}", tmp_path / "make-run.log"
    env = {"DIMOS_STATE_DIR": str(tmp_path), "DIMOS_MQTT_PORT": str(mqtt_port)}
    try:
        first = _make_run(fresh_url, tmp_path, port, mqtt_port)
        try:
            _wait_until_healthy(base, first, log)
            config = requests.get(f"{base}/api/config", timeout=30).json()
            assert {m["id"] for m in config["municipalities"]} == {"chania", "rethymno"}
            assert config["jurisdiction"]["id"] == "rethymno"  # the map opens on Rethymno
            # the demo holds two municipalities: Open311 asks which (GeoReport v2)
            filed = requests.post(f"{base}/open311/v2/requests.json", timeout=30, data={
                "jurisdiction_id": "rethymno", "service_code": "pothole",
                "lat": str(PLACE[1]), "long": str(PLACE[0]),
                "description": "Λακκούβα: κατατέθηκε ανάμεσα σε δύο make run"})
            assert filed.status_code == 201, filed.text
            number = filed.json()[0]["service_request_id"]
        finally:
            _stop(first)
        counts = rows(fresh_url, "SELECT count(*) FROM service_requests")[0][0]
        second = _make_run(fresh_url, tmp_path, port, mqtt_port)
        try:
            _wait_until_healthy(base, second, log)
            again = requests.get(f"{base}/open311/v2/requests/{number}.json", timeout=30,
                                 params={"jurisdiction_id": "rethymno"})
            assert again.status_code == 200, again.text
            assert again.json()[0]["description"].endswith("ανάμεσα σε δύο make run")
        finally:
            _stop(second)
    finally:
        dimos("broker", "down", url=fresh_url, **env)
    assert rows(fresh_url, "SELECT count(*) FROM service_requests")[0][0] == counts
    kept = log.read_text()
    assert "municipality 'rethymno' holds" in kept and "municipality 'chania' holds" in kept
    assert "kept, the demo was not loaded" in kept


def test_loading_the_demo_into_a_municipality_that_holds_features_keeps_them(demo_loaded_url):
    url = demo_loaded_url
    conn = db.connect(url)
    with conn, conn.cursor() as cur:  # an edit since the demo was loaded
        cur.execute("UPDATE bus_stops SET name = 'Στάση που άλλαξε' "
                    "WHERE id = (SELECT min(id) FROM bus_stops)")
    conn.close()
    before = rows(url, "SELECT id, name FROM bus_stops ORDER BY id")
    again = dimos("demo", "load", url=url, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "holds" in again.stdout and "bus_stops" in again.stdout and "--reset" in again.stdout
    assert rows(url, "SELECT id, name FROM bus_stops ORDER BY id") == before


def test_a_reset_lists_what_it_deletes_and_deletes_nothing_unconfirmed(demo_loaded_url):
    url = demo_loaded_url
    before = rows(url, "SELECT count(*), max(id) FROM zoning")
    refused = dimos("demo", "load", "--reset", url=url, stdin="", timeout=300)
    assert refused.returncode == 1
    assert "zoning" in refused.stdout and "service_requests" in refused.stdout
    # per municipality
    assert "  rethymno: " in refused.stdout and "  chania: " in refused.stdout
    assert "confirm with --yes" in refused.stderr and "Traceback" not in refused.stderr
    assert rows(url, "SELECT count(*), max(id) FROM zoning") == before


def test_a_confirmed_reset_replaces_the_features_and_forgets_their_imports(demo_loaded_url,
                                                                           tmp_path):
    url = demo_loaded_url
    stops = tmp_path / "stops.geojson"
    pyogrio.write_dataframe(gpd.GeoDataFrame(
        {"stop": ["KEEP1"], "name": ["Στάση από αρχείο"]},
        geometry=[Point(24.4745, 35.3680)], crs=4326), stops, driver="GeoJSON")
    imported = dimos("import", stops, "--layer", "bus_stops", "--map", "stop_id=stop",
                     "--set", "smart=false", "--jurisdiction", "rethymno", url=url)
    assert imported.returncode == 0, imported.stderr
    reset = dimos("demo", "load", "--reset", "--yes", url=url, timeout=300)
    assert reset.returncode == 0, reset.stderr
    assert "deleted" in reset.stdout and "1 import records" in reset.stdout
    assert rows(url, "SELECT count(*) FROM bus_stops WHERE stop_id = 'KEEP1'") == [(0,)]
    # the same file again is imported, not taken for one already done
    again = dimos("import", stops, "--layer", "bus_stops", "--map", "stop_id=stop",
                  "--set", "smart=false", "--jurisdiction", "rethymno", url=url)
    assert again.returncode == 0 and "already imported" not in again.stdout, again.stdout
    assert rows(url, "SELECT count(*) FROM bus_stops WHERE stop_id = 'KEEP1'") == [(1,)]


def test_a_reset_of_one_municipality_leaves_the_other_as_it_is(demo_loaded_url):
    url = demo_loaded_url
    conn = db.connect(url)
    with conn, conn.cursor() as cur:  # an edit in each since the demo was loaded
        cur.execute("UPDATE bus_stops SET name = 'Στάση που άλλαξε'")
    conn.close()
    reset = dimos("demo", "load", "--reset", "--yes", "--jurisdiction", "chania", url=url,
                  timeout=300)
    assert reset.returncode == 0, reset.stderr
    assert "deleted from 'chania'" in reset.stdout and "rethymno" not in reset.stdout
    assert rows(url, "SELECT jurisdiction_id, count(*) FILTER (WHERE name = 'Στάση που άλλαξε') "
                     "FROM bus_stops GROUP BY 1 ORDER BY 1") == [
        ("chania", 0), ("rethymno", rows(url, "SELECT count(*) FROM bus_stops "
                                              "WHERE jurisdiction_id = 'rethymno'")[0][0])]
