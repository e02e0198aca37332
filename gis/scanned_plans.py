"""SQL of scanned plans: register a COG (its bytes and footprint), find scans, and the plan a
scan belongs to."""
from __future__ import annotations

import psycopg2
import shapely

INSERT_SQL = """
INSERT INTO scanned_plans (jurisdiction_id, plan_id, title, file_name, sha256, cog, cog_data,
                           source_crs, width, height, resolution_m, footprint, import_id)
VALUES (%(jurisdiction_id)s, %(plan_id)s, %(title)s, %(file_name)s, %(sha256)s, %(cog)s,
        %(cog_data)s, %(source_crs)s, %(width)s, %(height)s, %(resolution_m)s,
        ST_Multi(ST_GeomFromWKB(%(footprint)s, 2100)), %(import_id)s)
RETURNING id
"""
PLAN_EXISTS_SQL = "SELECT 1 FROM plans WHERE jurisdiction_id = %s AND plan_id = %s"
COG_SQL = "SELECT cog, cog_data IS NOT NULL FROM scanned_plans WHERE id = %s"
COG_DATA_SQL = "SELECT cog_data FROM scanned_plans WHERE id = %s AND cog = %s"
LIST_SQL = """
SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(
    json_build_object('type', 'Feature', 'id', id,
                      'geometry', ST_AsGeoJSON(ST_Transform(footprint, 4326), 7)::json,
                      'properties', json_build_object(
                          'plan_id', plan_id, 'title', title, 'file_name', file_name,
                          'resolution_m', resolution_m, 'jurisdiction', jurisdiction_id))
    ORDER BY id), '[]'::json))
FROM scanned_plans WHERE %(jurisdiction)s::text IS NULL OR jurisdiction_id = %(jurisdiction)s
"""


def plan_exists(cur, jurisdiction_id: str, plan_id: str) -> bool:
    cur.execute(PLAN_EXISTS_SQL, (jurisdiction_id, plan_id))
    return cur.fetchone() is not None


def insert_scan(cur, record: dict) -> int:
    """Register a scan (``footprint``: shapely, EPSG:2100; ``cog_data``: the COG's bytes); its
    id."""
    cur.execute(INSERT_SQL, {**record, "footprint": shapely.to_wkb(record["footprint"]),
                             "cog_data": psycopg2.Binary(record["cog_data"])})
    return cur.fetchone()[0]


def cog_of(cur, scan_id: int) -> tuple[str, bool] | None:
    """(file name of the scan's COG, whether the database holds it), or None: no such scan."""
    cur.execute(COG_SQL, (int(scan_id),))
    row = cur.fetchone()
    return (row[0], row[1]) if row else None


def cog_data(cur, scan_id: int, cog: str) -> bytes | None:
    """The COG ``cog`` of scan ``scan_id`` as the database holds it."""
    cur.execute(COG_DATA_SQL, (int(scan_id), cog))
    row = cur.fetchone()
    return bytes(row[0]) if row and row[0] is not None else None


def footprints(cur, jurisdiction_id: str | None = None) -> dict:
    """Every scan's footprint as a GeoJSON FeatureCollection in CRS84."""
    cur.execute(LIST_SQL, {"jurisdiction": jurisdiction_id})
    return cur.fetchone()[0]
