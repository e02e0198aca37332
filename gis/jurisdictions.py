"""The municipalities this database holds (the Open311 API, the sensors' gateway and the
importers pick one by id, or take the only one)."""
from __future__ import annotations

IDS_SQL = "SELECT id FROM jurisdictions ORDER BY id"


def jurisdiction_ids(cur) -> list[str]:
    cur.execute(IDS_SQL)
    return [row[0] for row in cur.fetchall()]


MAP_CENTRE_SQL = """
SELECT ST_Y(c), ST_X(c) FROM (
  SELECT ST_Transform(ST_PointOnSurface(geom), 4326) AS c FROM settlements
  ORDER BY population_2021 DESC NULLS LAST LIMIT 1) AS largest
"""


def map_centre(cur) -> list[float] | None:
    """[lat, lon] of the most populous settlement: where the map opens (None: no settlements)."""
    cur.execute(MAP_CENTRE_SQL)
    row = cur.fetchone()
    return list(row) if row else None


EXTENT_SQL = """
SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
FROM (SELECT ST_Extent(ST_Transform(boundary, 4326)) AS e FROM jurisdictions) AS extent
"""


def municipalities_extent_crs84(cur) -> tuple[float, float, float, float] | None:
    """The box around every municipality in CRS84 (None: none yet): the collections' extent."""
    cur.execute(EXTENT_SQL)
    row = cur.fetchone()
    return row if row and row[0] is not None else None

