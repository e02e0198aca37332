"""The municipalities this database holds (the Open311 API, the sensors' gateway and the
importers pick one by id, or take the only one)."""
from __future__ import annotations

IDS_SQL = "SELECT id FROM jurisdictions ORDER BY id"


def jurisdiction_ids(cur) -> list[str]:
    cur.execute(IDS_SQL)
    return [row[0] for row in cur.fetchall()]


EXTENT_SQL = """
SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
FROM (SELECT ST_Extent(ST_Transform(boundary, 4326)) AS e FROM jurisdictions) AS extent
"""


def municipalities_extent_crs84(cur) -> tuple[float, float, float, float] | None:
    """The box around every municipality in CRS84 (None: none yet): the collections' extent."""
    cur.execute(EXTENT_SQL)
    row = cur.fetchone()
    return row if row and row[0] is not None else None



MUNICIPALITIES_SQL = "SELECT id, name_el, name_en FROM jurisdictions ORDER BY id"


def municipalities(cur) -> list[dict]:
    """Every municipality of the database: id and names (the map's picker)."""
    cur.execute(MUNICIPALITIES_SQL)
    return [{"id": i, "name_el": el, "name_en": en} for i, el, en in cur.fetchall()]


# where the map opens: the most populous settlement inside the municipality, or a point on
# its land when it has none (ST_PointOnSurface: inside, unlike a centroid of a crescent)
MUNICIPALITY_SQL = """
SELECT j.id, j.name_el, j.name_en,
       ST_XMin(extent.box), ST_YMin(extent.box), ST_XMax(extent.box), ST_YMax(extent.box),
       ST_Y(centre.point), ST_X(centre.point)
FROM jurisdictions j
CROSS JOIN LATERAL (SELECT Box2D(ST_Transform(j.boundary, 4326)) AS box) AS extent
CROSS JOIN LATERAL (SELECT ST_Transform(coalesce(
    (SELECT ST_PointOnSurface(s.geom) FROM settlements s
     WHERE s.jurisdiction_id = j.id AND ST_Intersects(ST_PointOnSurface(s.geom), j.boundary)
     ORDER BY s.population_2021 DESC NULLS LAST, s.id LIMIT 1),
    ST_PointOnSurface(j.boundary)), 4326) AS point) AS centre
WHERE j.id = %(id)s
"""


def municipality(cur, jurisdiction: str) -> dict | None:
    """One municipality's names, ``extent`` (CRS84 [minlon, minlat, maxlon, maxlat] of its
    boundary) and ``centre`` ([lat, lon], Leaflet's order); None if the database has no such."""
    cur.execute(MUNICIPALITY_SQL, {"id": jurisdiction})
    row = cur.fetchone()
    if row is None:
        return None
    return {"id": row[0], "name_el": row[1], "name_en": row[2], "extent": list(row[3:7]),
            "centre": list(row[7:9])}
