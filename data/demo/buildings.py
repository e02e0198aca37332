"""Buildings: the town's real OSM footprints and synthesised houses in the villages."""
from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import Point, Polygon

from data.demo.common import SRID, Land, as_multipolygon, layer_frame


def _house(centre: Point, rng: np.random.Generator) -> Polygon:
    """A rectangle of 7–14 × 6–11 m at a random angle: a village house."""
    w, h = rng.uniform(7, 14), rng.uniform(6, 11)
    angle = rng.uniform(0, math.pi)
    c, s = math.cos(angle), math.sin(angle)
    corners = [(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)]
    return Polygon([(centre.x + x * c - y * s, centre.y + x * s + y * c) for x, y in corners])


def village_houses(settlements: gpd.GeoDataFrame, land: Land,
                   rng: np.random.Generator) -> list[dict]:
    """Houses inside each village's boundary, about one per three residents (5 to 80)."""
    records = []
    for row in settlements[settlements["category"] != "town_plan"].itertuples():
        area = row.geometry
        count = int(np.clip((row.population_2021 or 0) / 3, 5, 80))
        placed: list[Polygon] = []
        minx, miny, maxx, maxy = area.bounds
        centre = area.representative_point()
        for _ in range(count * 6):
            if len(placed) == count:
                break
            # houses cluster around the village centre
            r = abs(rng.normal(0, (maxx - minx) / 5))
            a = rng.uniform(0, 2 * math.pi)
            house = _house(Point(centre.x + r * math.cos(a), centre.y + r * math.sin(a)), rng)
            if area.contains(house) and land.covers(house) and \
                    not any(house.distance(p) < 3 for p in placed):
                placed.append(house)
        for n, house in enumerate(placed):
            records.append({"building_id": f"syn:{row.settlement_code}:{n + 1:03d}",
                            "building_type": "house", "levels": int(rng.choice([1, 1, 2, 2, 3])),
                            "geometry": as_multipolygon(house)})
    return records


def build_buildings(osm_buildings: gpd.GeoDataFrame, settlements: gpd.GeoDataFrame, land: Land,
                    rng: np.random.Generator) -> tuple[gpd.GeoDataFrame, int]:
    """All buildings and how many OSM footprints were dropped (off the land polygon)."""
    projected = osm_buildings.to_crs(SRID)
    records = []
    for row in projected.itertuples():
        geometry = as_multipolygon(shapely.make_valid(row.geometry))
        if geometry.is_empty or not land.covers(geometry):
            continue
        address = " ".join(v for v in (row.street, row.housenumber) if isinstance(v, str)) or None
        records.append({
            "building_id": f"osm:{row.kind}/{row.osm_id}", "osm_id": int(row.osm_id),
            "building_type": row.building,
            "levels": None if row.levels is None or row.levels is np.nan or
            str(row.levels) == "<NA>" else int(row.levels),
            "name": row.name if isinstance(row.name, str) else None,
            "address": address, "geometry": geometry})
    dropped = len(projected) - len(records)
    return layer_frame("buildings", records + village_houses(settlements, land, rng)), dropped
