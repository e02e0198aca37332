"""Stateless nodes: two `dimos serve` nodes with state folders of their own and one database
serve the same installation; what a request needs is not on a node's disk nor in its memory."""
from __future__ import annotations

import shutil
import time
import uuid

import pytest
import requests

from gis import db
from tests.helpers import dimos, serving
from tests.test_crews import crew
from tests.test_ogc_tiles import OLD_TOWN, decode, fetch, tile_of

PASSWORD = "Ρέθυμνο-2026-σωστό"


@pytest.fixture(scope="module")
def node_dirs(tmp_path_factory):
    return tmp_path_factory.mktemp("node-a"), tmp_path_factory.mktemp("node-b")


def _node(demo_url, state_dir):
    return serving(demo_url, state_dir, workers=1, rate_limit_reports_per_min=0,
                   rate_limit_processes_per_min=0, sensors_ingest=0, changes_relay=0)


def _signed_in(base: str, demo_url: str) -> requests.Session:
    name = f"nikos-{uuid.uuid4().hex[:6]}"
    made = dimos("account", "create", name, "--role", "staff", "--jurisdiction", "rethymno",
                 "--password-stdin", url=demo_url, stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    browser = requests.Session()
    answer = browser.post(f"{base}/api/session", timeout=30,
                          data={"username": name, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return browser


def _whoami(base: str, cookies) -> int:
    return requests.get(f"{base}/api/whoami", cookies=cookies, timeout=30).status_code


def test_a_session_made_on_one_node_is_valid_on_another_and_outlives_its_state_folder(
        demo_url, node_dirs):
    dir_a, dir_b = node_dirs
    with _node(demo_url, dir_b) as node_b:
        with _node(demo_url, dir_a) as node_a:
            browser = _signed_in(node_a, demo_url)
            assert _whoami(node_a, browser.cookies) == 200
            assert _whoami(node_b, browser.cookies) == 200
        # node A goes, its disk with it; a new node A on an empty folder knows the cookie
        shutil.rmtree(dir_a)
        dir_a.mkdir()
        with _node(demo_url, dir_a) as node_a:
            assert _whoami(node_a, browser.cookies) == 200
        assert _whoami(node_b, browser.cookies) == 200
        assert not (dir_a / "secret_key").exists() and not (dir_b / "secret_key").exists()


def _finished(job: str, timeout_s: float = 60) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        status = requests.get(job, params={"f": "json"}, timeout=30).json()
        if status["status"] in ("successful", "failed") or time.monotonic() > deadline:
            return status
        time.sleep(0.5)


def test_an_async_job_started_on_one_node_is_read_whole_on_another(demo_url, node_dirs):
    dir_a, dir_b = node_dirs
    with _node(demo_url, dir_b) as node_b:
        with _node(demo_url, dir_a) as node_a:
            answer = requests.post(
                f"{node_a}/ogc/processes/plan-crew-routes/execution", timeout=60,
                headers={"Prefer": "respond-async"}, json={"inputs": {
                    "filter": "service_code = 'graffiti'",
                    "crews": [crew("paint", ["graffiti"])], "time_limit_s": 1}})
            assert answer.status_code == 201, answer.text
            job_id = answer.headers["Location"].rstrip("/").rsplit("/", 1)[1]
            assert _finished(f"{node_a}/ogc/jobs/{job_id}")["status"] == "successful"
        shutil.rmtree(dir_a)  # node A and its disk are gone
        dir_a.mkdir()
        on_b = f"{node_b}/ogc/jobs/{job_id}"
        assert requests.get(on_b, params={"f": "json"}, timeout=30).json()["status"] == \
            "successful"
        results = requests.get(f"{on_b}/results", params={"f": "json"}, timeout=30)
        assert results.status_code == 200, results.text
        assert results.json()["routes"][0]["crew"] == "paint"
        assert not list(dir_b.rglob(f"*{job_id}*"))  # nor is it a file of node B's


def _set_coefficient(demo_url: str, zone_id: str, value: float) -> None:
    conn = db.connect(demo_url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("UPDATE zoning SET building_coefficient = %s WHERE zone_id = %s",
                        (value, zone_id))
            assert cur.rowcount == 1
    finally:
        conn.close()


def test_a_tile_cached_on_each_node_has_one_etag_and_changes_on_both_after_a_write(
        demo_url, node_dirs):
    dir_a, dir_b = node_dirs
    z, x, y = tile_of(*OLD_TOWN, 15)
    with _node(demo_url, dir_a) as node_a, _node(demo_url, dir_b) as node_b:
        ogc_a, ogc_b = f"{node_a}/ogc", f"{node_b}/ogc"
        first_a, first_b = fetch(ogc_a, "zoning", z, x, y), fetch(ogc_b, "zoning", z, x, y)
        assert first_a.status_code == first_b.status_code == 200
        assert first_a.headers["ETag"] == first_b.headers["ETag"]
        # each node's worker now holds the tile in memory; the zone changes (as a write on
        # node A would change it): neither node may answer from what it held
        zone = decode(first_a.content)["zoning"]["features"][0]["properties"]
        coefficient = zone["building_coefficient"]
        _set_coefficient(demo_url, zone["zone_id"], coefficient + 1.25)
        try:
            etags = set()
            for ogc in (ogc_a, ogc_b):
                again = fetch(ogc, "zoning", z, x, y,
                              **{"If-None-Match": first_a.headers["ETag"]})
                assert again.status_code == 200, ogc
                changed = [f["properties"] for f in decode(again.content)["zoning"]["features"]
                           if f["properties"]["zone_id"] == zone["zone_id"]]
                assert changed[0]["building_coefficient"] == coefficient + 1.25
                etags.add(again.headers["ETag"])
            assert len(etags) == 1 and first_a.headers["ETag"] not in etags
        finally:
            _set_coefficient(demo_url, zone["zone_id"], coefficient)
