"""Fixtures: test databases on the real PostGIS (the project's cluster or DATABASE_URL).

Every test module gets databases of its own, so no module sees another's writes, whatever the
order (pytest-randomly) or the process (pytest-xdist) it runs in. Two templates are built once a
session (per xdist worker): one with every migration, one with the Rethymno demo loaded too; a
module's ``migrated_url`` and ``demo_url`` are copies of them (``CREATE DATABASE … TEMPLATE``,
a fraction of a second), dropped when the module ends. The module's ``live_server`` is
``dimos serve`` on its ``demo_url``, started for the module and stopped after it.

Within a module the tests share its database: ``cursor`` works in a transaction rolled back after
the test, but what a test writes through the live server, the CLI or a connection of its own is
committed, and the module's later tests (in any order) see it, so a test checks only what it
wrote itself (its own names and ids, counts before and after). A test that needs a database
nobody else writes to, or changes one wholesale (reloads the demo), makes one: ``make_database``.
"""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy.engine import make_url

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


def _new_database(server_url: str, prefix: str, template: str | None) -> str:
    """A database named for this process (xdist workers share the server), a copy of the
    database at URL ``template`` if given, else empty: its URL."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    db.create_database(server_url, name, template=template and make_url(template).database)
    return db.with_database(server_url, name)


@pytest.fixture(scope="session")
def make_database(server_url: str):
    """A factory of fresh databases on the test server (empty, or a copy of the database at URL
    ``template``), all dropped at the end of the session."""
    created = []

    def make(prefix: str = "dimos_test", template: str | None = None) -> str:
        url = _new_database(server_url, prefix, template)
        created.append(url)
        return url

    yield make
    for url in created:
        db.drop_database(server_url, make_url(url).database)


@pytest.fixture(scope="session")
def migrated_template(make_database) -> str:
    """A database with every migration applied, never used but to be copied (nothing may stay
    connected to it)."""
    url = make_database("dimos_template_migrated")
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def demo():
    """Rethymno's demo data (the municipality most tests read)."""
    from data.demo import build_rethymno

    return build_rethymno()


@pytest.fixture(scope="session")
def chania_demo():
    """Chania's demo data: the second municipality of the demo."""
    from data.demo import build_chania

    return build_chania()


@pytest.fixture(scope="session")
def demo_template(make_database, migrated_template: str, demo) -> str:
    """A migrated database with the Rethymno demo loaded, only to be copied."""
    from dimos.demo import load_demo

    url = make_database("dimos_template_demo", template=migrated_template)
    load_demo(url, demo)
    return url


@pytest.fixture(scope="session")
def both_demo_template(make_database, demo_template: str, chania_demo) -> str:
    """The whole demo, Rethymno and Chania, as `dimos demo load` leaves it, only to be copied.
    (Until the modules on ``demo_url`` name the municipality they mean, as APIs serving several
    ask, they keep a Rethymno-only copy.)"""
    from dimos.demo import load_demo

    url = make_database("dimos_template_demo_both", template=demo_template)
    load_demo(url, chania_demo)
    return url


@pytest.fixture(scope="module")
def migrated_url(server_url: str, migrated_template: str):
    """The module's own database, every migration applied and no data."""
    url = _new_database(server_url, "dimos_test_migrated", migrated_template)
    yield url
    db.drop_database(server_url, make_url(url).database)


@pytest.fixture(scope="module")
def demo_url(server_url: str, demo_template: str):
    """The module's own database with the Rethymno demo loaded."""
    url = _new_database(server_url, "dimos_test_demo", demo_template)
    yield url
    db.drop_database(server_url, make_url(url).database)


@pytest.fixture(scope="module")
def both_demo_url(server_url: str, both_demo_template: str):
    """The module's own database with the whole demo (Rethymno and Chania) loaded."""
    url = _new_database(server_url, "dimos_test_demo_both", both_demo_template)
    yield url
    db.drop_database(server_url, make_url(url).database)


@contextmanager
def _rolled_back_cursor(url: str):
    """A cursor on ``url`` inside a transaction rolled back after the test."""
    conn = db.connect(url)
    try:
        with conn.cursor() as cur:
            yield cur
    finally:
        conn.rollback()
        conn.close()


@pytest.fixture
def both_cursor(both_demo_url: str):
    """A cursor on the module's whole-demo database, in a transaction rolled back after."""
    with _rolled_back_cursor(both_demo_url) as cur:
        yield cur


@pytest.fixture
def cursor(demo_url: str):
    """A cursor on the module's demo database inside a transaction rolled back after the test."""
    with _rolled_back_cursor(demo_url) as cur:
        yield cur


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

    # a key of its own: the database's (accounts/secret_key.py) is out of reach
    return create_app(Settings(database_url="postgresql://nobody@127.0.0.1:1/unreachable",
                               secret_key="ogc-app-" + "k" * 32,
                               state_dir=tmp_path_factory.mktemp("ogc-app-state")))


_SERVER_LOGS: dict[str, object] = {}


@pytest.fixture(scope="module")
def live_server_log(live_server):
    """The file the module's live server writes its logs to."""
    return _SERVER_LOGS[live_server]


@pytest.fixture(scope="module")
def live_server(demo_url: str, tmp_path_factory, identity_provider):
    """`dimos serve` (gunicorn, the OGC API mounted) on the module's demo database, on a free
    port, for the module (it boots in about 4 s).

    A process of its own: pygeoapi takes one configuration per process.
    """
    from tests.helpers import serving

    state_dir = tmp_path_factory.mktemp("dimos-state")
    # the suite posts hundreds of reports from one address: limits are tested on their own;
    # sensor and change tests run their own broker, ingest worker and change relay
    with serving(demo_url, state_dir, rate_limit_reports_per_min=0,
                 rate_limit_processes_per_min=0, sensors_ingest=0, changes_relay=0,
                 identity_providers=identity_providers_setting(identity_provider)) as url:
        _SERVER_LOGS[url] = state_dir / "server.log"
        yield url
        del _SERVER_LOGS[url]


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium through Playwright, one per module that asks for it."""
    from playwright.sync_api import sync_playwright

    from tests.helpers import CHROMIUM, FLAGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()
