"""The CRS of an imported file: read from it, or given with --crs; never guessed.

Reprojection to the storage CRS goes through pyproj's best available transformation: for
EPSG:4326 → EPSG:2100 that is the GGRS87 → WGS 84 Helmert shift (EPSG:1272, about 1 m), not a
datum-less conversion (which puts Rethymno ~300 m off).
"""
from __future__ import annotations

import geopandas as gpd
from pyproj import CRS
from pyproj.exceptions import CRSError

from gis.errors import ImportRefused
from layers.model import STORAGE_SRID


def parse_crs(text: str) -> CRS:
    """A CRS from 'EPSG:2100', '2100' or a WKT/PROJ string; ImportRefused if unknown."""
    try:
        return CRS.from_user_input(int(text) if text.strip().isdigit() else text)
    except CRSError:
        raise ImportRefused(f"--crs {text!r}: not a CRS pyproj knows (e.g. EPSG:2100, EPSG:4326)") from None


def resolve_crs(file_name: str, in_file: CRS | None, given: str | None) -> CRS:
    """The file's CRS: ``--crs`` when given (it overrides a wrong .prj), else the file's own."""
    if given:
        return parse_crs(given)
    if in_file is None:
        raise ImportRefused(
            f"no CRS in {file_name}: pass --crs EPSG:2100 if the coordinates are in Greek Grid / "
            "GGRS87 (metres), --crs EPSG:4326 if they are longitude/latitude")
    return in_file


def describe(crs: CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.name


def to_storage(frame: gpd.GeoDataFrame, crs: CRS) -> gpd.GeoDataFrame:
    """``frame`` (coordinates in ``crs``) in the storage CRS, EPSG:2100."""
    frame = frame.set_crs(crs, allow_override=True)
    if crs.to_epsg() == STORAGE_SRID:
        return frame
    return frame.to_crs(STORAGE_SRID)
