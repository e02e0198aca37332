"""Settlement boundary polygons around the real settlement points, and the districts.

Boundaries are synthesised (none are published openly): an irregular disc sized by
population, kept inside the settlement's Voronoi cell so neighbours never overlap. The town
(the municipality's seat) covers its mapped streets. Districts (communities) are the Voronoi
cells of their settlements, dissolved by community, so together they tile the municipality.
"""
from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import MultiPoint, Point, Polygon

from data.demo.common import Land, as_multipolygon, layer_frame

TOWN_CODE_SUFFIX = "01"  # ELSTAT: the community's seat ends in 01
SEAT_SHARE = 0.85  # share of a community's population given to its seat (an estimate)


def estimate_population(settlements: gpd.GeoDataFrame) -> list[int]:
    """Each settlement's population from its community's 2021 figure.

    The census publishes communities, not settlements: a community of one settlement gives it
    all; otherwise the seat gets 85% and the rest share the remainder equally.
    """
    sizes = settlements.groupby("community_code")["settlement_code"].transform("count")
    seat = settlements["settlement_code"].str.endswith(TOWN_CODE_SUFFIX)
    population = []
    for pop, size, is_seat in zip(settlements["community_pop_2021"], sizes, seat):
        if size == 1:
            population.append(int(pop))
        elif is_seat:
            population.append(int(round(pop * SEAT_SHARE)))
        else:
            population.append(int(round(pop * (1 - SEAT_SHARE) / (size - 1))))
    return population


def voronoi_cells(points: list[Point], land: Land) -> list:
    """The Voronoi cell of each point, clipped to land, in the points' order."""
    envelope = land.boundary.envelope.buffer(5000)
    cells = shapely.voronoi_polygons(MultiPoint(points), extend_to=envelope)
    by_point = {}
    for cell in cells.geoms:
        for i, point in enumerate(points):
            if i not in by_point and cell.contains(point):
                by_point[i] = cell
                break
    return [by_point[i] for i in range(len(points))]


def _irregular_disc(centre: Point, radius: float, rng: np.random.Generator) -> Polygon:
    angles = np.linspace(0, 2 * math.pi, 18, endpoint=False)
    radii = radius * rng.uniform(0.7, 1.25, len(angles))
    return Polygon([(centre.x + r * math.cos(a), centre.y + r * math.sin(a))
                    for r, a in zip(radii, angles)]).buffer(radius * 0.15).buffer(-radius * 0.1)


def settlement_radius(population: int) -> float:
    """Metres: a village of 100 residents ~190 m, of 1,000 ~310 m (dense Cretan villages)."""
    return min(650.0, 130.0 + 6.0 * math.sqrt(max(population, 0)))


def build_settlements(source: gpd.GeoDataFrame, land: Land, town_area, town_name: str,
                      rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Settlement polygons (EPSG:2100) with code, name, category, ΦΕΚ and population."""
    population = estimate_population(source)
    points = list(source.geometry)
    cells = voronoi_cells(points, land)
    records = []
    for i, row in enumerate(source.itertuples()):
        is_town = row.name == town_name
        if is_town:
            shape = town_area
            category = "town_plan"
        else:
            shape = _irregular_disc(points[i], settlement_radius(population[i]), rng)
            category = "town_plan" if population[i] >= 1500 else (
                "pre_1923" if rng.random() < 0.45 else "under_2000")
        polygon = land.clip_polygon(shape.intersection(cells[i]))
        # keep the piece holding the settlement's point (a disc may reach across a ravine/sea)
        pieces = [p for p in polygon.geoms if p.buffer(1).contains(points[i])] or list(polygon.geoms)
        records.append({
            "settlement_code": row.settlement_code,
            "name": row.name,
            "category": category,
            "fek": f"ΦΕΚ {int(rng.integers(40, 900))}/Δ/{int(rng.integers(1985, 2006))}",
            "population_2021": population[i],
            "community_code": row.community_code,
            "community_name": row.community_name,
            "municipal_unit_name": row.municipal_unit_name,
            "geometry": as_multipolygon(shapely.union_all(pieces)),
        })
    return layer_frame("settlements", records)


def build_districts(source: gpd.GeoDataFrame, land: Land) -> gpd.GeoDataFrame:
    """One polygon per community: its settlements' Voronoi cells, dissolved, on land."""
    cells = voronoi_cells(list(source.geometry), land)
    frame = gpd.GeoDataFrame(source.drop(columns="geometry"), geometry=cells, crs=source.crs)
    records = []
    for code, group in frame.groupby("community_code", sort=True):
        first = group.iloc[0]
        records.append({
            "district_code": code,
            "name": first["community_name"],
            "municipal_unit_code": first["municipal_unit_code"],
            "municipal_unit_name": first["municipal_unit_name"],
            "population_2021": int(first["community_pop_2021"]),
            "geometry": land.clip_polygon(shapely.union_all(list(group.geometry))),
        })
    return layer_frame("districts", records)
