"""Controlled parking: sensor bays along the real central streets, and the real car parks."""
from __future__ import annotations

import math
from datetime import timedelta

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import Point, Polygon
from shapely.ops import nearest_points

from data.demo.common import DEMO_NOW, SRID, Land, as_multipolygon, layer_frame

BAY_COUNT = 600  # Rethymno's; other municipalities scale it by population
BAY_LENGTH_M, BAY_WIDTH_M = 5.0, 2.5
KERB_OFFSET_M = 4.0  # from the street's centreline to the bay's centre
BAY_STREETS = ("primary", "secondary", "tertiary", "residential", "unclassified")
LOT_COUNT = 7
M2_PER_SPACE = 25.0


def _bay(p0, p1, side: int) -> Polygon:
    """A 2.5 × 5 m rectangle beside the street segment p0→p1, on the given side (±1)."""
    dx, dy = p1.x - p0.x, p1.y - p0.y
    length = math.hypot(dx, dy)
    ux, uy = dx / length, dy / length
    nx, ny = -uy * side, ux * side
    cx = (p0.x + p1.x) / 2 + nx * KERB_OFFSET_M
    cy = (p0.y + p1.y) / 2 + ny * KERB_OFFSET_M
    hl, hw = BAY_LENGTH_M / 2, BAY_WIDTH_M / 2
    return Polygon([(cx + sx * hl * ux + sw * hw * nx, cy + sx * hl * uy + sw * hw * ny)
                    for sx, sw in ((-1, -1), (1, -1), (1, 1), (-1, 1))])


def build_bays(roads: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, land: Land, centre: Point,
               rng: np.random.Generator, count: int = BAY_COUNT,
               prefix: str = "RB") -> gpd.GeoDataFrame:
    """``count`` bays beside named town streets, nearest the centre first, clear of buildings."""
    streets = roads[roads["osm_id"].notna() & roads["name"].notna()
                    & roads["road_class"].isin(BAY_STREETS)].copy()
    streets["distance"] = streets.geometry.distance(centre)
    streets = streets.sort_values(["distance", "road_id"])
    obstacles = shapely.STRtree(list(buildings.geometry) + list(roads.geometry))
    placed: list[Polygon] = []
    records = []
    for street in streets.itertuples():
        side = 1 if rng.random() < 0.5 else -1
        line = street.geometry
        position = 3.0
        while position + BAY_LENGTH_M + 3 < line.length and len(records) < count:
            bay = _bay(line.interpolate(position), line.interpolate(position + BAY_LENGTH_M), side)
            position += BAY_LENGTH_M + 0.5
            if not land.covers(bay) or not bay.is_valid:
                continue
            clear = all(not bay.intersects(obstacles.geometries[i])
                        for i in obstacles.query(bay))
            if clear and not any(bay.intersects(p) for p in placed
                                 if abs(p.centroid.x - bay.centroid.x) < 10):
                placed.append(bay)
                records.append(_bay_record(f"{prefix}-{len(records) + 1:04d}",
                                           len(records) + 1, bay, street.name,
                                           street.distance, rng))
        if len(records) == count:
            break
    return layer_frame("parking_bays", records)


def _bay_record(bay_id: str, n: int, bay: Polygon, street: str, distance: float,
                rng: np.random.Generator) -> dict:
    zone, tariff = ("A", 1.0) if distance < 400 else ("B", 0.7) if distance < 800 else ("C", 0.5)
    return {
        "bay_id": bay_id, "sensor_id": f"S-{n:04d}", "street": street,
        "parking_zone": zone, "tariff_eur_h": tariff,
        "bay_type": str(rng.choice(["regular", "disabled", "loading", "ev"],
                                   p=[0.85, 0.07, 0.05, 0.03])),
        "occupancy_state": str(rng.choice(["free", "occupied", "unknown", "closed"],
                                          p=[0.40, 0.55, 0.03, 0.02])),
        "state_since": DEMO_NOW - timedelta(minutes=float(rng.uniform(1, 240))),
        "geometry": bay,
    }


def build_lots(osm_parking: gpd.GeoDataFrame, land: Land, rng: np.random.Generator,
               count: int = LOT_COUNT) -> gpd.GeoDataFrame:
    """``count`` car parks: named public OSM car parks first, then the largest public ones."""
    lots = osm_parking.to_crs(SRID)
    lots = lots[lots["access"].fillna("yes") != "private"].copy()
    lots["geometry"] = [land.clip_polygon(g) for g in lots.geometry]
    lots = lots[~lots.geometry.is_empty]
    lots["area"] = lots.geometry.area
    lots["named"] = lots["name"].notna()
    lots = lots.sort_values(["named", "area"], ascending=False).head(count)
    records = []
    for n, lot in enumerate(lots.itertuples(), 1):
        capacity = int(lot.capacity) if str(lot.capacity) != "<NA>" else \
            max(10, int(lot.area / M2_PER_SPACE))
        records.append({
            "lot_id": f"CP-{n}", "name": lot.name if isinstance(lot.name, str) else
            f"Χώρος στάθμευσης {n}", "capacity": capacity,
            "free_spaces": int(rng.integers(0, capacity + 1)),
            "updated_at": DEMO_NOW - timedelta(minutes=float(rng.uniform(0, 10))),
            "osm_id": int(lot.osm_id), "geometry": as_multipolygon(lot.geometry),
        })
    if len(records) < count:
        raise RuntimeError(f"only {len(records)} public car parks on land in the OSM extract")
    return layer_frame("parking_lots", records)


ENTRANCE_SIGNS = 3
#: the town's entrance signs stand where its main roads cross a ring this far from the old town
ENTRANCE_RING_M = 1200.0
ENTRANCE_ROADS = ("trunk", "primary", "secondary", "tertiary")
NOT_DRIVABLE = ("pedestrian", "footway", "path", "steps", "cycleway", "bridleway", "corridor")


def build_signs(lots: gpd.GeoDataFrame, roads: gpd.GeoDataFrame, centre: Point,
                entrances: int = ENTRANCE_SIGNS) -> gpd.GeoDataFrame:
    """A free-space sign at each car park's entrance (the point of its edge nearest a drivable
    street) and ``entrances`` at the town's entrances: where its main roads cross a ring around
    the old town, as far apart from one another as they can be."""
    drivable = roads[~roads["road_class"].isin(NOT_DRIVABLE)].reset_index(drop=True)
    streets = shapely.STRtree(drivable.geometry.to_numpy())
    records = []
    for lot in lots.itertuples():
        street = drivable.geometry.iloc[int(streets.nearest(lot.geometry))]
        at, _ = nearest_points(lot.geometry.boundary, street)
        records.append({"sign_id": f"PS-{lot.lot_id}", "name": f"Είσοδος: {lot.name}",
                        "sign_type": "car_park", "lot_id": lot.lot_id, "geometry": at})
    ring = centre.buffer(ENTRANCE_RING_M).boundary
    crossings = []
    for road in roads[roads["road_class"].isin(ENTRANCE_ROADS)].itertuples():
        for point in shapely.get_parts(road.geometry.intersection(ring)):
            if isinstance(point, Point):
                crossings.append((ENTRANCE_ROADS.index(road.road_class), round(point.x, 1),
                                  round(point.y, 1), road.name if isinstance(road.name, str)
                                  else None))
    chosen = sorted(crossings)[:1]  # on the main road first, then the farthest from those chosen
    while len(chosen) < min(entrances, len(crossings)):
        chosen.append(max((c for c in crossings if c not in chosen), key=lambda c: (
            min(math.dist(c[1:3], o[1:3]) for o in chosen), -c[0], c[1:3])))
    for n, (_, x, y, street_name) in enumerate(chosen, 1):
        records.append({"sign_id": f"PS-E{n}", "name": "Είσοδος πόλης"
                        + (f": {street_name}" if street_name else f" {n}"),
                        "sign_type": "entrance", "geometry": Point(x, y)})
    return layer_frame("parking_signs", records)
