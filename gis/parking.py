"""Parking and WiFi queries over the live state: nearest free bays on foot, free spaces per
street and zone, occupancy over time, bays occupied without a paid session, usage per zone
and day, access points down or saturated.
"""
from __future__ import annotations

import json
from datetime import datetime

import shapely
from psycopg2 import sql
from shapely.geometry import Point

from gis.errors import InvalidParameter
from gis.local_time import TIME_ZONE
from gis.routing import snap_to_vertices

#: roads nobody walks along
NOT_WALKABLE = ("motorway", "motorway_link", "trunk_link")
CANDIDATES = 30  # free bays considered (by straight line) before walking distances decide
WALK_MARGIN_M = 500.0  # the walking graph: roads this far around the point and the candidates
MAX_COUNT = 50
VIOLATION_GRACE_MIN = 10  # time to walk to the machine and pay
GROUPINGS = {"street": "street", "zone": "parking_zone"}

CANDIDATES_SQL = """
WITH origin AS (SELECT ST_GeomFromWKB(%(point)s, 2100) AS g),
nearest AS (
  SELECT b.jurisdiction_id FROM parking_bays b, origin o
  WHERE b.occupancy_state = 'free' ORDER BY b.geom <-> o.g LIMIT 1)
SELECT b.id, b.bay_id, b.street, b.parking_zone, b.bay_type, b.tariff_eur_h, b.state_since,
       ST_Distance(b.geom, o.g), ST_AsBinary(ST_PointOnSurface(b.geom)),
       ST_AsGeoJSON(ST_Transform(b.geom, 4326), 7), b.jurisdiction_id
FROM parking_bays b, origin o
WHERE b.occupancy_state = 'free' AND b.jurisdiction_id = (SELECT jurisdiction_id FROM nearest)
  AND (%(bay_types)s::text[] IS NULL OR b.bay_type = ANY(%(bay_types)s))
ORDER BY b.geom <-> o.g
LIMIT %(candidates)s
"""

WALK_SQL = """
SELECT end_vid, agg_cost FROM pgr_dijkstraCost(%s, %s::bigint, %s::bigint[], directed => false)
"""

FREE_BY_SQL = """
SELECT coalesce({column}, '—') AS name,
       count(*) FILTER (WHERE occupancy_state = 'free') AS free,
       count(*) FILTER (WHERE occupancy_state = 'occupied') AS occupied,
       count(*) FILTER (WHERE occupancy_state = 'unknown') AS unknown,
       count(*) FILTER (WHERE occupancy_state = 'closed') AS closed,
       count(*) AS bays
FROM parking_bays WHERE jurisdiction_id = %(j)s
GROUP BY 1 ORDER BY 1
"""

LOTS_SQL = """
SELECT lot_id, name, capacity, free_spaces, updated_at FROM parking_lots
WHERE jurisdiction_id = %(j)s ORDER BY lot_id
"""

# Hourly occupancy share of a bay, a street or a zone (from the hourly aggregates)
OCCUPANCY_SQL = """
SELECT h.hour, sum(h.occupied)::float / nullif(sum(h.readings), 0), sum(h.readings),
       count(DISTINCT h.sensor)
FROM sensor_hourly h
JOIN sensors s ON s.id = h.sensor AND s.kind = 'bay'
JOIN parking_bays b ON b.id = s.feature_id
WHERE h.jurisdiction_id = %(j)s AND h.hour >= %(start)s AND h.hour < %(end)s
  AND {column} = %(id)s
GROUP BY h.hour ORDER BY h.hour
"""

# Occupied beyond the grace time, in a paying bay, and no session covers now
VIOLATIONS_SQL = """
SELECT b.bay_id, b.street, b.parking_zone, b.tariff_eur_h, b.state_since,
       round(extract(epoch FROM now() - b.state_since) / 60)::int,
       last.plate, last.ends_at, ST_AsGeoJSON(ST_Transform(b.geom, 4326), 7)
FROM parking_bays b
LEFT JOIN LATERAL (
  SELECT plate, ends_at FROM parking_sessions p
  WHERE p.jurisdiction_id = b.jurisdiction_id AND p.bay_id = b.bay_id
  ORDER BY ends_at DESC LIMIT 1) AS last ON true
WHERE b.jurisdiction_id = %(j)s AND b.occupancy_state = 'occupied'
  AND b.tariff_eur_h > 0 AND b.bay_type = 'regular'
  AND b.state_since < now() - make_interval(mins => %(grace)s)
  AND NOT EXISTS (
    SELECT 1 FROM parking_sessions p
    WHERE p.jurisdiction_id = b.jurisdiction_id AND p.bay_id = b.bay_id
      AND p.starts_at <= now() AND p.ends_at > now())
ORDER BY b.state_since
"""

USAGE_SQL = """
SELECT coalesce(b.parking_zone, '—'), (h.hour AT TIME ZONE %(tz)s)::date AS day,
       count(DISTINCT h.sensor), sum(h.readings),
       round((sum(h.occupied)::numeric / nullif(sum(h.readings), 0)), 3)
FROM sensor_hourly h
JOIN sensors s ON s.id = h.sensor AND s.kind = 'bay'
JOIN parking_bays b ON b.id = s.feature_id
WHERE h.jurisdiction_id = %(j)s
  AND h.hour >= (%(start)s::date::timestamp AT TIME ZONE %(tz)s)
  AND h.hour < ((%(end)s::date + 1)::timestamp AT TIME ZONE %(tz)s)
GROUP BY 1, 2 ORDER BY 2, 1
"""

WIFI_ALERTS_SQL = """
SELECT ap_id, name, status, clients_now, status_since,
       CASE WHEN status <> 'up' THEN status ELSE 'saturated' END AS alert,
       ST_AsGeoJSON(ST_Transform(geom, 4326), 7)
FROM wifi_access_points
WHERE jurisdiction_id = %(j)s AND (status <> 'up' OR clients_now >= %(saturated)s)
ORDER BY alert, ap_id
"""


def _walking_edges_sql(cur, jurisdiction: str, envelope: bytes) -> str:
    """pgRouting's edge query (a string it runs itself), every value a quoted literal."""
    return sql.SQL(
        "SELECT id, source, target, length_m AS cost FROM roads WHERE jurisdiction_id = {} "
        "AND NOT (road_class = ANY({})) AND geom && ST_GeomFromWKB({}::bytea, 2100)"
    ).format(sql.Literal(jurisdiction), sql.Literal(list(NOT_WALKABLE)),
             sql.Literal(envelope)).as_string(cur)


def nearest_free_bays(cur, point: Point, count: int,
                      bay_types: list[str] | None = None) -> list[dict]:
    """The free bays nearest ``point`` (storage CRS) on foot along the streets, nearest first.

    The closest bays in a straight line are the candidates; the walk is from the point to its
    nearest walkable vertex, along the network (both ways: walkers ignore one-way signs), and
    from the bay's nearest vertex to the bay. Each feature has ``walk_m`` and ``straight_m``.
    """
    if not 1 <= count <= MAX_COUNT:
        raise InvalidParameter(f"count: {count} outside 1–{MAX_COUNT}")
    cur.execute(CANDIDATES_SQL, {"point": shapely.to_wkb(point), "bay_types": bay_types,
                                 "candidates": max(CANDIDATES, count * 3)})
    candidates = cur.fetchall()
    if not candidates:
        return []
    jurisdiction = candidates[0][10]
    keys = ["origin"] + [str(row[0]) for row in candidates]
    wkbs = [shapely.to_wkb(point)] + [bytes(row[8]) for row in candidates]
    snapped = snap_to_vertices(cur, jurisdiction, dict(zip(keys, wkbs)), NOT_WALKABLE)
    if "origin" not in snapped:
        return []
    places = [shapely.from_wkb(w) for w in wkbs]
    envelope = shapely.box(*shapely.total_bounds(places)).buffer(WALK_MARGIN_M).envelope
    origin_vertex, origin_walk = snapped["origin"]
    targets = sorted({snapped[k][0] for k in keys[1:] if k in snapped})
    cur.execute(WALK_SQL, (_walking_edges_sql(cur, jurisdiction, shapely.to_wkb(envelope)),
                           origin_vertex, targets))
    network = {vertex: float(cost) for vertex, cost in cur.fetchall()}
    network[origin_vertex] = 0.0
    features = []
    for row in candidates:
        key = str(row[0])
        if key not in snapped or snapped[key][0] not in network:
            continue  # not reachable on foot within the area considered
        vertex, bay_walk = snapped[key]
        walk = origin_walk + network[vertex] + bay_walk
        # never shorter than the straight line (the snaps may cut a corner)
        walk = max(walk, float(row[7]))
        features.append({
            "type": "Feature", "id": row[1], "geometry": json.loads(row[9]),
            "properties": {"bay_id": row[1], "street": row[2], "parking_zone": row[3],
                           "bay_type": row[4], "tariff_eur_h": row[5],
                           "free_since": row[6].isoformat() if row[6] else None,
                           "walk_m": round(walk, 1), "straight_m": round(float(row[7]), 1)}})
    features.sort(key=lambda f: (f["properties"]["walk_m"], f["id"]))
    return features[:count]


def free_spaces(cur, jurisdiction: str, by: str) -> dict:
    """Bays by state per street or zone, and the car parks' free spaces."""
    if by not in GROUPINGS:
        raise InvalidParameter(f"by: {by!r} is not one of {', '.join(GROUPINGS)}")
    cur.execute(sql.SQL(FREE_BY_SQL).format(column=sql.Identifier(GROUPINGS[by])),
                {"j": jurisdiction})
    groups = [dict(zip(("name", "free", "occupied", "unknown", "closed", "bays"), row))
              for row in cur.fetchall()]
    cur.execute(LOTS_SQL, {"j": jurisdiction})
    lots = [{"lot_id": lot_id, "name": name, "capacity": capacity, "free_spaces": free,
             "updated_at": updated.isoformat() if updated else None}
            for lot_id, name, capacity, free, updated in cur.fetchall()]
    return {"by": by, "groups": groups, "car_parks": lots}


def occupancy(cur, jurisdiction: str, level: str, ident: str, start: datetime,
              end: datetime) -> list[dict]:
    """Hourly occupancy share of one bay, street or zone over [start, end)."""
    columns = {"bay": "bay_id", **GROUPINGS}
    if level not in columns:
        raise InvalidParameter(f"level: {level!r} is not one of {', '.join(columns)}")
    if end <= start:
        raise InvalidParameter("end: must be after start")
    if (end - start).days > 366:
        raise InvalidParameter("start/end: at most a year at a time")
    query = sql.SQL(OCCUPANCY_SQL).format(
        column=sql.SQL("b.{}").format(sql.Identifier(columns[level])))
    cur.execute(query, {"j": jurisdiction, "start": start, "end": end, "id": ident})
    return [{"hour": hour.isoformat(), "occupancy": None if share is None else round(share, 3),
             "readings": readings, "bays": bays} for hour, share, readings, bays in cur.fetchall()]


def violations(cur, jurisdiction: str, grace_min: int = VIOLATION_GRACE_MIN) -> list[dict]:
    """Paying bays occupied past the grace time with no paid session now (for the wardens)."""
    cur.execute(VIOLATIONS_SQL, {"j": jurisdiction, "grace": grace_min})
    return [{"type": "Feature", "id": bay, "geometry": json.loads(geometry),
             "properties": {"bay_id": bay, "street": street, "parking_zone": zone,
                            "tariff_eur_h": tariff, "occupied_since": since.isoformat(),
                            "occupied_min": minutes, "last_session_plate": plate,
                            "last_session_ended": ended.isoformat() if ended else None}}
            for bay, street, zone, tariff, since, minutes, plate, ended, geometry
            in cur.fetchall()]


def usage_by_zone_day(cur, jurisdiction: str, start: str, end: str,
                      tz: str = TIME_ZONE) -> list[tuple]:
    """(zone, day, bays, readings, occupancy share) per zone and local day."""
    cur.execute(USAGE_SQL, {"j": jurisdiction, "start": start, "end": end, "tz": tz})
    return cur.fetchall()


def wifi_alerts(cur, jurisdiction: str, saturated_at: int) -> list[dict]:
    """Access points down, unknown, or with at least ``saturated_at`` clients."""
    cur.execute(WIFI_ALERTS_SQL, {"j": jurisdiction, "saturated": saturated_at})
    return [{"type": "Feature", "id": ap, "geometry": json.loads(geometry),
             "properties": {"ap_id": ap, "name": name, "status": status, "clients_now": clients,
                            "status_since": since.isoformat() if since else None,
                            "alert": alert}}
            for ap, name, status, clients, since, alert, geometry in cur.fetchall()]


SESSION_UPSERT_SQL = """
INSERT INTO parking_sessions (jurisdiction_id, session_ref, bay_id, plate, starts_at, ends_at)
VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT ON CONSTRAINT parking_sessions_natural_key DO UPDATE
  SET bay_id = excluded.bay_id, plate = excluded.plate, starts_at = excluded.starts_at,
      ends_at = excluded.ends_at
RETURNING (xmax = 0) AS created
"""

BAY_EXISTS_SQL = "SELECT 1 FROM parking_bays WHERE jurisdiction_id = %s AND bay_id = %s"


def bay_exists(cur, jurisdiction: str, bay_id: str) -> bool:
    cur.execute(BAY_EXISTS_SQL, (jurisdiction, bay_id))
    return cur.fetchone() is not None


def record_session(cur, jurisdiction: str, session_ref: str, bay_id: str, plate: str | None,
                   starts_at, ends_at) -> bool:
    """A paid session, as the payment app reports it (again: updated); True when it is new."""
    cur.execute(SESSION_UPSERT_SQL, (jurisdiction, session_ref, bay_id, plate, starts_at, ends_at))
    return cur.fetchone()[0]
