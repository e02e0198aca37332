"""The road network: the town's real OSM streets, noded, plus a rural network to every village.

OSM ways are split wherever they share a node with another way, so segments meet at equal
endpoints. The rural part joins the settlements along the edges of their Delaunay
triangulation that stay on land: a minimum spanning tree (every village reachable) plus the
shorter remaining edges, as a real network has loops.
"""
from __future__ import annotations

import math
from collections import Counter

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString, MultiPoint, Point

from data.demo.common import SRID, Land, layer_frame
from importers.noding import split_at_shared_nodes

EXTRA_EDGE_SHARE = 0.35  # of the non-tree Delaunay edges, the shortest ones kept
MAX_RURAL_EDGE_M = 9000


def _largest_component(segments: list[dict]) -> list[dict]:
    parent: dict = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    ends = [(_end_key(s["geometry"].coords[0]), _end_key(s["geometry"].coords[-1]))
            for s in segments]
    for a, b in ends:
        parent[find(a)] = find(b)
    sizes = Counter(find(a) for a, _ in ends)
    biggest = sizes.most_common(1)[0][0]
    return [s for s, (a, _) in zip(segments, ends) if find(a) == biggest]


def _end_key(coord) -> tuple[float, float]:
    return (round(coord[0], 2), round(coord[1], 2))  # metres: 1 cm, as gis/routing.py snaps


def _segment(road_id, geometry, road_class, oneway, speed_kmh, name=None, osm_id=None) -> dict:
    length = geometry.length
    cost = length / (speed_kmh / 3.6)
    return {"road_id": road_id, "osm_id": osm_id, "name": name, "road_class": road_class,
            "oneway": bool(oneway), "maxspeed_kmh": int(speed_kmh), "length_m": length,
            "cost_s": cost, "reverse_cost_s": -1.0 if oneway else cost, "geometry": geometry}


def town_segments(osm_roads: gpd.GeoDataFrame, land: Land) -> tuple[list[dict], int]:
    """Town street segments on land (largest connected piece); and how many were dropped."""
    # split in degrees, where OSM's shared nodes are exactly equal, then project the pieces
    pieces = split_at_shared_nodes(list(osm_roads.geometry))
    projected = gpd.GeoSeries([p for _, p in pieces], crs=osm_roads.crs).to_crs(SRID)
    segments = []
    for (index, _), geometry in zip(pieces, projected):
        row = osm_roads.iloc[index]
        clipped = geometry.intersection(land.inner)
        for part in getattr(clipped, "geoms", [clipped]):
            if part.geom_type == "LineString" and part.length > 0.5:
                name = row["name"] if isinstance(row["name"], str) else None
                segments.append(_segment(f"osm:way/{row.osm_id}:{len(segments)}", part,
                                         row.highway, row.oneway, row.maxspeed_kmh, name,
                                         int(row.osm_id)))
    kept = _largest_component(segments)
    return kept, len(segments) - len(kept)


def _curved(a: Point, b: Point, rng: np.random.Generator, land: Land) -> LineString:
    """A gently curving road from a to b (a bowed midpoint), or straight if that leaves land."""
    dx, dy = b.x - a.x, b.y - a.y
    length = math.hypot(dx, dy)
    bow = rng.uniform(-0.08, 0.08) * length
    mid = ((a.x + b.x) / 2 - dy / length * bow, (a.y + b.y) / 2 + dx / length * bow)
    curved = LineString([a.coords[0], mid, b.coords[0]])
    return curved if land.covers(curved) else LineString([a.coords[0], b.coords[0]])


def rural_segments(settlements: gpd.GeoDataFrame, town_vertex: Point, town_code: str,
                   land: Land, rng: np.random.Generator) -> list[dict]:
    """Roads joining every settlement; the town's node is ``town_vertex`` (a street's end)."""
    nodes = [town_vertex if code == town_code else point
             for code, point in zip(settlements["settlement_code"], settlements.geometry)]
    names = list(settlements["name"])
    population = list(settlements["population_2021"])
    triangles = shapely.delaunay_triangles(MultiPoint(nodes), only_edges=True)
    index = {(round(p.x, 2), round(p.y, 2)): i for i, p in enumerate(nodes)}
    edges = []
    for edge in triangles.geoms:
        a, b = (index[(round(x, 2), round(y, 2))] for x, y in edge.coords)
        if edge.length <= MAX_RURAL_EDGE_M and land.covers(edge):
            edges.append((edge.length, min(a, b), max(a, b)))
    edges.sort()
    parent = list(range(len(nodes)))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    tree, rest = [], []
    for edge in edges:
        _, a, b = edge
        if find(a) != find(b):
            parent[find(a)] = find(b)
            tree.append(edge)
        else:
            rest.append(edge)
    if len({find(i) for i in range(len(nodes))}) != 1:
        raise RuntimeError("rural network: some settlements cannot be joined over land")
    chosen = tree + rest[: int(len(rest) * EXTRA_EDGE_SHARE)]
    segments = []
    for n, (length, a, b) in enumerate(sorted(chosen, key=lambda e: (e[1], e[2]))):
        bigger = max(population[a], population[b])
        road_class, speed = (("secondary", 70) if bigger >= 1500 else
                             ("tertiary", 60) if bigger >= 300 else ("unclassified", 50))
        segments.append(_segment(f"rural:{n + 1:03d}", _curved(nodes[a], nodes[b], rng, land),
                                 road_class, False, speed, f"{names[a]} – {names[b]}"))
    return segments


def build_roads(osm_roads: gpd.GeoDataFrame, settlements: gpd.GeoDataFrame, land: Land,
                town_name: str, rng: np.random.Generator) -> tuple[gpd.GeoDataFrame, int]:
    """The whole network (town + rural) and how many town segments were dropped off land.

    ``settlements`` are the settlement points with ``settlement_code``, ``name`` and
    ``population_2021``. Settlements on islets (off the largest land polygon) get no road.
    """
    town, dropped = town_segments(osm_roads, land)
    mainland = max(land.boundary.geoms, key=lambda p: p.area)
    settlements = settlements[[mainland.covers(p) for p in settlements.geometry]]
    town_row = settlements[settlements["name"] == town_name].iloc[0]
    drivable = [s for s in town if s["road_class"] in ("primary", "secondary", "tertiary")]
    ends = [Point(s["geometry"].coords[i]) for s in drivable for i in (0, -1)]
    town_vertex = min(ends, key=lambda p: p.distance(town_row.geometry))
    rural = rural_segments(settlements, town_vertex, town_row.settlement_code, land, rng)
    return layer_frame("roads", town + rural), dropped
