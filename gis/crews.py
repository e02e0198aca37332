"""Open requests grouped into clusters, and crews' routes planned on the real road network.

Vehicles drive on the road graph without pedestrian streets, one-ways respected (pgRouting's
reverse cost is negative against the flow). A request is reached from the nearest drivable
vertex; the walk from there and back is added to its service time. Travel times come from
pgRouting's cost matrix, the assignment and order from the solver in ``vrp/solver.py``.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from psycopg2 import sql

from gis.errors import InvalidParameter
from gis.routing import snap_to_vertices
from vrp import solver as vrp

#: road classes a crew's vehicle may not drive on
NOT_DRIVABLE = ("pedestrian", "footway", "path", "steps", "cycleway", "bridleway", "corridor")
WALK_SPEED_MS = 1.3
MAX_WALK_M = 300.0  # farther than this from a drivable street: outside the network
DEFAULT_SERVICE_MIN = 20
MAX_REQUESTS = 2000
MAX_CREWS = 50
MAX_TIME_LIMIT_S = 120.0
OPEN_STATES = ("open", "acknowledged", "in_progress")

CLUSTER_SQL = """
SELECT cluster, count(*) AS size, array_agg(DISTINCT service_code ORDER BY service_code),
       min(requested_at), array_agg(service_request_id ORDER BY requested_at),
       ST_AsGeoJSON(ST_Transform(ST_Buffer(ST_ConvexHull(ST_Collect(geom)), 10), 4326), 7)
FROM (
  SELECT r.*, ST_ClusterDBSCAN(r.geom, eps => %s, minpoints => %s)
           OVER (PARTITION BY CASE WHEN %s THEN r.service_code END) AS cluster,
         CASE WHEN %s THEN r.service_code END AS part
  FROM service_requests r
  WHERE r.jurisdiction_id = %s AND r.status = ANY(%s) {where}
) AS clustered
WHERE cluster IS NOT NULL
GROUP BY part, cluster
ORDER BY count(*) DESC, min(requested_at)
"""

REQUESTS_SQL = """
SELECT r.service_request_id, r.service_code, r.requested_at, r.expected_at, r.status,
       ST_AsBinary(r.geom), ST_X(ST_Transform(r.geom, 4326)), ST_Y(ST_Transform(r.geom, 4326))
FROM service_requests r
WHERE r.jurisdiction_id = %s AND r.status = ANY(%s) {where}
ORDER BY r.requested_at
LIMIT %s
"""

MATRIX_SQL = """
SELECT start_vid, end_vid, agg_cost FROM pgr_dijkstraCostMatrix(%s, %s::bigint[], directed => true)
"""

LEG_SQL = """
SELECT ST_AsGeoJSON(ST_Transform(ST_LineMerge(ST_Collect(r.geom ORDER BY d.path_seq)), 4326), 7)
FROM pgr_dijkstra(%s, %s::bigint, %s::bigint, directed => true) AS d
JOIN roads r ON r.id = d.edge
"""


def drivable_edges_sql(cur, jurisdiction: str) -> str:
    """pgRouting's edges query (a string it runs itself), with every value quoted literally."""
    return sql.SQL(
        "SELECT id, source, target, cost_s AS cost, reverse_cost_s AS reverse_cost FROM roads "
        "WHERE jurisdiction_id = {} AND NOT (road_class = ANY({}))"
    ).format(sql.Literal(jurisdiction), sql.Literal(list(NOT_DRIVABLE))).as_string(cur)


def selection(ids: list[str] | None = None, cql=None, layer=None) -> tuple[sql.Composable, list]:
    """An extra WHERE on open requests: these ids, or a CQL2 filter (pygeofilter AST)."""
    if ids is not None:
        return sql.SQL("AND r.service_request_id = ANY(%s)"), [list(ids)]
    if cql is not None:
        from gis.cql import cql_to_sql

        clause, params = cql_to_sql(cql, layer)
        return sql.SQL("AND ({})").format(clause), params
    return sql.SQL(""), []


def clusters(cur, jurisdiction: str, eps_m: float, min_points: int, by_category: bool,
             where: tuple[sql.Composable, list] = (sql.SQL(""), [])) -> list[dict]:
    """DBSCAN clusters of open requests: size, categories, oldest request, hull (CRS84)."""
    if not 5 <= eps_m <= 5000:
        raise InvalidParameter("eps: 5–5000 m")
    if not 1 <= min_points <= 1000:
        raise InvalidParameter("min_points: 1–1000")
    clause, params = where
    cur.execute(sql.SQL(CLUSTER_SQL).format(where=clause),
                [eps_m, min_points, by_category, by_category, jurisdiction, list(OPEN_STATES),
                 *params])
    return [{"type": "Feature", "geometry": json.loads(hull),
             "properties": {"size": size, "categories": categories,
                            "oldest": oldest.isoformat(), "requests": ids}}
            for _, size, categories, oldest, ids, hull in cur.fetchall()]


def open_requests(cur, jurisdiction: str,
                  where: tuple[sql.Composable, list] = (sql.SQL(""), [])) -> list[tuple]:
    clause, params = where
    cur.execute(sql.SQL(REQUESTS_SQL).format(where=clause),
                [jurisdiction, list(OPEN_STATES), *params, MAX_REQUESTS + 1])
    found = cur.fetchall()
    if len(found) > MAX_REQUESTS:
        raise InvalidParameter(f"requests: more than {MAX_REQUESTS}; narrow the filter")
    return found


def snap(cur, jurisdiction: str, places: dict[str, bytes]) -> dict[str, tuple[int, float]]:
    """Each place's nearest drivable vertex and the walk to it (m)."""
    if not places:
        return {}
    return snap_to_vertices(cur, jurisdiction, places, NOT_DRIVABLE)


def cost_matrix(cur, jurisdiction: str, vertices: list[int]) -> list[list[int]]:
    """Drive times (s) between ``vertices`` in both directions; UNREACHABLE where none."""
    unique = sorted(set(vertices))
    cur.execute(MATRIX_SQL, (drivable_edges_sql(cur, jurisdiction), unique))
    seconds = {(a, b): cost for a, b, cost in cur.fetchall()}
    return [[0 if a == b else int(round(seconds.get((a, b), vrp.UNREACHABLE)))
             for b in vertices] for a in vertices]


def leg_geometry(cur, jurisdiction: str, start: int, end: int) -> dict | None:
    if start == end:
        return None
    cur.execute(LEG_SQL, (drivable_edges_sql(cur, jurisdiction), start, end))
    row = cur.fetchone()
    return json.loads(row[0]) if row and row[0] else None


@dataclass(frozen=True)
class CrewInput:
    key: str
    depot: bytes  # WKB in EPSG:2100
    shift_start: datetime
    shift_end: datetime
    skills: frozenset[str]


def plan_routes(cur, jurisdiction: str, requests: list[tuple], crews: list[CrewInput],
                service_min: dict[str, float], priorities: dict[str, int],
                time_limit_s: float, solver=vrp.solve, named: bool = False) -> dict:
    """Routes for ``crews`` over ``requests`` (rows of REQUESTS_SQL); what was left and why.

    ``named``: the caller listed the requests one by one, so one off the road network is a
    mistake in the input (InvalidParameter), not something to leave out quietly.
    """
    if not crews:
        raise InvalidParameter("crews: at least one crew")
    origin = min(crew.shift_start for crew in crews)
    places = {f"crew:{c.key}": c.depot for c in crews}
    places.update({f"request:{r[0]}": bytes(r[5]) for r in requests})
    snapped = snap(cur, jurisdiction, places)
    for crew in crews:
        vertex_walk = snapped.get(f"crew:{crew.key}")
        if vertex_walk is None or vertex_walk[1] > MAX_WALK_M:
            raise InvalidParameter(f"crews: the depot of crew {crew.key} is not by a drivable "
                                   "street of the network")
    off_network = sorted(number for number, *_ in requests
                         if snapped.get(f"request:{number}", (None, float("inf")))[1] > MAX_WALK_M)
    if named and off_network:
        raise InvalidParameter(f"requests: outside the road network (more than {MAX_WALK_M:.0f} m "
                               f"from a drivable street): {', '.join(off_network[:10])}")
    unassigned, candidates = [], []
    where = {r[0]: [round(r[6], 7), round(r[7], 7)] for r in requests}
    for number, code, requested, expected, status, *_ in requests:
        vertex, walk = snapped.get(f"request:{number}", (None, float("inf")))
        if walk > MAX_WALK_M:
            unassigned.append({"request": number, "reason": f"outside the road network "
                               f"({walk:.0f} m from the nearest drivable street)"})
        elif not any(code in crew.skills for crew in crews):
            unassigned.append({"request": number, "reason": f"no crew has the skill {code}"})
        else:
            candidates.append((number, code, vertex, walk, expected))
    vertices = [snapped[f"crew:{c.key}"][0] for c in crews] + [c[2] for c in candidates]
    matrix = cost_matrix(cur, jurisdiction, vertices)
    jobs = []
    for offset, (number, code, _, walk, expected) in enumerate(candidates):
        node = len(crews) + offset
        reachable = any(matrix[c][node] < vrp.UNREACHABLE and matrix[node][c] < vrp.UNREACHABLE
                        for c in range(len(crews)))
        if not reachable:
            unassigned.append({"request": number, "reason": "no crew's depot can reach it by "
                                                            "road and return"})
            continue
        service_s = int(60 * service_min.get(code, DEFAULT_SERVICE_MIN) + 2 * walk / WALK_SPEED_MS)
        jobs.append(vrp.Job(number, node, service_s, code, priorities.get(number, 1)))
    fleet = [vrp.Crew(c.key, i, _seconds(c.shift_start, origin), _seconds(c.shift_end, origin),
                      c.skills) for i, c in enumerate(crews)]
    started = time.perf_counter()
    routes, dropped = solver(matrix, jobs, fleet, time_limit_s) if jobs else (
        [vrp.Route(c.key, [], 0, 0, c.shift_start_s) for c in fleet], [])
    solver_s = time.perf_counter() - started
    unassigned += [{"request": key, "reason": "does not fit in any crew's shift with the "
                                              "skills it needs"} for key in dropped]
    by_key = {c[0]: c for c in candidates}
    depot_vertex = {c.key: snapped[f"crew:{c.key}"][0] for c in crews}
    plan = []
    for route in routes:
        path = [depot_vertex[route.crew]] + [by_key[v.job][2] for v in route.visits] + \
               [depot_vertex[route.crew]]
        legs = [g for a, b in zip(path, path[1:]) if (g := leg_geometry(cur, jurisdiction, a, b))]
        plan.append({
            "crew": route.crew,
            "stops": [{"order": i + 1, "request": v.job, "location": where[v.job],
                       "arrival": (origin + timedelta(seconds=v.arrival_s)).isoformat(),
                       "walk_m": round(by_key[v.job][3], 1)}
                      for i, v in enumerate(route.visits)],
            "drive_s": route.drive_s, "work_s": route.work_s,
            "back_at_depot": (origin + timedelta(seconds=route.end_s)).isoformat(),
            "route": {"type": "MultiLineString",
                      "coordinates": [line for g in legs for line in _lines(g)]},
        })
    return {"routes": plan, "unassigned": unassigned,
            "total_drive_s": sum(r["drive_s"] for r in plan), "solver_s": round(solver_s, 3)}


def _lines(geometry: dict) -> list:
    return geometry["coordinates"] if geometry["type"] == "MultiLineString" \
        else [geometry["coordinates"]]


def _seconds(moment: datetime, origin: datetime) -> int:
    return int((moment - origin).total_seconds())
