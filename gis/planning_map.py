"""The shapes a planning certificate's map extract draws: zones in force, permits, and the
municipality holding the place, within a fixed extent of the storage CRS (EPSG:2100, metres).

Only shapes come from here; what applies at the place (terms, shares, ΦΕΚ, permits listed) is
gis.planning.planning_report's answer, so a certificate never states a fact twice.
Paths are PostGIS's ST_AsSVG (absolute, y negated: SVG's y grows downwards), clipped to the
extent so a large zone costs only the part that shows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import shapely
from shapely.geometry.base import BaseGeometry

#: decimals of the SVG coordinates: 0.1 m, far below a printed line's width at 1:2,000
SVG_DECIMALS = 1

ZONE_SHAPES_SQL = """
SELECT z.zone_id, z.zone_code, z.land_use,
       ST_AsSVG(ST_Intersection(z.geom, e.geom), 0, %(decimals)s) AS path,
       ST_X(ST_PointOnSurface(ST_Intersection(z.geom, e.geom))) AS label_x,
       ST_Y(ST_PointOnSurface(ST_Intersection(z.geom, e.geom))) AS label_y
FROM zoning AS z
CROSS JOIN (SELECT ST_MakeEnvelope(%(minx)s, %(miny)s, %(maxx)s, %(maxy)s, 2100) AS geom) AS e
WHERE z.geom && e.geom AND ST_Intersects(z.geom, e.geom)
  AND z.valid_from <= %(date)s AND (z.valid_to IS NULL OR z.valid_to > %(date)s)
ORDER BY z.zone_id
"""

PERMIT_SHAPES_SQL = """
SELECT b.permit_number, ST_X(ST_PointOnSurface(b.geom)) AS x, ST_Y(ST_PointOnSurface(b.geom)) AS y
FROM building_permits AS b
WHERE b.geom && ST_MakeEnvelope(%(minx)s, %(miny)s, %(maxx)s, %(maxy)s, 2100)
  AND b.issue_date <= %(date)s
ORDER BY b.permit_number
LIMIT %(limit)s
"""

MUNICIPALITY_AT_SQL = """
SELECT j.id, j.name_el, j.name_en FROM jurisdictions AS j
WHERE ST_Intersects(j.boundary, ST_PointOnSurface(ST_GeomFromWKB(%(geom)s, 2100)))
ORDER BY j.id LIMIT 1
"""

#: permits drawn at most (the extract is a few hundred metres: the demo's densest holds ~60)
MAX_PERMIT_MARKS = 500


@dataclass(frozen=True)
class Extent:
    """A rectangle of the storage CRS (EPSG:2100), metres."""

    minx: float
    miny: float
    maxx: float
    maxy: float

    @property
    def width(self) -> float:
        return self.maxx - self.minx

    @property
    def height(self) -> float:
        return self.maxy - self.miny


def extent_around(place: BaseGeometry, aspect: float, min_width_m: float) -> Extent:
    """A ``aspect`` (width/height) rectangle centred on ``place``, at least ``min_width_m``
    wide and a quarter larger than the place each way, so neighbouring zones show."""
    minx, miny, maxx, maxy = place.bounds
    width = max(min_width_m, (maxx - minx) * 1.5, (maxy - miny) * 1.5 * aspect)
    height = width / aspect
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    return Extent(cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2)


def _rows(cur, query: str, params: dict) -> list[dict]:
    cur.execute(query, params)
    names = [d.name for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def map_shapes(cur, extent: Extent, on: date) -> dict:
    """Zones in force on ``on`` and permits issued by then inside ``extent``: zone SVG paths
    with a label point, permit points (EPSG:2100)."""
    params = {"minx": extent.minx, "miny": extent.miny, "maxx": extent.maxx,
              "maxy": extent.maxy, "date": on, "decimals": SVG_DECIMALS,
              "limit": MAX_PERMIT_MARKS}
    zones = [z for z in _rows(cur, ZONE_SHAPES_SQL, params) if z["path"]]
    return {"zones": zones, "permits": _rows(cur, PERMIT_SHAPES_SQL, params)}


def municipality_at(cur, place: BaseGeometry) -> dict | None:
    """The municipality (id, name_el, name_en) whose land holds ``place``, or None."""
    found = _rows(cur, MUNICIPALITY_AT_SQL, {"geom": shapely.to_wkb(place)})
    return found[0] if found else None
