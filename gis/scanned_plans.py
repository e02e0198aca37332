"""SQL of scanned plans: register a COG's footprint, find scans, and the plan a scan belongs to."""
from __future__ import annotations

import shapely

INSERT_SQL = """
INSERT INTO scanned_plans (jurisdiction_id, plan_id, title, file_name, sha256, cog, source_crs,
                           width, height, resolution_m, footprint, import_id)
VALUES (%(jurisdiction_id)s, %(plan_id)s, %(title)s, %(file_name)s, %(sha256)s, %(cog)s,
        %(source_crs)s, %(width)s, %(height)s, %(resolution_m)s,
        ST_Multi(ST_GeomFromWKB(%(footprint)s, 2100)), %(import_id)s)
RETURNING id
"""
PLAN_EXISTS_SQL = "SELECT 1 FROM plans WHERE jurisdiction_id = %s AND plan_id = %s"
COG_SQL = "SELECT cog FROM scanned_plans WHERE id = %s"
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
    """Register a scan (``footprint``: shapely, EPSG:2100); its id."""
    cur.execute(INSERT_SQL, {**record, "footprint": shapely.to_wkb(record["footprint"])})
    return cur.fetchone()[0]


def cog_of(cur, scan_id: int) -> str | None:
    cur.execute(COG_SQL, (int(scan_id),))
    row = cur.fetchone()
    return row[0] if row else None


def footprints(cur, jurisdiction_id: str | None = None) -> dict:
    """Every scan's footprint as a GeoJSON FeatureCollection in CRS84."""
    cur.execute(LIST_SQL, {"jurisdiction": jurisdiction_id})
    return cur.fetchone()[0]
