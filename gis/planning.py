"""The planners' headline query: what applies at a place (or parcel) on a date, in one call.

Places and parcels are in the storage CRS (EPSG:2100): areas are square metres, distances
metres. A parcel's zones come with the share of the parcel each covers, small overlaps
included, so a planner sees a sliver of another zone rather than a silent rounding.
"""
from __future__ import annotations

from datetime import date

import shapely
from shapely.geometry.base import BaseGeometry

from gis.errors import InvalidParameter

MAX_RADIUS_M = 2000.0
MAX_PERMITS = 200
MAX_PARCEL_AREA_M2 = 5_000_000  # 5 km²: a parcel, not a municipality

ZONES_SQL = """
SELECT z.zone_id, z.zone_code, z.land_use, z.building_coefficient, z.coverage_pct,
       z.max_height_m, z.max_floors, z.min_plot_area_m2, z.min_frontage_m,
       z.valid_from, z.valid_to,
       CASE WHEN ST_Dimension(q.geom) = 0 THEN 1.0
            ELSE ST_Area(ST_Intersection(z.geom, q.geom)) / ST_Area(q.geom) END AS share,
       p.plan_id, p.plan_type, p.title, p.fek, p.approval_date,
       p.valid_from AS plan_valid_from, p.valid_to AS plan_valid_to
FROM zoning AS z
CROSS JOIN (SELECT ST_GeomFromWKB(%(geom)s, 2100) AS geom) AS q
LEFT JOIN plans AS p ON p.plan_id = z.plan_id AND p.jurisdiction_id = z.jurisdiction_id
WHERE ST_Intersects(z.geom, q.geom)
  AND z.valid_from <= %(date)s AND (z.valid_to IS NULL OR z.valid_to > %(date)s)
ORDER BY share DESC, z.zone_id
"""

SETTLEMENT_SQL = """
SELECT s.settlement_code, s.name, s.category, s.fek, s.population_2021
FROM settlements AS s
WHERE ST_Intersects(s.geom, ST_GeomFromWKB(%(geom)s, 2100))
ORDER BY s.settlement_code
"""

DISTRICT_SQL = """
SELECT d.jurisdiction_id, d.district_code, d.name, d.municipal_unit_name
FROM districts AS d WHERE ST_Intersects(d.geom, ST_PointOnSurface(ST_GeomFromWKB(%(geom)s, 2100)))
LIMIT 1
"""

PERMITS_SQL = """
SELECT b.permit_number, b.issue_date, b.permit_type, b.status, b.kaek, b.address,
       b.built_area_m2, b.floors, ST_Distance(b.geom, q.geom) AS distance_m
FROM building_permits AS b
CROSS JOIN (SELECT ST_GeomFromWKB(%(geom)s, 2100) AS geom) AS q
WHERE ST_DWithin(b.geom, q.geom, %(radius)s) AND b.issue_date <= %(date)s
ORDER BY b.geom <-> ST_GeomFromWKB(%(geom)s, 2100), b.issue_date DESC, b.permit_number  -- KNN
LIMIT %(limit)s
"""


def _rows(cur, query: str, params: dict) -> list[dict]:
    cur.execute(query, params)
    names = [d.name for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def check_place(geometry: BaseGeometry) -> None:
    """InvalidParameter unless ``geometry`` is a valid point or polygon of parcel size."""
    if geometry.geom_type not in ("Point", "Polygon", "MultiPolygon"):
        raise InvalidParameter(f"location/parcel: a Point or Polygon, not {geometry.geom_type}")
    if not geometry.is_valid:
        raise InvalidParameter(f"parcel: invalid polygon ({shapely.is_valid_reason(geometry)})")
    if geometry.area > MAX_PARCEL_AREA_M2:
        raise InvalidParameter(f"parcel: {geometry.area / 1e6:.1f} km² is larger than "
                               f"{MAX_PARCEL_AREA_M2 / 1e6:.0f} km²")


def planning_report(cur, place: BaseGeometry, on: date, radius_m: float) -> dict:
    """Zones and terms in force at ``place`` on ``on``, settlement, district, nearby permits."""
    check_place(place)
    if not 0 <= radius_m <= MAX_RADIUS_M:
        raise InvalidParameter(f"radius: {radius_m} m outside 0–{MAX_RADIUS_M:.0f} m")
    params = {"geom": shapely.to_wkb(place), "date": on, "radius": float(radius_m),
              "limit": MAX_PERMITS}
    zones = _rows(cur, ZONES_SQL, params)
    for zone in zones:
        zone["share"] = round(float(zone["share"]), 4)
    settlements = _rows(cur, SETTLEMENT_SQL, params)
    district = _rows(cur, DISTRICT_SQL, params)
    permits = _rows(cur, PERMITS_SQL, params)
    for permit in permits:
        permit["distance_m"] = round(float(permit["distance_m"]), 1)
    return {
        "date": on.isoformat(),
        "area_m2": round(place.area, 1) if place.area else None,
        "district": district[0] if district else None,
        "inside_settlement": bool(settlements),
        "settlements": settlements,
        "zones": zones,
        "permits_radius_m": radius_m,
        "permits": permits,
    }
