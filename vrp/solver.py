"""Crew routing as a vehicle routing problem, solved by OR-Tools under a hard time limit.

Pure computation, no database: a travel-time matrix (seconds, asymmetric: one-way streets),
jobs with service times, skills and priorities, crews with depots, shifts and skills. Jobs
that cannot be served are left out with a penalty rather than making the problem infeasible,
so a plan always comes back, with what it could not do.
"""
from __future__ import annotations

from dataclasses import dataclass

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

UNREACHABLE = 10 ** 7  # seconds: an arc no route may take
PRIORITY_PENALTY_S = 4 * 3600  # leaving out a priority-1 job costs as much as 4 h of driving


@dataclass(frozen=True)
class Job:
    key: str
    node: int  # index in the matrix
    service_s: int
    skill: str
    priority: int = 1  # higher is more urgent


@dataclass(frozen=True)
class Crew:
    key: str
    node: int  # the depot's index in the matrix
    shift_start_s: int
    shift_end_s: int
    skills: frozenset[str]


@dataclass
class Visit:
    job: str
    arrival_s: int


@dataclass
class Route:
    crew: str
    visits: list[Visit]
    drive_s: int
    work_s: int
    end_s: int


def solve(matrix: list[list[int]], jobs: list[Job], crews: list[Crew],
          time_limit_s: float) -> tuple[list[Route], list[str]]:
    """Routes per crew and the keys of the jobs left out (the caller says why)."""
    nodes = [crew.node for crew in crews] + [job.node for job in jobs]
    size = len(nodes)
    manager = pywrapcp.RoutingIndexManager(size, len(crews), list(range(len(crews))),
                                           list(range(len(crews))))
    routing = pywrapcp.RoutingModel(manager)
    service = [0] * len(crews) + [job.service_s for job in jobs]

    def drive(i: int, j: int) -> int:
        return min(matrix[nodes[i]][nodes[j]], UNREACHABLE)

    def drive_callback(from_index: int, to_index: int) -> int:
        return drive(manager.IndexToNode(from_index), manager.IndexToNode(to_index))

    def time_callback(from_index: int, to_index: int) -> int:
        i = manager.IndexToNode(from_index)
        return drive(i, manager.IndexToNode(to_index)) + service[i]

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(drive_callback))
    horizon = max(crew.shift_end_s for crew in crews)
    routing.AddDimension(routing.RegisterTransitCallback(time_callback), 0, horizon, False, "time")
    clock = routing.GetDimensionOrDie("time")
    for v, crew in enumerate(crews):
        clock.CumulVar(routing.Start(v)).SetRange(crew.shift_start_s, crew.shift_end_s)
        clock.CumulVar(routing.End(v)).SetRange(crew.shift_start_s, crew.shift_end_s)
    for offset, job in enumerate(jobs):
        index = manager.NodeToIndex(len(crews) + offset)
        routing.AddDisjunction([index], PRIORITY_PENALTY_S * max(1, job.priority))
        # skills: crews without the job's skill are taken out of its vehicle domain
        # (SetAllowedVehiclesForIndex's binding rejects Python lists in OR-Tools 9.15)
        unskilled = [v for v, crew in enumerate(crews) if job.skill not in crew.skills]
        if unskilled:
            routing.VehicleVar(index).RemoveValues(unskilled)

    parameters = pywrapcp.DefaultRoutingSearchParameters()
    parameters.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    parameters.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH)
    parameters.time_limit.FromMilliseconds(max(100, int(time_limit_s * 1000)))
    solution = routing.SolveWithParameters(parameters)
    if solution is None:
        return [Route(c.key, [], 0, 0, c.shift_start_s) for c in crews], [j.key for j in jobs]

    routes, served = [], set()
    for v, crew in enumerate(crews):
        index, visits, drive_s, work_s = routing.Start(v), [], 0, 0
        while not routing.IsEnd(index):
            following = solution.Value(routing.NextVar(index))
            node = manager.IndexToNode(index)
            if node >= len(crews):
                job = jobs[node - len(crews)]
                visits.append(Visit(job.key, solution.Value(clock.CumulVar(index))))
                served.add(job.key)
                work_s += job.service_s
            drive_s += drive(node, manager.IndexToNode(following))
            index = following
        routes.append(Route(crew.key, visits, drive_s, work_s,
                            solution.Value(clock.CumulVar(index))))
    return routes, [job.key for job in jobs if job.key not in served]


def nearest_neighbour(matrix: list[list[int]], jobs: list[Job],
                      crews: list[Crew]) -> tuple[list[Route], list[str]]:
    """The baseline a dispatcher might do by hand: each crew in turn takes the nearest job it
    can serve and still get home within its shift."""
    left = {job.key: job for job in jobs}
    routes = []
    for crew in crews:
        at, clock, visits, drive_s, work_s = crew.node, crew.shift_start_s, [], 0, 0
        while True:
            best = None
            for job in left.values():
                if job.skill not in crew.skills:
                    continue
                there = matrix[at][job.node]
                back = matrix[job.node][crew.node]
                if there >= UNREACHABLE or back >= UNREACHABLE:
                    continue
                if clock + there + job.service_s + back > crew.shift_end_s:
                    continue
                if best is None or there < best[0]:
                    best = (there, job)
            if best is None:
                break
            there, job = best
            clock += there
            visits.append(Visit(job.key, clock))
            clock += job.service_s
            drive_s += there
            work_s += job.service_s
            at = job.node
            del left[job.key]
        home = matrix[at][crew.node] if visits else 0
        routes.append(Route(crew.key, visits, drive_s + home, work_s, clock + home))
    return routes, list(left)
