"""The database goes away and comes back: 503 with Retry-After meanwhile (never a 500, never a
traceback), and service resumes by itself within seconds, with no restart of dimos.

A PostgreSQL cluster of its own (the project's scripts, another port and folder), so stopping
it disturbs no other test.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from gis import db, migrate
from servers.cluster import LocalCluster
from tests.helpers import add_municipality, free_port, rows, serving, wait_until

PATHS = [
    ("GET", "/health", None),
    ("GET", "/ogc/collections/zoning/items?f=json", None),
    ("GET", "/ogc/collections/zoning/items/1?f=json", None),
    ("GET", "/ogc/collections/parking_bays/tiles/WebMercatorQuad/15/12876/18613?f=mvt", None),
    ("GET", "/open311/v2/services.json", None),
    ("GET", "/open311/v2/requests.xml", None),
    ("GET", "/api/config", None),
    ("POST", "/ogc/processes/planning-report/execution",
     {"inputs": {"location": {"type": "Point", "coordinates": [24.4747, 35.3676]}}}),
]


@pytest.fixture(scope="module")
def own_database(tmp_path_factory):
    cluster = LocalCluster(tmp_path_factory.mktemp("fault-cluster"), free_port())
    cluster.up()
    url = f"postgresql://postgres@127.0.0.1:{cluster.port}/dimos_faults"
    db.create_database(f"postgresql://postgres@127.0.0.1:{cluster.port}/postgres", "dimos_faults")
    migrate.upgrade(url)
    yield cluster, url
    cluster.remove()  # its data too (as root it lives under /var/lib/dimos/clusters)


@pytest.fixture(scope="module")
def server(own_database, tmp_path_factory):
    cluster, url = own_database
    state = tmp_path_factory.mktemp("fault-state")
    with serving(url, state) as base:
        yield base, state / "server.log"


def call(base, method, path, body):
    return requests.request(method, base + path, json=body, timeout=30)


def test_an_outage_is_503_with_retry_after_and_service_resumes_by_itself(own_database, server):
    cluster, _ = own_database
    base, log = server
    for method, path, body in PATHS:  # warm: every worker holds pooled connections
        for _ in range(4):
            assert call(base, method, path, body).status_code < 500, path
    cluster.down()
    try:
        for method, path, body in PATHS:
            answer = call(base, method, path, body)
            assert answer.status_code == 503, (path, answer.status_code, answer.text[:300])
            assert answer.headers["Retry-After"] == "5"
            assert "Traceback" not in answer.text and "psycopg2" not in answer.text
    finally:
        cluster.up()
    back = time.monotonic()
    pending = list(PATHS)
    while pending and time.monotonic() - back < 5:
        pending = [p for p in pending if call(base, *p).status_code >= 500]
    assert pending == [], f"not back within 5 s: {[p[1] for p in pending]}"
    # and it stays back: no stale pooled connection fails a later request
    for method, path, body in PATHS * 3:
        assert call(base, method, path, body).status_code < 500, path
    assert "Traceback" not in log.read_text()


def _set_read_only(url: str, on: bool) -> None:
    """Every session of the server takes no writes (or takes them again), as a standby."""
    conn = db.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"ALTER SYSTEM SET default_transaction_read_only = {'on' if on else 'off'}")
        cur.execute("SELECT pg_reload_conf()")
    conn.close()


def _file_a_report(base: str) -> requests.Response:
    return requests.post(f"{base}/open311/v2/requests.json", timeout=30, data={
        "jurisdiction_id": "faultton", "service_code": "pothole", "lat": "35.3676",
        "long": "24.4747", "description": "Λακκούβα στη γωνία"})


def test_a_write_that_meets_a_server_taking_none_is_503_and_stores_nothing(own_database, server):
    """What the primary's address leads to during a failover: a standby still being promoted
    (or one just demoted) answers reads and refuses writes."""
    _, url = own_database
    base, log = server
    x, y = 542_900, 3_913_600  # the report's point (24.4747, 35.3676) in EPSG:2100
    add_municipality(url, "faultton", "Faultton", x - 500, y - 500, 1000)
    conn = db.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("""INSERT INTO services (jurisdiction_id, service_code, name_el, name_en,
                       sla_hours, department) VALUES ('faultton', 'pothole', 'Λακκούβα',
                       'Pothole', 48, 'Τεχνική')""")
    conn.close()
    assert _file_a_report(base).status_code == 201  # warm: the workers hold connections
    _set_read_only(url, True)
    try:
        wait_until(lambda: rows(url, "SHOW default_transaction_read_only") == [("on",)], 5,
                   "the setting to reach new sessions")
        for _ in range(4):  # each worker's pooled connections, reloaded
            refused = _file_a_report(base)
            assert refused.status_code == 503, refused.text
            assert refused.headers["Retry-After"] == "5"
            assert "takes no writes" in refused.json()[0]["description"]
            assert "Traceback" not in refused.text and "read-only" not in refused.text
        assert requests.get(f"{base}/open311/v2/services.json", timeout=30,
                            params={"jurisdiction_id": "faultton"}).status_code == 200
    finally:
        _set_read_only(url, False)
    assert rows(url, "SELECT count(*) FROM service_requests") == [(1,)]
    wait_until(lambda: _file_a_report(base).status_code == 201, 5, "writes taken again")
    assert "Traceback" not in log.read_text()


def _gunicorn_workers(base: str) -> set[int]:
    """The web workers of the server at ``base`` (children of its gunicorn master, less the
    sensors' companions)."""
    port = base.rsplit(":", 1)[1]
    master = subprocess.run(["pgrep", "-f", f"gunicorn.*--bind 127.0.0.1:{port}", "-o"],
                            capture_output=True, text=True).stdout.split()
    children = subprocess.run(["pgrep", "-P", master[0]], capture_output=True,
                              text=True).stdout.split()
    workers = set()
    for pid in children:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (FileNotFoundError, ProcessLookupError):  # it exited since pgrep saw it
            continue
        if b"gunicorn" in command:
            workers.add(int(pid))
    return workers


def _ready_workers(log: Path) -> set[int]:
    """Workers that said they loaded the app (dimos.gunicorn_hooks.post_worker_init)."""
    return {int(match) for match in re.findall(r"worker (\d+) ready", log.read_text())}


def test_a_worker_started_while_the_database_is_away_boots_and_waits_for_it(own_database,
                                                                           server):
    cluster, _ = own_database
    base, log = server
    workers = _gunicorn_workers(base)
    assert len(workers) == 2
    cluster.down()
    try:
        os.kill(min(workers), signal.SIGKILL)  # gunicorn boots a replacement meanwhile
        deadline = time.monotonic() + 60
        # the new worker loads the app, pygeoapi and its job store with the database away
        while not _ready_workers(log) - workers:
            assert time.monotonic() < deadline, "no replacement worker ready"
            time.sleep(0.2)
        for _ in range(6):  # both workers answer: the database is away, not the server
            assert call(base, "GET", "/health", None).status_code == 503
    finally:
        cluster.up()
    deadline = time.monotonic() + 5
    while call(base, "GET", "/ogc/processes?f=json", None).status_code >= 500:
        assert time.monotonic() < deadline
    assert len(_gunicorn_workers(base)) == 2
