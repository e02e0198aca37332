"""Municipal boundaries (Kallikratis, geodata.gov.gr) as land polygons in the storage CRS."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import shapely
from shapely.geometry import MultiPolygon

from layers.model import STORAGE_SRID


def polygonal(geometry) -> MultiPolygon:
    """The polygonal part of a geometry, made valid, as a MultiPolygon (maybe empty)."""
    geometry = shapely.make_valid(geometry)
    parts = [g for g in getattr(geometry, "geoms", [geometry]) if g.geom_type in
             ("Polygon", "MultiPolygon")]
    polygons = [p for g in parts for p in getattr(g, "geoms", [g])]
    return MultiPolygon(polygons)


def read_municipality(path: str | Path, ypes_code: str) -> tuple[str, MultiPolygon]:
    """Name and land polygon (EPSG:2100) of the municipality with ministry code ``ypes_code``."""
    frame = gpd.read_file(path, engine="pyogrio")
    match = frame[frame["KWD_YPES"].astype(str) == str(ypes_code)]
    if match.empty:
        raise ValueError(f"{path}: no municipality with KWD_YPES {ypes_code}")
    projected = match.to_crs(STORAGE_SRID)
    return str(match.iloc[0]["NAME"]), polygonal(projected.geometry.union_all())
