"""dimos db backup / restore: a verified round trip, photos included; bad files change nothing."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dimos.demo import load_demo
from gis import db, migrate, sensors
from tests import helpers


def dimos(*args, url):
    return helpers.dimos(*args, url=url, timeout=300)  # a dump and a restore take a while


TABLES_SQL = """SELECT tablename FROM pg_tables WHERE schemaname = 'public'
                AND tablename <> 'spatial_ref_sys' ORDER BY tablename"""


def fingerprint(url) -> dict:
    """Rows and a digest of every table's content (geometry and photo bytes included)."""
    conn = db.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(TABLES_SQL)
            found = {}
            for (table,) in cur.fetchall():
                cur.execute(f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY "
                            f"t::text), '')) FROM \"{table}\" t")
                found[table] = cur.fetchone()
            return found
    finally:
        conn.close()


@pytest.fixture(scope="module")
def original(make_database, demo) -> str:
    """A demo database of the module's own with a photo and a month of sensor readings (a
    partition), so the round trip carries both."""
    url = make_database("dimos_backup")
    migrate.upgrade(url)
    load_demo(url, demo)
    conn = db.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("""INSERT INTO service_request_media (jurisdiction_id, request_id,
            content_type, data, width, height, sha256)
            SELECT jurisdiction_id, id, 'image/png', '\\x89504e47'::bytea, 1, 1, 'x'
            FROM service_requests ORDER BY id LIMIT 1""")
        sensors.ensure_partitions(cur, {datetime(2026, 11, 1, tzinfo=UTC)})
    conn.close()
    return url


def test_a_backup_restores_to_the_same_database(original, make_database, tmp_path):
    dump = tmp_path / "dimos.dump"
    made = dimos("db", "backup", str(dump), url=original)
    assert made.returncode == 0, made.stderr
    assert dump.stat().st_size > 100_000
    copy = make_database("dimos_restore")
    restored = dimos("db", "restore", str(dump), url=copy)
    assert restored.returncode == 0, restored.stderr
    before, again = fingerprint(original), fingerprint(copy)
    assert before["service_request_media"][0] >= 1 and before["zoning"][0] > 0
    assert "sensor_readings_202611" in before
    assert again == before
    # restoring over a database that already holds data (a partition too) replaces it
    over = dimos("db", "restore", str(dump), url=copy)
    assert over.returncode == 0, over.stderr
    assert fingerprint(copy) == before


def test_bad_backup_and_restore_calls_change_nothing(original, tmp_path):
    before = fingerprint(original)
    junk = tmp_path / "not-a-dump.dump"
    junk.write_text("Αυτό δεν είναι αντίγραφο ασφαλείας")
    refused = dimos("db", "restore", str(junk), url=original)
    assert refused.returncode == 1 and "not a dimos backup" in refused.stderr
    assert "Traceback" not in refused.stderr
    existing = tmp_path / "exists.dump"
    existing.write_text("x")
    assert "exists" in dimos("db", "backup", str(existing), url=original).stderr
    assert existing.read_text() == "x"
    assert fingerprint(original) == before


def test_a_server_running_during_a_restore_answers_from_the_restored_database(
        original, make_database, tmp_path):
    """A restore recreates PostGIS: sessions opened before it failed spatial queries (filing
    a report: "no spatial operator found", a 500) until their server restarted. The restore
    ends them, so the server reconnects and files reports again."""
    import requests

    dump = tmp_path / "dimos.dump"
    assert dimos("db", "backup", str(dump), url=original).returncode == 0
    copy = make_database("dimos_restore_served", template=None)
    assert dimos("db", "restore", str(dump), url=copy).returncode == 0
    (tmp_path / "state").mkdir()
    report = {"service_code": "pothole", "lat": "35.3676", "long": "24.4747",
              "description": "a pothole"}  # filing one checks its point in the municipality

    def file_one(base):
        return requests.post(f"{base}/open311/v2/requests.json", data=report, timeout=30)

    with helpers.serving(copy, tmp_path / "state", workers=1,
                         rate_limit_reports_per_min=0) as base:
        for _ in range(4):  # its worker's pooled connections opened, PostGIS's types read
            assert file_one(base).status_code == 201
        restored = dimos("db", "restore", str(dump), url=copy)
        assert restored.returncode == 0, restored.stderr
        statuses = [file_one(base).status_code for _ in range(8)]
    assert 500 not in statuses, statuses
    assert statuses[-4:] == [201] * 4, statuses
