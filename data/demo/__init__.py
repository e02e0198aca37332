"""The demo: real open data of two municipalities (data/sources) plus what no open source has,
synthesised by the same code for each.

``build_municipality(m)`` returns every catalogue layer of a ``Municipality`` (data/demo/
municipality.py) as a GeoDataFrame in EPSG:2100; the same seed gives the same data, feature for
feature. ``build_demo()`` builds them all: Rethymno and Chania.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from data.demo.amenities import (
    AP_COUNT,
    CAMERA_COUNT,
    MONTHLY_USERS,
    SMART_STOPS,
    build_bus_stops,
    build_cameras,
    build_refuge_areas,
    build_wifi,
)
from data.demo.buildings import build_buildings
from data.demo.common import SRID, Land
from data.demo.municipality import CHANIA, MUNICIPALITIES, RETHYMNO, Municipality
from data.demo.parking import BAY_COUNT, build_bays, build_lots, build_signs
from data.demo.permits import build_permits
from data.demo.places import build_districts, build_settlements
from data.demo.requests import COUNT as REQUEST_COUNT
from data.demo.requests import SERVICES, build_requests
from data.demo.roads import build_roads
from data.demo.services import Services
from data.demo.zoning import build_plans_and_zoning, old_town_centre
from importers import osm
from importers.boundaries import read_municipality
from importers.settlements import read_settlements

DEFAULT_SOURCES = Path(__file__).resolve().parent.parent / "sources"
#: the municipalities the demo loads into, in order
JURISDICTION_IDS = tuple(m.id for m in MUNICIPALITIES)
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


def build_municipality(m: Municipality, sources: Path = DEFAULT_SOURCES,
                       seed: int | None = None) -> DemoData:
    """A municipality's demo data, deterministic for a given ``seed`` (its own by default)."""
    rng = np.random.default_rng(m.seed if seed is None else seed)
    _, boundary = read_municipality(
        sources / "boundaries/crete_municipalities_kallikratis_wgs84.geojson", m.ypes_code)
    land = Land(boundary)
    osm_file = sources / m.osm_file
    osm_roads = osm.read_osm_roads(osm_file)
    points = read_settlements(sources / m.settlements_file)

    town_area = osm_roads.to_crs(SRID).union_all().convex_hull.buffer(TOWN_MARGIN_M)
    settlements = build_settlements(points, land, town_area, m.town_name, rng)
    districts = build_districts(points, land)
    points = points.assign(population_2021=settlements["population_2021"].to_numpy())
    roads, roads_dropped = build_roads(osm_roads, points, land, m.town_name, rng)
    buildings, buildings_dropped = build_buildings(osm.read_osm_buildings(osm_file), settlements,
                                                   land, rng)
    parks = [g for g, kind in zip(osm.read_osm_open_spaces(osm_file).to_crs(SRID).geometry,
                                  osm.read_osm_open_spaces(osm_file)["kind"]) if kind == "park"]
    coastline = boundary.boundary
    plans, zoning = build_plans_and_zoning(m, settlements, districts, coastline, parks,
                                           osm_roads.to_crs(SRID), land, rng)
    centre = old_town_centre(m)
    bus_stops, stops_dropped = build_bus_stops(osm.read_osm_bus_stops(osm_file), land,
                                               m.scaled(SMART_STOPS))
    services = Services(m.town_name, m.town_community, m.water_utility)
    layers = {
        "zoning": zoning,
        "plans": plans,
        "building_permits": build_permits(buildings, roads, rng, m.scale, m.kaek_prefecture),
        "settlements": settlements,
        "service_requests": build_requests(roads, settlements, districts, land, services, rng,
                                           m.scaled(REQUEST_COUNT), m.town_request_share),
        "parking_bays": build_bays(roads, buildings, land, centre, rng, m.scaled(BAY_COUNT),
                                   m.bay_prefix),
        "parking_lots": build_lots(osm.read_osm_parking(osm_file), land, rng, m.car_parks),
        "wifi_access_points": build_wifi(osm.read_osm_wifi_places(osm_file), roads, settlements,
                                         land, m.town_name, rng, m.scaled(AP_COUNT),
                                         m.scaled(MONTHLY_USERS)),
        "roads": roads,
        "districts": districts,
        "refuge_areas": build_refuge_areas(osm.read_osm_open_spaces(osm_file), settlements,
                                           districts, land, m.town_name, rng),
        "bus_stops": bus_stops,
        "traffic_cameras": build_cameras(roads, rng, m.scaled(CAMERA_COUNT)),
        "buildings": buildings,
    }
    layers["parking_signs"] = build_signs(layers["parking_lots"], roads, centre)
    notes = [f"{m.id}: dropped off the land polygon: {roads_dropped} street segments, "
             f"{buildings_dropped} buildings, {stops_dropped} bus stops"]
    for note in notes:
        log.info(note)
    jurisdiction = {"id": m.id, "name_el": m.name_el, "name_en": m.name_en,
                    "ypes_code": m.ypes_code, "elstat_code": m.elstat_code,
                    "boundary": shapely.MultiPolygon(boundary)}
    services_, routing = services.build({code: v[0] for code, v in SERVICES.items()})
    return DemoData(jurisdiction, layers, notes, services_, routing)


def build_rethymno(sources: Path = DEFAULT_SOURCES, seed: int = RETHYMNO.seed) -> DemoData:
    """The Municipality of Rethymno's demo data."""
    return build_municipality(RETHYMNO, sources, seed)


def build_chania(sources: Path = DEFAULT_SOURCES, seed: int = CHANIA.seed) -> DemoData:
    """The Municipality of Chania's demo data."""
    return build_municipality(CHANIA, sources, seed)


def build_demo(sources: Path = DEFAULT_SOURCES) -> list[DemoData]:
    """Every demo municipality, each with its own seed."""
    return [build_municipality(m, sources) for m in MUNICIPALITIES]
