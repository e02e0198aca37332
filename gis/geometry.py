"""Geometries moved between CRSs by PostGIS, so inputs are reprojected exactly as the stored
features are (same PROJ pipeline, same EPSG:2100 transformation)."""
from __future__ import annotations

import shapely
from shapely.geometry.base import BaseGeometry

TRANSFORM_SQL = "SELECT ST_AsBinary(ST_Transform(ST_GeomFromWKB(%s, %s), %s))"


def transformed(cur, geometry: BaseGeometry, from_srid: int, to_srid: int) -> BaseGeometry:
    cur.execute(TRANSFORM_SQL, (shapely.to_wkb(geometry), from_srid, to_srid))
    return shapely.from_wkb(bytes(cur.fetchone()[0]))
