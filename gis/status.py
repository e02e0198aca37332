"""What the database holds: server/PostGIS/pgRouting versions, per-layer counts, schema check."""
from __future__ import annotations

from dataclasses import dataclass

from psycopg2 import sql

import layers
from gis.db import connect, require_schema
from gis.errors import DatabaseUnavailable

VERSIONS_SQL = """
SELECT current_setting('server_version'), postgis_lib_version(), pgr_version(),
       postgis_geos_version(), postgis_proj_version()
"""

# From the column's type modifier, not the geometry_columns view: that view reads a CHECK on
# GeometryType() as the column's type (building_permits allows points and polygons).
GEOMETRY_COLUMNS_SQL = """
SELECT c.relname, upper(postgis_typmod_type(a.atttypmod)), postgis_typmod_srid(a.atttypmod)
FROM pg_attribute AS a
JOIN pg_class AS c ON c.oid = a.attrelid
WHERE c.relnamespace = current_schema()::regnamespace AND a.attname = 'geom'
  AND a.atttypid = 'geometry'::regtype AND NOT a.attisdropped
"""


@dataclass(frozen=True)
class DatabaseStatus:
    server: str
    postgis: str
    pgrouting: str
    geos: str
    proj: str
    counts: dict[str, int]
    counts_by_jurisdiction: dict[str, dict[str, int]]


def schema_differences(cur) -> list[str]:
    """Every declared layer missing from PostGIS or stored with another geometry type or SRID."""
    cur.execute(GEOMETRY_COLUMNS_SQL)
    found = {table: (gtype, srid) for table, gtype, srid in cur.fetchall()}
    problems = []
    for layer in layers.catalogue():
        expected = (layer.geometry_type.upper(), layer.srid)
        if layer.table not in found:
            problems.append(f"layer {layer.id}: table {layer.table} with a geom column is missing")
        elif found[layer.table] != expected:
            problems.append(f"layer {layer.id}: stored as {found[layer.table]}, declared {expected}")
    return problems


def layer_counts(cur) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """Rows per layer, in total and per municipality (identifiers from the catalogue only)."""
    totals: dict[str, int] = {}
    by_jurisdiction: dict[str, dict[str, int]] = {}
    for layer in layers.catalogue():
        cur.execute(sql.SQL("SELECT jurisdiction_id, count(*) FROM {} GROUP BY 1").format(
            sql.Identifier(layer.table)))
        totals[layer.id] = 0
        for jurisdiction_id, count in cur.fetchall():
            totals[layer.id] += count
            by_jurisdiction.setdefault(jurisdiction_id, {})[layer.id] = count
    return totals, by_jurisdiction


def database_status(url: str) -> DatabaseStatus:
    """Versions and counts; DatabaseUnavailable (one line, with the fix) if not ready."""
    require_schema(url)
    conn = connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(VERSIONS_SQL)
            server, postgis, pgrouting, geos, proj = cur.fetchone()
            problems = schema_differences(cur)
            if problems:
                raise DatabaseUnavailable(
                    "the database schema does not match the layer catalogue ("
                    + "; ".join(problems) + "): run 'dimos db migrate'")
            counts, by_jurisdiction = layer_counts(cur)
    finally:
        conn.close()
    return DatabaseStatus(server, postgis, pgrouting, geos, proj, counts, by_jurisdiction)
