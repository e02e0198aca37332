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
from tests.helpers import free_port, serving

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
