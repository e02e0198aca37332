"""/metrics shows the database connections in use and counts the 503s answered while the
database is unavailable, as README.md says.

A database and a one-worker server of the module's own: a lock held by the test keeps one
request waiting on its connection; refusing connections to the database makes the outage.
"""
from __future__ import annotations

import threading

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from psycopg2 import sql

from gis import db, migrate
from tests.helpers import serving, wait_until

ITEMS = "/ogc/collections/zoning/items?f=json"  # read through the pool


@pytest.fixture(scope="module")
def database(make_database) -> str:
    url = make_database("dimos_metrics")
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="module")
def server(database, tmp_path_factory):
    with serving(database, tmp_path_factory.mktemp("metrics-state"), workers=1) as base:
        yield base


def metric(base: str, name: str) -> float:
    text = requests.get(f"{base}/metrics", timeout=30).text
    samples = [s.value for family in text_string_to_metric_families(text)
               for s in family.samples if s.name == name]
    assert samples, f"{name} is not in /metrics"
    return sum(samples)


def test_metrics_show_the_connection_a_waiting_request_holds(database, server):
    assert metric(server, "dimos_db_pool_connections_in_use") == 0
    locker = db.connect(database)
    waiting = threading.Thread(target=requests.get, daemon=True, kwargs={
        "url": server + ITEMS, "timeout": 60})
    try:
        with locker.cursor() as cur:
            cur.execute("LOCK TABLE zoning IN ACCESS EXCLUSIVE MODE")
        waiting.start()
        # the gauge is set as each request ends: the first /metrics sets it, the next shows it
        wait_until(lambda: metric(server, "dimos_db_pool_connections_in_use") == 1, 20,
                   "the waiting request's connection on /metrics")
    finally:
        locker.rollback()
        locker.close()
    waiting.join(30)
    wait_until(lambda: metric(server, "dimos_db_pool_connections_in_use") == 0, 20,
               "the connection given back")


def test_metrics_count_the_503s_of_an_outage(database, server, server_url):
    name = sql.Identifier(database.rsplit("/", 1)[1])
    before = metric(server, "dimos_database_unavailable_total")
    admin = db.connect(server_url)
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(name))
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = %s AND pid <> pg_backend_pid()", (name.strings[0],))
        answers = [requests.get(server + ITEMS, timeout=30).status_code for _ in range(3)]
        assert answers == [503, 503, 503]
    finally:
        with admin.cursor() as cur:
            cur.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(name))
        admin.close()
    assert metric(server, "dimos_database_unavailable_total") == before + 3
    wait_until(lambda: requests.get(server + ITEMS, timeout=30).status_code == 200, 20,
               "the items again once the database takes connections")
