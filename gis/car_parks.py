"""Car parks for drivers: what the free-space signs show, and the drive to a car park with free
spaces, along the drivable streets with one-ways respected (pgRouting, as the crews drive).

A car park's sign shows its own free spaces; a town-entrance sign shows every car park, the
nearest by car from the sign first. A car park whose counter has gone silent shows "--": the
sensor pipeline empties its free spaces (gis/sensors.py), so a sign never shows a stale number.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass

import shapely
from psycopg2 import sql
from shapely.geometry import Point

from gis.crews import MAX_WALK_M, NOT_DRIVABLE, drivable_edges_sql
from gis.errors import InvalidParameter, NotFound
from gis.planning_map import municipality_at
from gis.routing import nearby_vertices

MAX_ROUTES = 20
#: the approach between a place and its nearest drivable vertex, driven slowly (20 km/h)
APPROACH_SPEED_MS = 5.6
#: what a sign shows for a car park with no free space, by language
FULL = {"el": "ΠΛΗΡΕΣ", "en": "FULL"}
UNKNOWN = "--"

SIGNS_SQL = """
SELECT sign_id, name, sign_type, lot_id, ST_X(wgs84), ST_Y(wgs84), ST_AsBinary(geom)
FROM (SELECT *, ST_Transform(geom, 4326) AS wgs84 FROM parking_signs
      WHERE jurisdiction_id = %(j)s AND (%(sign)s::text IS NULL OR sign_id = %(sign)s)) AS s
ORDER BY sign_id
"""

# a car park is reached at the point of its edge nearest the street network's: its middle
# may be a hundred metres from any street
LOTS_SQL = """
SELECT lot_id, name, capacity, free_spaces, updated_at, ST_AsBinary(at), ST_X(wgs84), ST_Y(wgs84)
FROM (SELECT l.*, ST_PointOnSurface(l.geom) AS at,
             ST_Transform(ST_PointOnSurface(l.geom), 4326) AS wgs84
      FROM parking_lots l WHERE l.jurisdiction_id = %(j)s) AS lots
ORDER BY lot_id
"""

DRIVE_COSTS_SQL = """
SELECT start_vid, end_vid, agg_cost
FROM pgr_dijkstraCost(%s, %s::bigint[], %s::bigint[], directed => true)
"""

# the route of each (start, end) pair asked (pgRouting's combinations: a query it runs itself)
ROUTES_SQL = """
SELECT d.start_vid, d.end_vid, sum(ST_Length(r.geom)),
       ST_AsGeoJSON(ST_Transform(ST_LineMerge(ST_Collect(r.geom ORDER BY d.path_seq)), 4326), 7)
FROM pgr_dijkstra(%s, %s, directed => true) AS d
JOIN roads r ON r.id = d.edge
GROUP BY d.start_vid, d.end_vid
"""


@dataclass(frozen=True)
class Drive:
    """The quickest way by car from a place to a car park: from which vertex to which."""

    seconds: float
    start: int
    end: int
    approach_m: float  # from the place to its vertex, and from the car park's vertex to it


def sign_text(free_spaces: int | None, lang: str) -> str:
    """What a sign shows for a car park: its free spaces, FULL, or -- when unknown."""
    if free_spaces is None:
        return UNKNOWN
    return FULL[lang] if free_spaces == 0 else str(free_spaces)


def _lots(cur, jurisdiction: str) -> list[dict]:
    cur.execute(LOTS_SQL, {"j": jurisdiction})
    return [{"lot_id": lot_id, "name": name, "capacity": capacity, "free_spaces": free,
             "updated_at": updated.isoformat() if updated else None, "wkb": bytes(wkb),
             "lon": round(lon, 7), "lat": round(lat, 7)}
            for lot_id, name, capacity, free, updated, wkb, lon, lat in cur.fetchall()]


def _car_park(lot: dict) -> dict:
    free = lot["free_spaces"]
    return {"lot_id": lot["lot_id"], "name": lot["name"], "capacity": lot["capacity"],
            "free_spaces": free, "updated_at": lot["updated_at"],
            "state": "unknown" if free is None else "full" if free == 0 else "free"}


def _line(lot: dict, lang: str) -> dict:
    return _car_park(lot) | {"text": sign_text(lot["free_spaces"], lang)}


def _approach_s(metres: float) -> float:
    return metres / APPROACH_SPEED_MS


def _drives(cur, jurisdiction: str, origins: dict[str, bytes],
            lots: list[dict]) -> dict[tuple[str, str], Drive]:
    """(origin key, lot id) → the quickest drive, for the pairs the streets connect (one-ways
    respected), each place joining the network at whichever end of its nearest streets is best."""
    near = nearby_vertices(cur, jurisdiction, origins | {f"lot:{lot['lot_id']}": lot["wkb"]
                                                         for lot in lots}, NOT_DRIVABLE)
    starts = {key: near[key] for key in origins if key in near}
    ends = {lot["lot_id"]: near[f"lot:{lot['lot_id']}"] for lot in lots
            if f"lot:{lot['lot_id']}" in near}
    if not starts or not ends:
        return {}
    cur.execute(DRIVE_COSTS_SQL, (
        drivable_edges_sql(cur, jurisdiction),
        sorted({v for candidates in starts.values() for v, _ in candidates}),
        sorted({v for candidates in ends.values() for v, _ in candidates})))
    network = {(start, end): float(cost) for start, end, cost in cur.fetchall()}
    found = {}
    for key, from_here in starts.items():
        for lot_id, to_there in ends.items():
            options = [Drive((0.0 if s == e else network[(s, e)]) + _approach_s(sm + em),
                             s, e, sm + em)
                       for s, sm in from_here for e, em in to_there
                       if s == e or (s, e) in network]
            if options:
                found[(key, lot_id)] = min(options, key=lambda d: (d.seconds, d.start, d.end))
    return found


def _routes(cur, jurisdiction: str, pairs: set[tuple[int, int]]) -> dict[tuple[int, int], tuple]:
    """(start, end) → (metres, GeoJSON line in CRS84) along the drivable streets."""
    pairs = {(s, e) for s, e in pairs if s != e}
    if not pairs:
        return {}
    combinations = sql.SQL("SELECT * FROM unnest({}::bigint[], {}::bigint[]) AS c(source, target)"
                           ).format(sql.Literal([s for s, _ in pairs]),
                                    sql.Literal([e for _, e in pairs])).as_string(cur)
    cur.execute(ROUTES_SQL, (drivable_edges_sql(cur, jurisdiction), combinations))
    return {(s, e): (float(metres), json.loads(line)) for s, e, metres, line in cur.fetchall()}


def signs(cur, jurisdiction: str, sign_id: str | None = None, lang: str = "el") -> list[dict]:
    """Each sign of a municipality (or sign ``sign_id``) with the lines it shows: its car park,
    or (a town-entrance sign) every car park, the nearest by car first, with the minutes."""
    if lang not in FULL:
        raise InvalidParameter(f"lang: {lang[:20]!r}; one of {', '.join(FULL)}")
    cur.execute(SIGNS_SQL, {"j": jurisdiction, "sign": sign_id})
    found = cur.fetchall()
    if sign_id is not None and not found:
        raise NotFound(f"sign_id: no sign {sign_id[:40]!r} in {jurisdiction}")
    lots = _lots(cur, jurisdiction)
    by_id = {lot["lot_id"]: lot for lot in lots}
    entrances = {row[0]: bytes(row[6]) for row in found if row[2] == "entrance"}
    drives = _drives(cur, jurisdiction, entrances, lots) if entrances else {}
    shown = []
    for ident, name, kind, lot_id, lon, lat, _ in found:
        if kind == "car_park":
            lines = [_line(by_id[lot_id], lang)] if lot_id in by_id else []
        else:
            reached = [(drives[(ident, lot["lot_id"])].seconds, lot) for lot in lots
                       if (ident, lot["lot_id"]) in drives]
            lines = [_line(lot, lang) | {"drive_min": math.ceil(seconds / 60)}
                     for seconds, lot in sorted(reached, key=lambda r: (r[0], r[1]["lot_id"]))]
        shown.append({"sign_id": ident, "name": name, "sign_type": kind,
                      "lon": round(lon, 7), "lat": round(lat, 7), "lines": lines})
    return shown


def drive_to_car_parks(cur, point: Point, min_free: int, count: int) -> list[dict]:
    """The car parks with at least ``min_free`` free spaces nearest ``point`` (storage CRS) by
    car, nearest first: each a GeoJSON Feature whose geometry is the route there (CRS84), with
    the car park, its free spaces and ``drive_s``/``drive_m``."""
    if not 1 <= count <= MAX_ROUTES:
        raise InvalidParameter(f"count: {count} outside 1–{MAX_ROUTES}")
    municipality = municipality_at(cur, point)
    if municipality is None:
        raise InvalidParameter("location: outside every municipality this server holds")
    jurisdiction = municipality["id"]
    lots = [lot for lot in _lots(cur, jurisdiction)
            if lot["free_spaces"] is not None and lot["free_spaces"] >= min_free]
    if not lots:
        return []
    near = nearby_vertices(cur, jurisdiction, {"origin": shapely.to_wkb(point)}, NOT_DRIVABLE)
    street_m = min((metres for _, metres in near.get("origin", [])), default=math.inf)
    if street_m > MAX_WALK_M:
        raise InvalidParameter(f"location: more than {MAX_WALK_M:.0f} m from the drivable streets")
    drives = {lot_id: drive for (_, lot_id), drive in
              _drives(cur, jurisdiction, {"origin": shapely.to_wkb(point)}, lots).items()}
    nearest = sorted((drive.seconds, lot["lot_id"], lot) for lot in lots
                     if (drive := drives.get(lot["lot_id"])))[:count]
    routes = _routes(cur, jurisdiction, {(drives[i].start, drives[i].end) for _, i, _ in nearest})
    features = []
    for seconds, lot_id, lot in nearest:
        drive = drives[lot_id]
        metres, line = routes.get((drive.start, drive.end), (0.0, None))
        features.append({
            "type": "Feature", "id": lot_id,
            # beside the car park already: no street to drive, the car park's point
            "geometry": line or {"type": "Point", "coordinates": [lot["lon"], lot["lat"]]},
            "properties": _car_park(lot) | {
                "drive_s": round(seconds), "drive_m": round(metres + drive.approach_m),
                "car_park": [lot["lon"], lot["lat"]]}})
    return features
