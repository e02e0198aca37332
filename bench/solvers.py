"""VROOM (pyvroom) and OR-Tools on dimos's crew-routing problem, beside dimos's own solver
(vrp.solver.solve, PyVRP), for `bench.crews`.

Each takes what dimos's solver takes — the travel-time matrix, the jobs with service times,
skills and priorities, the crews with depots, shifts and skills — under the same time limit,
and answers routes the same way, so that a plan's cost is computed alike for all: the drive
along the routes plus, for each job left out, the penalty of leaving it
(vrp.solver.PRIORITY_PENALTY_S × its priority), the objective all three minimise.
"""
from __future__ import annotations

from datetime import timedelta

import vroom
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from vrp.solver import PRIORITY_PENALTY_S, UNREACHABLE, Crew, Job, Route, Visit, route_through


def plan_cost(routes: list[Route], unassigned: list[str], jobs: list[Job]) -> int:
    """Drive seconds plus the penalty of every job left out."""
    priority = {job.key: job.priority for job in jobs}
    return sum(route.drive_s for route in routes) + sum(
        PRIORITY_PENALTY_S * max(1, priority[key]) for key in unassigned)


def _skill_numbers(jobs: list[Job], crews: list[Crew]) -> dict[str, int]:
    names = sorted({job.skill for job in jobs}.union(*(crew.skills for crew in crews)))
    return {name: number for number, name in enumerate(names, start=1)}


def vroom_solve(matrix: list[list[int]], jobs: list[Job], crews: list[Crew],
                time_limit_s: float) -> tuple[list[Route], list[str]]:
    """VROOM at its highest exploration level, one thread, stopped at the time limit."""
    skills = _skill_numbers(jobs, crews)
    problem = vroom.Input()
    problem.set_durations_matrix(profile="car", matrix_input=matrix)
    for number, crew in enumerate(crews):
        problem.add_vehicle(vroom.Vehicle(
            id=number, start=crew.node, end=crew.node,
            skills={skills[name] for name in crew.skills},
            time_window=vroom.TimeWindow(crew.shift_start_s, crew.shift_end_s)))
    problem.add_job([vroom.Job(id=number, location=job.node, default_service=job.service_s,
                               skills={skills[job.skill]}, priority=min(100, job.priority))
                     for number, job in enumerate(jobs)])
    solution = problem.solve(exploration_level=5, nb_threads=1,
                             timeout=timedelta(seconds=time_limit_s))
    stops: dict[int, list[Job]] = {number: [] for number in range(len(crews))}
    routes = solution.routes
    for vehicle, kind, job_id in zip(routes["vehicle_id"], routes["type"], routes["id"]):
        if kind == "job":
            stops[int(vehicle)].append(jobs[int(job_id)])
    served = {job.key for route in stops.values() for job in route}
    return ([route_through(matrix, crew, stops[number]) for number, crew in enumerate(crews)],
            [job.key for job in jobs if job.key not in served])


def ortools_solve(matrix: list[list[int]], jobs: list[Job], crews: list[Crew],
                  time_limit_s: float) -> tuple[list[Route], list[str]]:
    """OR-Tools' routing solver (dimos's before PyVRP): guided local search from the
    cheapest arc, jobs as disjunctions with the same penalty, skills as vehicle domains."""
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


