"""dimos db backup / restore: a verified round trip, photos included; bad files change nothing."""
from __future__ import annotations

from gis import db
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


def test_a_backup_restores_to_the_same_database(demo_url, make_database, tmp_path):
    conn = db.connect(demo_url)  # a photo, so the round trip carries one
    with conn, conn.cursor() as cur:
        cur.execute("""INSERT INTO service_request_media (jurisdiction_id, request_id,
            content_type, data, width, height, sha256)
            SELECT jurisdiction_id, id, 'image/png', '\\x89504e47'::bytea, 1, 1, 'x'
            FROM service_requests ORDER BY id LIMIT 1""")
    conn.close()
    dump = tmp_path / "dimos.dump"
    made = dimos("db", "backup", str(dump), url=demo_url)
    assert made.returncode == 0, made.stderr
    assert dump.stat().st_size > 100_000
    copy = make_database("dimos_restore")
    restored = dimos("db", "restore", str(dump), url=copy)
    assert restored.returncode == 0, restored.stderr
    original, again = fingerprint(demo_url), fingerprint(copy)
    assert original["service_request_media"][0] >= 1 and original["zoning"][0] > 0
    assert again == original
    # restoring over a database that already holds data replaces it, same result
    assert dimos("db", "restore", str(dump), url=copy).returncode == 0
    assert fingerprint(copy) == original


def test_bad_backup_and_restore_calls_change_nothing(demo_url, tmp_path):
    before = fingerprint(demo_url)
    junk = tmp_path / "not-a-dump.dump"
    junk.write_text("Αυτό δεν είναι αντίγραφο ασφαλείας")
    refused = dimos("db", "restore", str(junk), url=demo_url)
    assert refused.returncode == 1 and "not a dimos backup" in refused.stderr
    assert "Traceback" not in refused.stderr
    existing = tmp_path / "exists.dump"
    existing.write_text("x")
    assert "exists" in dimos("db", "backup", str(existing), url=demo_url).stderr
    assert existing.read_text() == "x"
    assert fingerprint(demo_url) == before
