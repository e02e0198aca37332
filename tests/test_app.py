"""The app: /health tells the database's state, the home page lists layers and attributions."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

import layers
from dimos.app import create_app
from settings import Settings
from tests.helpers import rows
from tests.test_cli import closed_port


@pytest.fixture(scope="module")
def client(both_demo_url):
    return create_app(Settings(database_url=both_demo_url), with_ogc=False).test_client()


def test_health_reports_postgis_and_a_count_for_every_layer(client):
    answer = client.get("/health")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["status"] == "ok" and body["database"] == "reachable"
    assert body["postgis"].startswith("3.")
    assert body["pgrouting"].startswith("3.")
    assert set(body["layers"]) == {layer.id for layer in layers.CATALOGUE}
    assert all(count > 0 for count in body["layers"].values()), body["layers"]
    assert set(body["jurisdictions"]) == {"rethymno", "chania"}


def test_health_counts_each_municipalitys_features(client, demo, chania_demo):
    body = client.get("/health").get_json()
    for data in (demo, chania_demo):  # nothing in this module writes features
        expected = {layer_id: len(frame) for layer_id, frame in data.layers.items()}
        assert body["jurisdictions"][data.jurisdiction["id"]] == expected
    assert body["layers"] == {layer_id: len(demo.layers[layer_id]) + len(chania_demo.layers[layer_id])
                              for layer_id in body["layers"]}


def test_health_is_503_with_a_reason_when_the_database_is_down():
    url = f"postgresql://postgres@127.0.0.1:{closed_port()}/dimos"
    answer = create_app(Settings(database_url=url), with_ogc=False).test_client().get("/health")
    assert answer.status_code == 503
    body = answer.get_json()
    assert body["database"] == "unreachable" and "cannot connect" in body["reason"]


def test_home_page_lists_every_layer_in_greek_and_english_with_attributions(client):
    page = client.get("/").get_data(as_text=True)
    for layer in layers.CATALOGUE:
        assert layer.title_el in page and layer.title_en in page
    assert "© OpenStreetMap contributors" in page and "ΕΛ.ΣΤΑΤ." in page
    assert "geodata.gov.gr" in page


def test_legend_comes_from_the_catalogue(client):
    legend = client.get("/api/legend").get_json()
    assert [entry["id"] for entry in legend["layers"]] == [layer.id for layer in layers.COLLECTIONS]
    zoning = legend["layers"][0]
    assert zoning["style"]["color"] == layers.get("zoning").style.color


def test_unknown_path_is_a_json_404(client):
    answer = client.get("/no/such/page")
    assert answer.status_code == 404 and answer.get_json()["code"] == "Not Found"


def test_dimos_serve_runs_gunicorn_that_answers_health(demo_url):
    port = closed_port()
    env = {**os.environ, "DATABASE_URL": demo_url}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "dimos"), "serve", "--port", str(port), "--workers", "2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/health", timeout=10)
                break
            # not listening yet, or a worker still loading the app on a busy machine
            except (requests.ConnectionError, requests.Timeout):
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "gunicorn did not answer in 60 s"
                time.sleep(0.2)
        assert answer.status_code == 200
        bays = rows(demo_url, "SELECT count(*) FROM parking_bays")[0][0]
        assert answer.json()["layers"]["parking_bays"] == bays >= 600
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_requests_beyond_the_pool_wait_for_a_connection_instead_of_failing(demo_url,
                                                                            monkeypatch):
    """More threads than pooled connections (gthread workers): the extra ones queue; past
    POOL_WAIT_S they get a 503-class error, never psycopg2's 'pool exhausted'."""
    import threading
    import time

    from gis import db
    from gis.errors import DatabaseUnavailable

    holding, release = threading.Barrier(db.POOL_MAX + 1), threading.Event()

    def hold():
        with db.pooled_cursor(demo_url) as cur:
            cur.execute("SELECT 1")
            holding.wait()
            release.wait(10)

    threads = [threading.Thread(target=hold) for _ in range(db.POOL_MAX)]
    for thread in threads:
        thread.start()
    holding.wait()  # every connection of the pool is out
    monkeypatch.setattr(db, "POOL_WAIT_S", 0.3)
    started = time.monotonic()
    with pytest.raises(DatabaseUnavailable, match="busy"):
        with db.pooled_cursor(demo_url):
            pass
    assert time.monotonic() - started >= 0.3
    monkeypatch.setattr(db, "POOL_WAIT_S", 10.0)
    threading.Timer(0.3, release.set).start()
    with db.pooled_cursor(demo_url) as cur:  # waits for one to come back, then works
        cur.execute("SELECT 2")
        assert cur.fetchone() == (2,)
    for thread in threads:
        thread.join(10)
