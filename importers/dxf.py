"""DXF drawings (CAD, usually EPSG:2100) as features: closed polylines become polygons.

Each entity of the model space gives one feature with its CAD layer name (``layer``), its
handle (``handle``: stable within the drawing, a usable key) and, for texts, the ``text``.
Z is dropped: the layers are 2D.
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
from shapely.geometry import LineString, Point, Polygon

from gis.errors import ImportRefused


def _geometry(entity):
    kind = entity.dxftype()
    if kind == "LWPOLYLINE":
        points = [(x, y) for x, y, *_ in entity.get_points("xy")]
        return _polyline(points, entity.closed)
    if kind == "POLYLINE":
        points = [(v.dxf.location.x, v.dxf.location.y) for v in entity.vertices]
        return _polyline(points, entity.is_closed)
    if kind == "LINE":
        return LineString([(entity.dxf.start.x, entity.dxf.start.y),
                           (entity.dxf.end.x, entity.dxf.end.y)])
    if kind in ("POINT",):
        return Point(entity.dxf.location.x, entity.dxf.location.y)
    if kind in ("INSERT", "TEXT", "MTEXT"):
        return Point(entity.dxf.insert.x, entity.dxf.insert.y)
    return None  # arcs, hatches, dimensions: drawing furniture, not features


def _polyline(points, closed: bool):
    if closed or (len(points) > 3 and points[0] == points[-1]):
        return Polygon(points) if len(points) >= 3 else None
    return LineString(points) if len(points) >= 2 else None


def read_dxf(path: Path) -> gpd.GeoDataFrame:
    """The model space's features (no CRS: a DXF carries none) with layer, handle and text."""
    import ezdxf

    try:
        document = ezdxf.readfile(path)
    except (OSError, ezdxf.DXFError) as exc:
        raise ImportRefused(f"{path.name}: not a readable DXF drawing ({exc})") from None
    rows, geometries = [], []
    for entity in document.modelspace():
        geometry = _geometry(entity)
        if geometry is None:
            continue
        text = entity.dxf.text if entity.dxftype() == "TEXT" else (
            entity.text if entity.dxftype() == "MTEXT" else None)
        rows.append({"layer": entity.dxf.layer, "handle": entity.dxf.handle, "text": text})
        geometries.append(geometry)
    if not rows:
        raise ImportRefused(f"{path.name}: no polylines, lines, points or texts in the model space")
    return gpd.GeoDataFrame(rows, geometry=geometries, crs=None)
