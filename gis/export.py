"""Exports of a selection in the planners' CRS (EPSG:2100): GeoPackage or DXF for CAD."""
from __future__ import annotations

import tempfile
from pathlib import Path

import geopandas as gpd

from gis.errors import InvalidParameter
from gis.features import FeatureQuery, query_features
from layers.model import Layer

MAX_FEATURES = 50_000
FORMATS = {"gpkg": ("GPKG", "application/geopackage+sqlite3"),
           "dxf": ("DXF", "image/vnd.dxf")}


def export_selection(cur, layer: Layer, cql, fmt: str) -> tuple[bytes, str, str]:
    """(file bytes, media type, file name) of ``layer``'s features matching ``cql``."""
    if fmt not in FORMATS:
        raise InvalidParameter(f"format: one of {', '.join(FORMATS)}")
    features, _ = query_features(cur, FeatureQuery(layer=layer, limit=MAX_FEATURES + 1, cql=cql,
                                                   out_srid=layer.srid))
    if len(features) > MAX_FEATURES:
        raise InvalidParameter(f"the selection holds more than {MAX_FEATURES} features; "
                               "narrow it")
    frame = gpd.GeoDataFrame.from_features(features, crs=f"EPSG:{layer.srid}")
    if frame.empty:
        raise InvalidParameter("the selection is empty: nothing to export")
    driver, media_type = FORMATS[fmt]
    if driver == "DXF":  # CAD takes geometry and a layer name, not attribute columns
        frame = gpd.GeoDataFrame({"Layer": [layer.id] * len(frame)}, geometry=frame.geometry,
                                 crs=frame.crs)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{layer.id}.{fmt}"
        frame.to_file(path, driver=driver, engine="pyogrio")
        return path.read_bytes(), media_type, path.name
