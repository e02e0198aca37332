"""Points of service: WiFi access points, refuge areas, bus stops and traffic cameras."""
from __future__ import annotations

import math
from collections import Counter
from datetime import timedelta

import geopandas as gpd
import numpy as np
from shapely.geometry import Point

from data.demo.common import DEMO_NOW, SRID, Land, layer_frame

# sized for Rethymno: other municipalities scale them by population
AP_COUNT = 110
MONTHLY_USERS = 40_000
CAMERA_COUNT = 12
SMART_STOPS = 12
MAJOR_ROADS = ("primary", "secondary", "tertiary")


def _near(point: Point, land: Land, rng: np.random.Generator, spread: float) -> Point:
    """A point within ``spread`` metres of ``point``, on land."""
    for _ in range(100):
        a, r = rng.uniform(0, 2 * math.pi), rng.uniform(0, spread)
        candidate = Point(point.x + r * math.cos(a), point.y + r * math.sin(a))
        if land.covers(candidate):
            return candidate
    return point


def build_wifi(osm_wifi: gpd.GeoDataFrame, roads: gpd.GeoDataFrame,
               settlements: gpd.GeoDataFrame, land: Land, town_name: str,
               rng: np.random.Generator, count: int = AP_COUNT,
               monthly_users: int = MONTHLY_USERS) -> gpd.GeoDataFrame:
    """``count`` APs: the real WiFi places first, then village squares, then town streets."""
    places = []
    for row in osm_wifi.to_crs(SRID).itertuples():
        if land.covers(row.geometry):
            places.append((row.geometry, row.name if isinstance(row.name, str) else None))
    villages = settlements[settlements["name"] != town_name].sort_values(
        ["population_2021", "settlement_code"], ascending=[False, True])
    for row in villages.head(30).itertuples():
        places.append((_near(row.geometry.representative_point(), land, rng, 40),
                       f"Πλατεία {row.name}"))
    streets = roads[roads["osm_id"].notna() & roads["name"].notna()].reset_index(drop=True)
    while len(places) < count:
        street = streets.iloc[int(rng.integers(0, len(streets)))]
        point = _near(street.geometry.interpolate(0.5, normalized=True), land, rng, 10)
        places.append((point, f"Οδός {street['name']}"))
    users = rng.dirichlet(np.full(count, 2.0)) * monthly_users
    records = []
    for n, ((point, name), monthly) in enumerate(zip(places[:count], users), 1):
        status = str(rng.choice(["up", "down", "unknown"], p=[0.92, 0.06, 0.02]))
        records.append({
            "ap_id": f"AP-{n:03d}", "name": name or f"Δημοτικό WiFi {n}", "status": status,
            "clients_now": int(rng.integers(0, 45)) if status == "up" else 0,
            "monthly_users": int(monthly),
            "status_since": DEMO_NOW - timedelta(hours=float(rng.uniform(0.1, 72))),
            "geometry": point})
    return layer_frame("wifi_access_points", records)


def build_refuge_areas(osm_open_spaces: gpd.GeoDataFrame, settlements: gpd.GeoDataFrame,
                       districts: gpd.GeoDataFrame, land: Land, town_name: str,
                       rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Open spaces and school yards of the town, and a square in every larger village."""
    kinds = {"park": "open_space", "square": "open_space", "playground": "open_space",
             "pitch": "sports_ground", "stadium": "sports_ground", "school": "school_yard"}
    candidates = []
    for row in osm_open_spaces.to_crs(SRID).itertuples():
        point = row.geometry.representative_point()
        if land.covers(point) and row.geometry.area > 300:
            capacity = int(row.geometry.area / 2)  # 2 m² per person (civil protection norm)
            candidates.append((point, row.name if isinstance(row.name, str) else None,
                               kinds[row.kind], capacity))
    for row in settlements[settlements["population_2021"] >= 150].itertuples():
        if row.name == town_name:
            continue
        candidates.append((_near(row.geometry.representative_point(), land, rng, 150),
                           f"Χώρος καταφυγής {row.name}", "open_space",
                           int(rng.integers(150, 800))))
    records = []
    for n, (point, name, kind, capacity) in enumerate(candidates, 1):
        district = districts[districts.geometry.intersects(point)]
        records.append({"refuge_id": f"RF-{n:03d}", "name": name or f"Χώρος καταφυγής {n}",
                        "area_type": kind, "capacity_persons": capacity,
                        "district_code": district.iloc[0]["district_code"] if len(district)
                        else None, "geometry": point})
    return layer_frame("refuge_areas", records)


def build_bus_stops(osm_stops: gpd.GeoDataFrame, land: Land,
                    smart: int = SMART_STOPS) -> tuple[gpd.GeoDataFrame, int]:
    """The real town stops (``smart`` of them with arrival displays); and how many dropped."""
    stops = osm_stops.to_crs(SRID)
    records = []
    for row in stops.sort_values("osm_id").itertuples():
        if land.covers(row.geometry):
            records.append({"stop_id": f"osm:node/{row.osm_id}", "osm_id": int(row.osm_id),
                            "name": row.name if isinstance(row.name, str) else None,
                            "smart": len(records) < smart, "geometry": row.geometry})
    return layer_frame("bus_stops", records), len(stops) - len(records)


def build_cameras(roads: gpd.GeoDataFrame, rng: np.random.Generator,
                  count: int = CAMERA_COUNT) -> gpd.GeoDataFrame:
    """Thermal cameras at the town's busiest junctions (most major streets meeting)."""
    major = roads[roads["osm_id"].notna() & roads["road_class"].isin(MAJOR_ROADS)]
    degree: Counter = Counter()
    names: dict = {}
    for row in major.itertuples():
        for coord in (row.geometry.coords[0], row.geometry.coords[-1]):
            key = (round(coord[0], 2), round(coord[1], 2))
            degree[key] += 1
            if isinstance(row.name, str):
                names.setdefault(key, set()).add(row.name)
    junctions = sorted(degree, key=lambda k: (-degree[k], -len(names.get(k, ())), k))
    records = []
    for key in junctions:
        if any(Point(key).distance(r["geometry"]) < 120 for r in records):
            continue  # spread them over the town
        label = " / ".join(sorted(names.get(key, {"Κόμβος"})))
        records.append({"camera_id": f"TC-{len(records) + 1:02d}", "name": label,
                        "camera_type": "thermal",
                        "direction_deg": float(rng.choice([0, 90, 180, 270])),
                        "geometry": Point(key)})
        if len(records) == count:
            break
    return layer_frame("traffic_cameras", records)
