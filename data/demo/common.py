"""Shared pieces of the demo generator: the reference time, land clipping, frame building."""
from __future__ import annotations

from datetime import datetime, timezone

import geopandas as gpd
import shapely
from shapely.geometry import MultiPolygon, Polygon

import layers
from importers.boundaries import polygonal

SRID = layers.STORAGE_SRID
#: "Now" of the demo: every date is fixed relative to it, so builds are identical.
DEMO_NOW = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
#: Clip to the land polygon shrunk by this much (metres) so that clipped geometries stay
#: covered by it despite floating-point intersections.
LAND_MARGIN_M = 0.05
MIN_AREA_M2 = 1.0


class Land:
    """The municipality's land area and a slightly shrunk copy to clip against."""

    def __init__(self, boundary: MultiPolygon):
        self.boundary = boundary
        self.inner = polygonal(boundary.buffer(-LAND_MARGIN_M))
        shapely.prepare(self.inner)

    def covers(self, geometry) -> bool:
        return self.inner.covers(geometry)

    def clip_polygon(self, geometry) -> MultiPolygon:
        """The part of ``geometry`` on land, without slivers."""
        clipped = polygonal(geometry.intersection(self.inner))
        return MultiPolygon([p for p in clipped.geoms if p.area >= MIN_AREA_M2])


def as_multipolygon(geometry) -> MultiPolygon:
    if isinstance(geometry, Polygon):
        return MultiPolygon([geometry])
    return polygonal(geometry)


def layer_frame(layer_id: str, records: list[dict]) -> gpd.GeoDataFrame:
    """A GeoDataFrame with exactly the layer's fields (missing ones null) and ``geometry``."""
    names = [f.name for f in layers.get(layer_id).fields]
    rows = [{name: record.get(name) for name in names} | {"geometry": record["geometry"]}
            for record in records]
    frame = gpd.GeoDataFrame(rows, columns=[*names, "geometry"], geometry="geometry", crs=SRID)
    for f in layers.get(layer_id).fields:
        if f.type in ("integer", "bigint"):
            frame[f.name] = frame[f.name].astype("Int64")
    return frame
