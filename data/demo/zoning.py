"""Plans and zones: the town's General Urban Plan and its 2015 amendment, the settlements'
delimitation, and the rural ΖΟΕ, with realistic Greek building terms.

The amendment supersedes some town zones: their 2004 rows end on the amendment's date and new
rows start on it, so "what applied on a date" has different answers before and after.

Where OpenStreetMap maps the streets, the town's zones are whole street blocks (the faces the
streets' centrelines enclose), as a town plan draws them; the historic centre is the walled old
town where the walls' streets are known.
"""
from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import MultiPoint, Point, Polygon
from shapely.ops import linemerge, nearest_points

from data.demo.common import SRID, Land, layer_frame
from data.demo.municipality import RETHYMNO, Municipality


def plans_of(m: Municipality) -> dict[str, dict]:
    """The four plans of a municipality, titled with its names."""
    gps, amendment, settlements, zoe = m.plan_feks
    return {
        "GPS-2004": dict(plan_type="ΓΠΣ", title=f"Γενικό Πολεοδομικό Σχέδιο {m.town_genitive}",
                         fek=gps, approval_date=date(2004, 6, 15), valid_from=date(2004, 7, 1)),
        "GPS-2015": dict(plan_type="ΓΠΣ",
                         title=f"Τροποποίηση ΓΠΣ {m.town_genitive} (παραλιακή ζώνη)",
                         fek=amendment, approval_date=date(2015, 4, 28),
                         valid_from=date(2015, 5, 20), amends="GPS-2004"),
        "OIK-1987": dict(plan_type="ΣΧΟΟΑΠ",
                         title=f"Όρια και όροι δόμησης οικισμών Δήμου {m.municipality_genitive}",
                         fek=settlements, approval_date=date(1987, 3, 2),
                         valid_from=date(1987, 4, 10)),
        "ZOE-1995": dict(plan_type="ΖΟΕ",
                         title=f"Ζώνη Οικιστικού Ελέγχου ενδοχώρας {m.town_genitive}",
                         fek=zoe, approval_date=date(1995, 1, 20), valid_from=date(1995, 3, 1)),
    }


#: the plans' dates, the same in every municipality
PLANS = plans_of(RETHYMNO)

# land use → (σ.δ., κάλυψη %, height m, floors, αρτιότητα m², πρόσωπο m)
TERMS = {
    "historic_centre": (1.6, 70, 11.0, 3, 150, 8),
    "town_centre": (2.4, 70, 17.5, 5, 200, 10),
    "general_residential": (1.6, 60, 14.0, 4, 250, 10),
    "pure_residential": (1.2, 60, 11.0, 3, 300, 12),
    "tourism": (0.8, 40, 11.0, 3, 1000, 20),
    "green": (0.0, 0, 0.0, 0, 0, 0),
    "settlement": (0.8, 60, 8.5, 2, 300, 10),
    "agriculture": (0.2, 10, 7.5, 2, 4000, 25),
    "protected": (0.05, 5, 4.5, 1, 20000, 45),
}


def _zone(zone_id, plan_id, code, land_use, geometry, valid_from, valid_to=None, terms=None):
    bc, cov, height, floors, plot, front = terms or TERMS[land_use]
    return {"zone_id": zone_id, "plan_id": plan_id, "zone_code": code, "land_use": land_use,
            "building_coefficient": bc, "coverage_pct": cov, "max_height_m": height,
            "max_floors": floors, "min_plot_area_m2": plot, "min_frontage_m": front,
            "valid_from": valid_from, "valid_to": valid_to, "geometry": geometry}


def old_town_centre(m: Municipality) -> Point:
    """The old town's centre in EPSG:2100."""
    return gpd.GeoSeries([Point(m.old_town)], crs=4326).to_crs(SRID).iloc[0]


#: the historic centre's radius where a town's walls are not known
HISTORIC_RADIUS_M = 380
#: how far to the north (out to sea) the walled town's outline runs from the walls' two ends
#: before the land clips it
SEAWARD_M = 2000


def street_blocks(streets: gpd.GeoSeries) -> list:
    """The blocks the streets enclose: the faces of their centrelines, noded (EPSG:2100)."""
    lines = shapely.get_parts(shapely.union_all(list(streets)))
    return list(shapely.get_parts(shapely.polygonize(lines)))


def walled_old_town(streets: gpd.GeoDataFrame, wall_streets: tuple[str, ...],
                    coastline) -> Polygon:
    """The land within the streets that follow a town's walls, the walls run on from each end
    to the nearest shore, and the sea north of them."""
    wall = linemerge(shapely.union_all(
        list(streets[streets["name"].isin(wall_streets)].geometry)))
    if wall.geom_type != "LineString":
        raise ValueError(f"the streets {wall_streets} do not make one line")

    def to_sea(end: Point) -> list[tuple[float, float]]:
        shore = nearest_points(coastline, end)[0]
        dx, dy = shore.x - end.x, shore.y - end.y
        scale = SEAWARD_M / max(np.hypot(dx, dy), 1.0)
        return [(shore.x, shore.y), (shore.x + dx * scale, shore.y + dy * scale)]

    start, end = to_sea(Point(wall.coords[0])), to_sea(Point(wall.coords[-1]))
    north = max(y for _, y in start + end) + SEAWARD_M
    ring = [*start[::-1], *wall.coords, *end, (end[1][0], north), (start[1][0], north)]
    return shapely.make_valid(Polygon(ring))


def follow_blocks(parts: list, blocks: list) -> list:
    """``parts`` (of one area, not overlapping) redrawn along the street blocks: each block goes
    whole to the part that holds most of it; away from the blocks the parts stay as they are."""
    covered = shapely.union_all(blocks)
    tree = shapely.STRtree(parts)
    owners = []
    for block in blocks:
        near = tree.query(block)
        owners.append(int(near[np.argmax([parts[i].intersection(block).area for i in near])]))
    return [shapely.union_all([part.difference(covered)]
                              + [b for b, owner in zip(blocks, owners) if owner == i])
            for i, part in enumerate(parts)]


def town_zones(town, centre: Point, seeds: int, coastline, parks, land: Land,
               rng: np.random.Generator, blocks: list, walled: Polygon | None) -> list[dict]:
    """The town's 2004 zones, and the 2015 versions of the seafront and some residential zones,
    along the street ``blocks``; the historic centre is ``walled`` (or a circle)."""
    historic = town.intersection(walled if walled is not None
                                 else centre.buffer(HISTORIC_RADIUS_M))
    green = shapely.union_all([p.intersection(town) for p in parks]).difference(historic)
    seafront = town.intersection(coastline.buffer(160)).difference(historic).difference(green)
    rest = town.difference(historic).difference(green).difference(seafront)
    points = [rest.representative_point()]
    minx, miny, maxx, maxy = rest.bounds
    while len(points) < seeds:
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if rest.contains(p):
            points.append(p)
    cells = list(shapely.voronoi_polygons(MultiPoint(points),
                                          extend_to=town.envelope.buffer(100)).geoms)
    town_blocks = [b for b in (block.intersection(town).difference(green) for block in blocks)
                   if b.area > 0]
    historic, seafront, *parts = follow_blocks(
        [historic, seafront, *(cell.intersection(rest) for cell in cells)], town_blocks)
    start = PLANS["GPS-2004"]["valid_from"]
    amended = PLANS["GPS-2015"]["valid_from"]
    zones, n = [], 0

    def add(land_use, geometry, amend_terms=None):
        nonlocal n
        geometry = land.clip_polygon(geometry)
        if geometry.is_empty:
            return
        n += 1
        code = f"Π{n}"
        if amend_terms is None:
            zones.append(_zone(f"GPS-2004/{code}", "GPS-2004", code, land_use, geometry, start))
        else:
            zones.append(_zone(f"GPS-2004/{code}", "GPS-2004", code, land_use, geometry, start,
                               amended))
            zones.append(_zone(f"GPS-2015/{code}", "GPS-2015", code, land_use, geometry, amended,
                               terms=amend_terms))

    add("historic_centre", historic)
    add("green", green)
    # the amendment lowered the seafront's coefficient to protect the coast
    add("tourism", seafront, amend_terms=(0.6, 35, 9.0, 2, 2000, 25))
    for i, part in enumerate(parts):
        if part.is_empty:
            continue
        distance = part.representative_point().distance(centre)
        land_use = ("town_centre" if distance < 700 else
                    "general_residential" if distance < 1400 else "pure_residential")
        # ... and raised the coefficient of every fifth residential zone (a densification)
        amend = (1.8, 60, 14.0, 4, 250, 10) if land_use == "general_residential" and i % 5 == 0 \
            else None
        add(land_use, part, amend_terms=amend)
    return zones


def settlement_zones(settlements: gpd.GeoDataFrame, town_name: str) -> list[dict]:
    start = PLANS["OIK-1987"]["valid_from"]
    zones = []
    for n, row in enumerate(settlements[settlements["name"] != town_name].itertuples(), 1):
        bc = 0.6 if row.category == "pre_1923" else 0.8
        zones.append(_zone(f"OIK-1987/{row.settlement_code}", "OIK-1987", f"Ο{n}", "settlement",
                           row.geometry, start, terms=(bc, 60, 8.5, 2, 300, 10)))
    return zones


def rural_zones(districts: gpd.GeoDataFrame, built_up, uplands_below_y: float,
                land: Land) -> list[dict]:
    """The ΖΟΕ outside the town and the settlements: agriculture, protected in the uplands."""
    start = PLANS["ZOE-1995"]["valid_from"]
    zones = []
    for n, row in enumerate(districts.itertuples(), 1):
        geometry = land.clip_polygon(row.geometry.difference(built_up))
        if geometry.is_empty:
            continue
        # the southern (upland) communities are protected, the coastal plain agricultural
        land_use = "protected" if row.geometry.centroid.y < uplands_below_y else "agriculture"
        zones.append(_zone(f"ZOE-1995/{row.district_code}", "ZOE-1995", f"ΖΟΕ{n}", land_use,
                           geometry, start))
    return zones


def build_plans_and_zoning(m: Municipality, settlements, districts, coastline, parks,
                           streets: gpd.GeoDataFrame, land: Land, rng: np.random.Generator):
    """The ``plans`` and ``zoning`` layers (``streets``: OpenStreetMap's, in EPSG:2100)."""
    town = settlements[settlements["name"] == m.town_name].geometry.iloc[0]
    built_up = shapely.union_all(list(settlements.geometry))
    walled = walled_old_town(streets, m.old_town_walls, coastline) if m.old_town_walls else None
    zones = (town_zones(town, old_town_centre(m), m.town_zones, coastline, parks, land, rng,
                        street_blocks(streets.geometry), walled)
             + settlement_zones(settlements, m.town_name)
             + rural_zones(districts, built_up, m.uplands_below_y, land))
    plans = []
    for plan_id, plan in plans_of(m).items():
        members = [z["geometry"] for z in zones if z["plan_id"] == plan_id]
        plans.append({"plan_id": plan_id, **plan,
                      "geometry": land.clip_polygon(shapely.union_all(members))})
    return layer_frame("plans", plans), layer_frame("zoning", zones)
