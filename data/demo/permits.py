"""Building permits 1985–2026 on real and synthesised buildings, at ELSTAT's volumes.

ELSTAT's building activity tables (table 26) give, for the community of Rethymno in 2018,
21 new buildings (22,054 m²) and 18 additions. The municipality's villages add about as many
again, and the years before the 2009 crisis were roughly three times busier. So: ~110 permits
a year to 2008, ~40 in 2009–2016, ~70 since, of every type (new, addition, renovation,
legalisation, demolition) — about 3,500 in all.
"""
from __future__ import annotations

from datetime import date, timedelta

import geopandas as gpd
import numpy as np
import shapely

from data.demo.common import DEMO_NOW, layer_frame

TYPES = ("new_building", "addition", "renovation", "legalisation", "demolition")
TYPE_WEIGHTS = (0.42, 0.33, 0.12, 0.10, 0.03)
TOWN_SHARE = 0.6


def permits_per_year(year: int, scale: float = 1.0) -> int:
    """Rethymno's permits in ``year``, times ``scale`` (another municipality's population)."""
    if year <= 2008:
        return round(110 * scale)
    if year <= 2016:
        return round(40 * scale)
    return round(70 * scale)


def _kaek(prefecture: str, rng: np.random.Generator) -> str:
    # ΚΑΕΚ: 2 digits prefecture (Rethymno 49), 3 municipality, 2 sector, 3 block, 2 parcel
    return f"{prefecture}{int(rng.integers(100, 140)):03d}{int(rng.integers(0, 99)):02d}" \
           f"{int(rng.integers(1, 999)):03d}{int(rng.integers(1, 99)):02d}"


def build_permits(buildings: gpd.GeoDataFrame, roads: gpd.GeoDataFrame,
                  rng: np.random.Generator, scale: float = 1.0,
                  kaek_prefecture: str = "49") -> gpd.GeoDataFrame:
    """Permits: town ones on OSM footprints (polygon), village ones on house points."""
    town = buildings[buildings["building_id"].str.startswith("osm:")].reset_index(drop=True)
    villages = buildings[buildings["building_id"].str.startswith("syn:")].reset_index(drop=True)
    named_roads = roads[roads["name"].notna() & roads["osm_id"].notna()]
    street_tree = shapely.STRtree(list(named_roads.geometry))
    street_names = list(named_roads["name"])
    records = []
    for year in range(1985, DEMO_NOW.year + 1):
        last_day = DEMO_NOW.date() if year == DEMO_NOW.year else date(year, 12, 31)
        for number in range(1, permits_per_year(year, scale) + 1):
            issued = date(year, 1, 2) + timedelta(days=int(rng.integers(0, (last_day - date(
                year, 1, 2)).days + 1)))
            permit_type = str(rng.choice(TYPES, p=TYPE_WEIGHTS))
            in_town = rng.random() < TOWN_SHARE
            source = town if in_town else villages
            building = source.iloc[int(rng.integers(0, len(source)))]
            if in_town:  # stored as MultiPolygon: the permits' parcels collection has one type
                geometry = shapely.multipolygons([building.geometry]) \
                    if building.geometry.geom_type == "Polygon" else building.geometry
                nearest = street_tree.nearest(geometry.centroid)
                address = building["address"] or f"{street_names[nearest]} {int(rng.integers(1, 80))}"
                floors = int(building["levels"]) if not _missing(building["levels"]) else \
                    int(rng.integers(1, 5))
            else:
                geometry = building.geometry.centroid
                address = None
                floors = int(building["levels"])
            area = {"new_building": rng.uniform(80, 600), "addition": rng.uniform(20, 150),
                    "renovation": rng.uniform(40, 300), "legalisation": rng.uniform(10, 80),
                    "demolition": rng.uniform(50, 250)}[permit_type]
            age_years = (DEMO_NOW.date() - issued).days / 365.25
            status = ("issued" if age_years < 2 else
                      str(rng.choice(["completed", "expired", "revoked"], p=[0.9, 0.08, 0.02])))
            records.append({
                "permit_number": f"{number}/{year}", "issue_date": issued,
                "permit_type": permit_type, "status": status, "kaek": _kaek(kaek_prefecture, rng),
                "address": address, "built_area_m2": round(float(area), 1),
                "floors": 0 if permit_type == "demolition" else floors,
                # the demo has no scans: no link that would lead nowhere
                "document_urls": None,
                "geometry": geometry,
            })
    return layer_frame("building_permits", records)


def _missing(value) -> bool:
    return value is None or str(value) in ("<NA>", "nan", "None")
