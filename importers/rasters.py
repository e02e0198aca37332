"""Georeferenced scans of plans: a GeoTIFF, or an image with a world file (.tfw/.jgw/.pgw/.wld)
and --crs, becomes a Cloud Optimized GeoTIFF stored, with its footprint, in
``scanned_plans`` with the plan it belongs to.

The scan keeps its own CRS and pixels (no resampling of a legal document); the footprint is
reprojected to EPSG:2100, and tiles are reprojected on the fly (rio-tiler) when served.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Polygon

from gis.errors import ImportRefused
from importers.crs import describe, parse_crs
from layers.model import STORAGE_SRID

RASTER_SUFFIXES = (".tif", ".tiff", ".jpg", ".jpeg", ".png")
WORLD_FILES = {".tif": (".tfw", ".tifw"), ".tiff": (".tfw", ".tiffw"), ".jpg": (".jgw", ".jpgw"),
               ".jpeg": (".jgw", ".jpegw"), ".png": (".pgw", ".pngw")}
COG_OPTIONS = {"COMPRESS": "DEFLATE", "BLOCKSIZE": 512, "OVERVIEWS": "AUTO", "BIGTIFF": "IF_SAFER"}


@dataclass
class Scan:
    """A scan made into a COG: where it is and what it covers."""

    cog: Path
    source_crs: str
    width: int
    height: int
    resolution_m: float
    footprint: MultiPolygon  # EPSG:2100


def is_raster(path: Path) -> bool:
    return path.suffix.lower() in RASTER_SUFFIXES


def _has_world_file(path: Path) -> bool:
    names = {p.name.lower() for p in path.parent.iterdir()}
    return any(path.stem.lower() + s in names for s in (*WORLD_FILES.get(path.suffix.lower(), ()), ".wld"))


def make_cog(path: Path, crs_text: str | None, work_dir: Path) -> Scan:
    """Write ``path`` as a COG, a temporary file in ``work_dir`` (the caller stores and deletes
    it); the Scan."""
    import rasterio
    import rasterio.shutil
    from rasterio.errors import RasterioIOError

    try:
        source = rasterio.open(path)
    except RasterioIOError as exc:
        raise ImportRefused(f"{path.name}: not a readable image ({exc})") from None
    with source:
        if source.transform.is_identity and not source.gcps[0]:
            where = "a world file (" + "/".join(WORLD_FILES.get(path.suffix.lower(), (".wld",))) + ")"
            raise ImportRefused(f"{path.name}: not georeferenced: give it {where} beside it, or "
                                "georeference it as a GeoTIFF")
        if crs_text:
            crs = parse_crs(crs_text)
        elif source.crs is not None:
            crs = parse_crs(source.crs.to_wkt())
        else:
            hint = " (it has a world file, which carries no CRS)" if _has_world_file(path) else ""
            raise ImportRefused(f"no CRS in {path.name}{hint}: pass --crs EPSG:2100 if it is drawn in "
                                "Greek Grid / GGRS87")
        work_dir.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkstemp(suffix=".tif", dir=work_dir)[1])
        profile = {"driver": "COG", "crs": crs.to_wkt(), **COG_OPTIONS}
        try:
            if source.crs is None or crs_text:
                # the CRS comes from --crs: a GeoTIFF in memory with it, then the COG
                staged = Path(tempfile.mkstemp(suffix=".tif", dir=work_dir)[1])
                meta = {**source.profile, "driver": "GTiff", "crs": crs.to_wkt(),
                        "transform": source.transform}
                meta.pop("blockxsize", None), meta.pop("blockysize", None), meta.pop("tiled", None)
                with rasterio.open(staged, "w", **meta) as out:
                    out.write(source.read())
                rasterio.shutil.copy(staged, partial, **profile)
                staged.unlink()
            else:
                rasterio.shutil.copy(source, partial, **profile)
        except Exception:
            partial.unlink(missing_ok=True)
            raise
        left, bottom, right, top = source.bounds
        width, height = source.width, source.height
        resolution = abs(source.transform.a)
    outline = Polygon([(left, bottom), (right, bottom), (right, top), (left, top)]).segmentize(
        max(right - left, top - bottom) / 16)  # densified: edges curve when reprojected
    if crs.to_epsg() != STORAGE_SRID:
        to_2100 = Transformer.from_crs(crs, STORAGE_SRID, always_xy=True)
        outline = shapely.transform(outline, lambda xy: np.column_stack(
            to_2100.transform(xy[:, 0], xy[:, 1])))
        # the pixel size in metres, from the reprojected footprint's width
        resolution = (outline.bounds[2] - outline.bounds[0]) / width
    return Scan(partial, describe(crs), width, height, float(resolution), MultiPolygon([outline]))
