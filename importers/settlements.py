"""ELSTAT settlements (οικισμοί) with their codes, names, communities and 2021 population."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from layers.model import STORAGE_SRID

COLUMNS = ["settlement_code", "name", "municipal_unit_code", "municipal_unit_name",
           "community_code", "community_name", "community_pop_2021"]


def read_settlements(path: str | Path) -> gpd.GeoDataFrame:
    """Settlement points in EPSG:2100, from their Greek Grid coordinates (egsa87_x/y).

    The file also carries uncorrected WGS84 coordinates (no datum shift, ~300 m off): never
    used here.
    """
    frame = gpd.read_file(path, engine="pyogrio")
    points = gpd.points_from_xy(frame["egsa87_x"], frame["egsa87_y"], crs=STORAGE_SRID)
    return gpd.GeoDataFrame(frame[COLUMNS].copy(), geometry=points, crs=STORAGE_SRID)
