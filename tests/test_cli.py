"""The dimos command: clear one-line errors with the fix, and the database lifecycle."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from psycopg2 import sql

import layers
from tests.helpers import rows as rows_of

DIMOS = str(Path(sys.executable).parent / "dimos")


def run_dimos(*args: str, database_url: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return subprocess.run([DIMOS, *args], capture_output=True, text=True, env=env, timeout=300)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


def assert_one_line_error(proc: subprocess.CompletedProcess, *words: str) -> str:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("command", [("db", "status"), ("db", "up"), ("db", "migrate"),
                                     ("demo", "load"), ("serve",)])
def test_a_database_url_pointing_at_nothing_is_one_line_naming_the_fix(command):
    url = f"postgresql://postgres@127.0.0.1:{closed_port()}/dimos"
    line = assert_one_line_error(run_dimos(*command, database_url=url), "cannot connect")
    assert "DATABASE_URL" in line and "127.0.0.1" in line


def test_a_database_without_postgis_is_one_line_naming_the_fix(make_database):
    url = make_database("dimos_nopostgis")
    line = assert_one_line_error(run_dimos("db", "status", database_url=url), "PostGIS")
    assert "dimos db migrate" in line
    assert_one_line_error(run_dimos("demo", "load", database_url=url), "PostGIS")


def test_a_database_that_does_not_exist_is_one_line(server_url):
    url = server_url.rsplit("/", 1)[0] + "/no_such_database_here"
    assert_one_line_error(run_dimos("db", "status", database_url=url), "does not exist")


def test_db_up_checks_an_external_server(migrated_url):
    proc = run_dimos("db", "up", database_url=migrated_url)
    assert proc.returncode == 0, proc.stderr
    assert "PostGIS 3" in proc.stdout and "pgRouting" in proc.stdout


def test_db_up_twice_reuses_the_running_project_cluster(settings):
    if settings.database_url:
        pytest.skip("DATABASE_URL is set: the project cluster is not in use")
    first = run_dimos("db", "up")
    second = run_dimos("db", "up")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "reused the running cluster" in second.stdout


def test_db_status_prints_versions_and_per_layer_counts(demo_url, demo):
    proc = run_dimos("db", "status", database_url=demo_url)
    assert proc.returncode == 0, proc.stderr
    assert "PostGIS    3." in proc.stdout and "pgRouting  3." in proc.stdout
    rows = {line.split()[0]: line.split()[1:] for line in proc.stdout.splitlines()[5:]}
    # what the database holds now (other tests add requests to the shared demo database)
    stored = {layer_id: rows_of(demo_url, sql.SQL("SELECT count(*) FROM {}").format(
        sql.Identifier(layers.get(layer_id).table)))[0][0] for layer_id in demo.layers}
    for layer_id in demo.layers:
        assert stored[layer_id] >= len(demo.layers[layer_id]) > 0, layer_id
        assert int(rows[layer_id][0]) == stored[layer_id], layer_id
