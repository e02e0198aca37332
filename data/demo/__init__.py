"""The Rethymno demo: real open data (data/sources) plus what no open source has, synthesised.

``build_rethymno()`` returns every catalogue layer as a GeoDataFrame in EPSG:2100; the same
seed gives the same data, feature for feature.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from data.demo.amenities import build_bus_stops, build_cameras, build_refuge_areas, build_wifi
from data.demo.buildings import build_buildings
from data.demo.common import SRID, Land
from data.demo.parking import build_bays, build_lots
from data.demo.permits import build_permits
from data.demo.places import build_districts, build_settlements
from data.demo.requests import SERVICES, build_requests
from data.demo.roads import build_roads
from data.demo.services import build_services
from data.demo.zoning import OLD_TOWN_CENTRE, build_plans_and_zoning
from importers import osm
from importers.boundaries import read_municipality
from importers.settlements import read_settlements

DEFAULT_SOURCES = Path(__file__).resolve().parent.parent / "sources"
#: the municipality the demo loads into
JURISDICTION_ID = "rethymno"
TOWN_MARGIN_M = 250  # the town's boundary: its mapped streets' hull and this much around

log = logging.getLogger(__name__)


@dataclass
class DemoData:
    """A municipality (``jurisdiction``: id, names, codes, boundary) and its layers."""

    jurisdiction: dict
    layers: dict[str, gpd.GeoDataFrame]
    notes: list[str] = field(default_factory=list)
    #: Open311 services and routing rules (category × area → department)
    services: list[dict] = field(default_factory=list)
    service_routing: list[dict] = field(default_factory=list)


def build_rethymno(sources: Path = DEFAULT_SOURCES, seed: int = 7301) -> DemoData:
    """The Municipality of Rethymno's demo data, deterministic for a given ``seed``."""
    rng = np.random.default_rng(seed)
    _, boundary = read_municipality(
        sources / "boundaries/crete_municipalities_kallikratis_wgs84.geojson", "9318")
    land = Land(boundary)
    osm_file = sources / "osm/rethymno.osm"
    osm_roads = osm.read_osm_roads(osm_file)
    points = read_settlements(sources / "settlements/rethymno_settlements_2021.geojson")

    town_area = osm_roads.to_crs(SRID).union_all().convex_hull.buffer(TOWN_MARGIN_M)
    settlements = build_settlements(points, land, town_area, rng)
    districts = build_districts(points, land)
    points = points.assign(population_2021=settlements["population_2021"].to_numpy())
    roads, roads_dropped = build_roads(osm_roads, points, land, rng)
    buildings, buildings_dropped = build_buildings(osm.read_osm_buildings(osm_file), settlements,
                                                   land, rng)
    parks = [g for g, kind in zip(osm.read_osm_open_spaces(osm_file).to_crs(SRID).geometry,
                                  osm.read_osm_open_spaces(osm_file)["kind"]) if kind == "park"]
    coastline = boundary.boundary
    plans, zoning = build_plans_and_zoning(settlements, districts, coastline, parks, land, rng)
    centre = gpd.GeoSeries([OLD_TOWN_CENTRE], crs=4326).to_crs(SRID).iloc[0]
    bus_stops, stops_dropped = build_bus_stops(osm.read_osm_bus_stops(osm_file), land)
    layers = {
        "zoning": zoning,
        "plans": plans,
        "building_permits": build_permits(buildings, roads, rng),
        "settlements": settlements,
        "service_requests": build_requests(roads, settlements, districts, land, rng),
        "parking_bays": build_bays(roads, buildings, land, centre, rng),
        "parking_lots": build_lots(osm.read_osm_parking(osm_file), land, rng),
        "wifi_access_points": build_wifi(osm.read_osm_wifi_places(osm_file), roads, settlements,
                                         land, rng),
        "roads": roads,
        "districts": districts,
        "refuge_areas": build_refuge_areas(osm.read_osm_open_spaces(osm_file), settlements,
                                           districts, land, rng),
        "bus_stops": bus_stops,
        "traffic_cameras": build_cameras(roads, rng),
        "buildings": buildings,
    }
    notes = [f"dropped off the land polygon: {roads_dropped} street segments, "
             f"{buildings_dropped} buildings, {stops_dropped} bus stops"]
    for note in notes:
        log.info(note)
    jurisdiction = {"id": JURISDICTION_ID, "name_el": "Δήμος Ρεθύμνης",
                    "name_en": "Municipality of Rethymno", "ypes_code": "9318",
                    "elstat_code": "7301", "boundary": shapely.MultiPolygon(boundary)}
    services, routing = build_services({code: v[0] for code, v in SERVICES.items()})
    return DemoData(jurisdiction, layers, notes, services, routing)
