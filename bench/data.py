"""The benchmark database: the Rethymno demo with `building_permits` grown to 1,000,000 points."""
from __future__ import annotations

import time

from gis.db import connect, create_database, describe_url, with_database
from gis.migrate import upgrade

BENCH_DATABASE = "dimos_bench"
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


def prepare_database(server_url: str, name: str = BENCH_DATABASE) -> str:
    """The URL of the benchmark database ``name`` on ``server_url``'s server, ready to measure.

    Reused when it already holds TARGET_ROWS permits, all points; otherwise migrated, reset to the demo
    and grown (the demo load replaces the municipality's rows, so a half-grown table is fine).
    """
    url = with_database(server_url, name)
    if create_database(server_url, name):
        print(f"created database {name}")
    upgrade(url)
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
