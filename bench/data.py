"""The benchmark databases: the Rethymno demo with `building_permits` grown to 1,000,000 points,
and a copy of it whose ids follow space (as one bulk import of a district leaves a table)."""
from __future__ import annotations

import time

from psycopg2 import sql

from gis.db import connect, create_database, describe_url, drop_database, with_database
from gis.migrate import upgrade

BENCH_DATABASE = "dimos_bench"
#: the same rows, numbered and stored in the order of their geohash (BENCH_DATABASE + this)
SORTED_SUFFIX = "_sorted"
TARGET_ROWS = 1_000_000
JITTER_M = 25  # a copy lands within ±25 m (EPSG:2100 metres) of the permit it copies

COUNT_SQL = "SELECT count(*) FROM building_permits"
SOURCES_SQL = "SELECT count(*) FROM building_permits WHERE ST_Dimension(geom) = 2"
# Once copied, the footprints go: the table then holds points only, so the peers serving the
# whole table and dimos serving its point collection (building_permit_sites) serve the same rows.
DROP_SOURCES_SQL = "DELETE FROM building_permits WHERE ST_Dimension(geom) = 2"

# Copies of the demo's town permits (those drawn on OSM building footprints, i.e. polygons):
# attributes kept, a new unique number 'B-<n>/<year>' (the demo's have no prefix), a point
# jittered around the footprint. The town's permits follow its buildings, so the old town,
# where buildings are densest, gets the most copies. ΚΑΕΚ, type and status are copied, so
# every CHECK holds; a point is always a valid geometry.
GROW_SQL = """
INSERT INTO building_permits (jurisdiction_id, permit_number, issue_date, permit_type, status,
                              kaek, address, built_area_m2, floors, document_urls, geom)
SELECT s.jurisdiction_id, 'B-' || g || '/' || extract(year FROM s.issue_date)::int,
       s.issue_date, s.permit_type, s.status, s.kaek, s.address, s.built_area_m2, s.floors,
       ARRAY['/documents/permits/bench/' || g || '.pdf'],
       ST_Translate(s.spot, %(jitter)s * (2 * random() - 1), %(jitter)s * (2 * random() - 1))
FROM generate_series(1, %(missing)s) AS g
JOIN (SELECT row_number() OVER (ORDER BY id) - 1 AS k, b.*, ST_PointOnSurface(b.geom) AS spot
      FROM building_permits AS b WHERE ST_Dimension(b.geom) = 2) AS s
  ON s.k = g %% %(sources)s
"""


def _count(url: str, sql: str = COUNT_SQL) -> int:
    conn = connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchone()[0]
    finally:
        conn.close()


def grow_permits(url: str) -> float:
    """Grow `building_permits` to TARGET_ROWS points in one transaction (the footprints copied,
    then deleted), then VACUUM ANALYZE; seconds."""
    started = time.perf_counter()
    conn = connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(COUNT_SQL)
            missing = TARGET_ROWS - cur.fetchone()[0]
            cur.execute(SOURCES_SQL)
            sources = cur.fetchone()[0]
            cur.execute("SELECT setseed(0.42)")  # the same jitter every time
            cur.execute(GROW_SQL, {"jitter": float(JITTER_M), "missing": int(missing + sources),
                                   "sources": int(sources)})
            cur.execute(DROP_SOURCES_SQL)
        conn.autocommit = True  # VACUUM cannot run inside a transaction
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE building_permits")
    finally:
        conn.close()
    return time.perf_counter() - started


# Every server under test gets the same session settings: JIT off for the database (dimos's own
# connections set it too), so that no server's median times the JIT compiler.
JIT_OFF_SQL = "ALTER DATABASE {} SET jit = off"

# The rows renumbered in the order of their geohash, then stored in that order (CLUSTER): a
# box of the town is then a run of consecutive ids, not ids spread over the whole table.
RENUMBER_SQL = (
    "ALTER TABLE building_permits DISABLE TRIGGER USER",
    "UPDATE building_permits SET id = -id",
    "UPDATE building_permits AS b SET id = s.n FROM (SELECT id, row_number() OVER (ORDER BY "
    "ST_GeoHash(ST_Transform(geom, 4326)), id) AS n FROM building_permits) AS s "
    "WHERE b.id = s.id",
    "ALTER TABLE building_permits ENABLE TRIGGER USER",
    "CLUSTER building_permits USING building_permits_pkey",
)
SORTED_MARK = "ids follow space"
MARK_SQL = "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s"


def _set_jit_off(url: str, name: str) -> None:
    conn = connect(url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL(JIT_OFF_SQL).format(sql.Identifier(name)))
    finally:
        conn.close()


def prepare_sorted_database(server_url: str, source: str = BENCH_DATABASE) -> str:
    """The URL of ``source`` + SORTED_SUFFIX: a copy of the benchmark database (nobody may be
    connected to ``source``) whose permits' ids and storage follow space; reused once made."""
    name = source + SORTED_SUFFIX
    url = with_database(server_url, name)
    conn = connect(server_url)
    try:
        with conn.cursor() as cur:
            cur.execute(MARK_SQL, (name,))
            found = cur.fetchone()
    finally:
        conn.close()
    if found and found[0] == SORTED_MARK:
        upgrade(url)
        print(f"reusing {describe_url(url)}: its permits' ids follow space")
        return url
    started = time.perf_counter()
    if found:  # a copy left half made
        drop_database(server_url, name)
    create_database(server_url, name, template=source)
    conn = connect(url)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            for statement in RENUMBER_SQL:
                cur.execute(statement)
            cur.execute("ANALYZE building_permits")
            cur.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(name), sql.Literal(SORTED_MARK)))
    finally:
        conn.close()
    _set_jit_off(url, name)
    print(f"copied {source} to {name}, its permits numbered and stored by geohash, in "
          f"{time.perf_counter() - started:.1f} s")
    return url


def prepare_database(server_url: str, name: str = BENCH_DATABASE) -> str:
    """The URL of the benchmark database ``name`` on ``server_url``'s server, ready to measure.

    Reused when it already holds TARGET_ROWS permits, all points; otherwise migrated, reset to the demo
    and grown (the demo load replaces the municipality's rows, so a half-grown table is fine).
    """
    url = with_database(server_url, name)
    if create_database(server_url, name):
        print(f"created database {name}")
    upgrade(url)
    _set_jit_off(url, name)
    if _count(url) == TARGET_ROWS and _count(url, SOURCES_SQL) == 0:
        print(f"reusing {describe_url(url)}: building_permits has {TARGET_ROWS:,} points")
        return url
    from data.demo import build_rethymno  # heavy (geopandas): only when needed
    from dimos.demo import load_demo

    started = time.perf_counter()
    load_demo(url, build_rethymno(), reset=True)
    print(f"loaded the demo into {describe_url(url)} in {time.perf_counter() - started:.1f} s")
    seconds = grow_permits(url)
    print(f"grew building_permits to {_count(url):,} points in {seconds:.1f} s "
          "(INSERT … SELECT, DELETE of the footprints, VACUUM ANALYZE)")
    return url
