"""Fixtures: a fresh test database on the real PostGIS (the project's cluster or DATABASE_URL).

A session database gets every migration and the Rethymno demo once; each test that writes
works in a transaction that is rolled back, so tests never see each other's rows.
"""
from __future__ import annotations

import os
import uuid

import pytest

from gis import db, migrate
from settings import Settings


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def server_url(settings: Settings) -> str:
    """The maintenance database of the server the tests run on (must be up: `make test` starts it)."""
    url = db.with_database(settings.effective_database_url, "postgres")
    db.connect(url).close()  # fails loudly (never skips) when the server is not there
    return url


@pytest.fixture(scope="session")
def make_database(server_url: str):
    """A factory of fresh, empty databases on the test server, all dropped at the end."""
    created = []

    def make(prefix: str = "dimos_test") -> str:
        name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        db.create_database(server_url, name)
        created.append(name)
        return db.with_database(server_url, name)

    yield make
    for name in created:
        db.drop_database(server_url, name)


@pytest.fixture(scope="session")
def migrated_url(make_database) -> str:
    url = make_database()
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def demo():
    from data.demo import build_rethymno

    return build_rethymno()


@pytest.fixture(scope="session")
def demo_url(migrated_url: str, demo) -> str:
    """The session test database with the Rethymno demo loaded."""
    from dimos.demo import load_demo

    load_demo(migrated_url, demo)
    return migrated_url


@pytest.fixture
def cursor(demo_url: str):
    """A cursor on the demo database inside a transaction rolled back after the test."""
    conn = db.connect(demo_url)
    try:
        with conn.cursor() as cur:
            yield cur
    finally:
        conn.rollback()
        conn.close()


@pytest.fixture(scope="session")
def identity_provider():
    """An OpenID Connect provider on a free port (tests/identity_provider.py), playing TAXISnet
    (everyone a citizen) and the town hall's SSO (roles from groups); people are added by tests."""
    from tests.identity_provider import IdentityProvider

    provider = IdentityProvider().start()
    yield provider
    provider.stop()


def identity_providers_setting(provider) -> str:
    """DIMOS_IDENTITY_PROVIDERS naming the test provider's realms."""
    import json

    from tests.identity_provider import CLIENT_ID, CLIENT_SECRET

    def realm(name, title, **role):
        return {"title": title, "metadata_url": provider.metadata_url(name),
                "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **role}

    return json.dumps({
        "taxisnet": realm("taxisnet", "TAXISnet", role="citizen"),
        "cityhall": realm("cityhall", "Δήμος Ρεθύμνης SSO", role_claim="groups",
                          roles={"gis-staff": "staff", "planning": "planner", "crews": "crew",
                                 "it-admins": "admin"}),
        "forger": realm("forger", "A provider whose signatures do not verify", role="citizen"),
    })


@pytest.fixture(scope="session")
def ogc_app(tmp_path_factory):
    """The whole app in this process, the OGC API mounted (pygeoapi takes one configuration
    per process: every module asking for it shares this one). Its database is unreachable:
    for what is decided before any view runs (routes, access rules)."""
    from dimos.app import create_app

    return create_app(Settings(database_url="postgresql://nobody@127.0.0.1:1/unreachable",
                               state_dir=tmp_path_factory.mktemp("ogc-app-state")))


_SERVER_LOGS: dict[str, object] = {}


@pytest.fixture(scope="session")
def live_server_log(live_server):
    """The file the live server writes its logs to."""
    return _SERVER_LOGS[live_server]


@pytest.fixture(scope="session")
def live_server(demo_url: str, tmp_path_factory, identity_provider):
    """`dimos serve` (gunicorn, the OGC API mounted) on the demo database, on a free port.

    A process of its own: pygeoapi takes one configuration per process.
    """
    from tests.helpers import serving

    state_dir = tmp_path_factory.mktemp("dimos-state")
    # the suite posts hundreds of reports from one address: limits are tested on their own;
    # sensor tests run their own broker and ingest worker
    with serving(demo_url, state_dir, rate_limit_reports_per_min=0,
                 rate_limit_processes_per_min=0, sensors_ingest=0,
                 identity_providers=identity_providers_setting(identity_provider)) as url:
        _SERVER_LOGS[url] = state_dir / "server.log"
        yield url
