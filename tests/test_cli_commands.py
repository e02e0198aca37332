"""The README's commands that had no test: `dimos db down` (and `db up` of a cluster of its own),
`dimos doctor` and `dimos token create/revoke/list`, each run as the real command."""
from __future__ import annotations

import hashlib
import re
import socket
import subprocess
import sys
import uuid

import pyogrio
import pyproj
import pytest
import shapely

from gis import migrate
from servers.cluster import LocalCluster
from tests.helpers import DIMOS, add_municipality, dimos, free_port, rows


def _without_database_url(*args: str, state_dir, port: int) -> subprocess.CompletedProcess:
    """`dimos ARGS` managing the project-local cluster of ``state_dir`` on ``port``."""
    return subprocess.run([DIMOS, *args], capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DIMOS_STATE_DIR": str(state_dir),
                               "DIMOS_PG_PORT": str(port)})


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_db_down_stops_the_project_cluster_that_db_up_started(tmp_path):
    state, port = tmp_path / "state", free_port()
    try:
        up = _without_database_url("db", "up", state_dir=state, port=port)
        assert up.returncode == 0, up.stderr
        assert f"127.0.0.1:{port}" in up.stdout and "created database dimos" in up.stdout
        assert _listening(port)
        down = _without_database_url("db", "down", state_dir=state, port=port)
        assert down.returncode == 0, down.stderr
        assert down.stdout.startswith("stopped the cluster in"), down.stdout
        assert not _listening(port)
        again = _without_database_url("db", "down", state_dir=state, port=port)
        assert again.returncode == 0 and "not running" in again.stdout, again.stdout
    finally:
        LocalCluster(state, port).remove()  # as root its data lives under /var/lib/dimos


def test_db_down_leaves_the_server_of_database_url_alone(server_url):
    down = dimos("db", "down", url=server_url)
    assert down.returncode == 0, down.stderr
    assert "nothing stopped" in down.stdout
    assert rows(server_url, "SELECT 1") == [(1,)]  # still up


def test_doctor_names_the_stack_s_versions_and_the_database_in_use(make_database):
    url = make_database("dimos_doctor")
    bare = dimos("doctor", url=url)
    assert bare.returncode == 0, bare.stderr
    lines = dict(line.split(None, 1) for line in bare.stdout.splitlines())
    assert lines["Python"].startswith(sys.version.split()[0])
    assert lines["GDAL"].startswith(pyogrio.__gdal_version_string__)
    assert lines["PROJ"].startswith(pyproj.proj_version_str)
    assert lines["GEOS"].startswith(shapely.geos_version_string)
    database = url.rsplit("/", 1)[1]
    assert lines["database"] == f"127.0.0.1:{url.split(':')[-1].split('/')[0]}/{database} " \
                                "(DATABASE_URL)"
    (server,), = rows(url, "SHOW server_version")
    assert lines["PostgreSQL"] == (f"{server}; PostGIS not installed; "
                                   "pgRouting not installed")
    migrate.upgrade(url)  # now with the extensions: doctor reports their installed versions
    (postgis, pgrouting), = rows(url, "SELECT (SELECT extversion FROM pg_extension WHERE "
                                      "extname = 'postgis'), (SELECT extversion FROM "
                                      "pg_extension WHERE extname = 'pgrouting')")
    migrated = dimos("doctor", url=url)
    assert f"PostGIS {postgis}; pgRouting {pgrouting}" in migrated.stdout, migrated.stdout


@pytest.fixture(scope="module")
def own_database(make_database):
    """Tokens of this module's own (no other test's `token list` sees them), on a server holding
    one municipality: a token belongs to it without --jurisdiction (tests/test_municipalities.py
    has several)."""
    url = make_database("dimos_tokens")
    migrate.upgrade(url)
    add_municipality(url, "rethymno", "Rethymno")
    return url


def _listed(url: str) -> dict[str, str]:
    listing = dimos("token", "list", url=url)
    assert listing.returncode == 0, listing.stderr
    return {line.split()[0]: line for line in listing.stdout.splitlines()}


def test_token_create_prints_it_once_stores_its_hash_and_list_and_revoke_show_its_state(
        own_database):
    name = f"gis-office-{uuid.uuid4().hex[:6]}"
    made = dimos("token", "create", name, "--role", "staff", url=own_database)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token), made.stdout  # 256 random bits
    assert "shown once" in made.stderr
    stored = rows(own_database, "SELECT token_sha256 FROM api_tokens WHERE name = %s", (name,))
    assert stored == [(hashlib.sha256(token.encode()).hexdigest(),)]
    table = rows(own_database, "SELECT * FROM api_tokens WHERE name = %s", (name,))
    assert token not in repr(table)  # the token itself is stored nowhere

    line = _listed(own_database)[name]
    assert line.split()[1:3] == ["staff", "rethymno"] and line.endswith("live"), line
    assert token not in line

    revoked = dimos("token", "revoke", name, url=own_database)
    assert revoked.returncode == 0 and f"revoked the token of {name}" in revoked.stdout
    line = _listed(own_database)[name]
    assert re.search(r"revoked \d{4}-\d\d-\d\d \d\d:\d\d$", line), line
    twice = dimos("token", "revoke", name, url=own_database)
    assert twice.returncode == 1 and f"no live token named '{name}'" in twice.stderr


def test_token_list_shows_every_token_with_its_role(own_database):
    names = {f"app-{role}-{uuid.uuid4().hex[:6]}": role for role in ("payment", "crew")}
    for name, role in names.items():
        assert dimos("token", "create", name, "--role", role, url=own_database).returncode == 0
    listed = _listed(own_database)
    for name, role in names.items():
        assert listed[name].split()[1] == role, listed[name]
