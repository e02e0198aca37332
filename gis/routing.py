"""The road network's routing topology: vertices and source/target ids for pgRouting."""
from __future__ import annotations

# Endpoints closer than this (metres, EPSG:2100) are one vertex: segments meet at shared
# OSM nodes, so 1 cm only absorbs the rounding of the reprojection.
SNAP_M = 0.01

CLEAR_VERTICES_SQL = "DELETE FROM road_vertices WHERE jurisdiction_id = %(j)s"

INSERT_VERTICES_SQL = """
INSERT INTO road_vertices (jurisdiction_id, geom)
SELECT DISTINCT %(j)s, ST_SnapToGrid(endpoint, %(snap)s)
FROM (
    SELECT ST_StartPoint(geom) AS endpoint FROM roads WHERE jurisdiction_id = %(j)s
    UNION ALL
    SELECT ST_EndPoint(geom) FROM roads WHERE jurisdiction_id = %(j)s
) AS endpoints
"""

ASSIGN_SOURCE_TARGET_SQL = """
UPDATE roads AS r
SET source = s.id, target = t.id
FROM road_vertices AS s, road_vertices AS t
WHERE r.jurisdiction_id = %(j)s
  AND s.jurisdiction_id = %(j)s AND t.jurisdiction_id = %(j)s
  AND s.geom ~= ST_SnapToGrid(ST_StartPoint(r.geom), %(snap)s)
  AND t.geom ~= ST_SnapToGrid(ST_EndPoint(r.geom), %(snap)s)
"""

COMPONENTS_SQL = """
SELECT count(DISTINCT component)
FROM pgr_connectedComponents(
    format('SELECT id, source, target, cost_s AS cost, abs(reverse_cost_s) AS reverse_cost
            FROM roads WHERE jurisdiction_id = %%L', %(j)s::text)
)
"""


# Each place's nearest vertex on a road open to the mode of travel, and the walk to it: the
# nearest usable edge first (GiST), then the nearer of its two ends
SNAP_SQL = """
SELECT input.key, v.id, ST_Distance(p.geom, v.geom)
FROM unnest(%(keys)s::text[], %(wkbs)s::bytea[]) AS input(key, wkb)
CROSS JOIN LATERAL (SELECT ST_GeomFromWKB(input.wkb, 2100) AS geom) AS p
CROSS JOIN LATERAL (
  SELECT r.source, r.target FROM roads r
  WHERE r.jurisdiction_id = %(jurisdiction)s AND NOT (r.road_class = ANY(%(excluded)s))
  ORDER BY r.geom <-> p.geom LIMIT 1) AS e
CROSS JOIN LATERAL (
  SELECT rv.id, rv.geom FROM road_vertices rv WHERE rv.id IN (e.source, e.target)
  ORDER BY rv.geom <-> p.geom LIMIT 1) AS v
"""


# A one-way stub's end may lead nowhere: a destination (or start) on a directed network is
# reached through any end of the few streets nearest it, whichever the network connects best
NEARBY_VERTICES_SQL = """
SELECT input.key, v.id, ST_Distance(p.geom, v.geom)
FROM unnest(%(keys)s::text[], %(wkbs)s::bytea[]) AS input(key, wkb)
CROSS JOIN LATERAL (SELECT ST_GeomFromWKB(input.wkb, 2100) AS geom) AS p
CROSS JOIN LATERAL (
  SELECT DISTINCT ends.vertex FROM (
    SELECT r.source, r.target FROM roads r
    WHERE r.jurisdiction_id = %(jurisdiction)s AND NOT (r.road_class = ANY(%(excluded)s))
    ORDER BY r.geom <-> p.geom LIMIT %(streets)s) AS e
  CROSS JOIN LATERAL (VALUES (e.source), (e.target)) AS ends(vertex)) AS near
JOIN road_vertices v ON v.id = near.vertex
ORDER BY input.key, 3
"""


def nearby_vertices(cur, jurisdiction: str, places: dict[str, bytes], excluded_classes,
                    streets: int = 3) -> dict[str, list[tuple[int, float]]]:
    """Each place (key → WKB in EPSG:2100) → the ends of the ``streets`` usable streets nearest
    it, as (vertex, metres to it), nearest first."""
    cur.execute(NEARBY_VERTICES_SQL, {"keys": list(places), "wkbs": list(places.values()),
                                      "jurisdiction": jurisdiction,
                                      "excluded": list(excluded_classes), "streets": streets})
    found: dict[str, list[tuple[int, float]]] = {}
    for key, vertex, metres in cur.fetchall():
        found.setdefault(key, []).append((vertex, float(metres)))
    return found


def snap_to_vertices(cur, jurisdiction: str, places: dict[str, bytes],
                     excluded_classes) -> dict[str, tuple[int, float]]:
    """Each place (key → WKB in EPSG:2100) → (nearest usable vertex, metres to it)."""
    cur.execute(SNAP_SQL, {"keys": list(places), "wkbs": list(places.values()),
                           "jurisdiction": jurisdiction, "excluded": list(excluded_classes)})
    return {key: (vertex, float(walk)) for key, vertex, walk in cur.fetchall()}


def build_topology(cur, jurisdiction_id: str) -> int:
    """Rebuild the road vertices of one municipality and set every road's source/target.

    Returns the number of vertices. Runs in the caller's transaction.
    """
    params = {"j": jurisdiction_id, "snap": SNAP_M}
    cur.execute(CLEAR_VERTICES_SQL, params)
    cur.execute(INSERT_VERTICES_SQL, params)
    vertices = cur.rowcount
    cur.execute(ASSIGN_SOURCE_TARGET_SQL, params)
    return vertices


def connected_components(cur, jurisdiction_id: str) -> int:
    """How many disconnected pieces the municipality's road network has (1: all routable)."""
    cur.execute(COMPONENTS_SQL, {"j": jurisdiction_id})
    return cur.fetchone()[0]
