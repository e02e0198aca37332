"""Crew routing as a vehicle routing problem, solved by PyVRP under a hard time limit.

Pure computation, no database: a travel-time matrix (seconds, asymmetric: one-way streets),
jobs with service times, skills and priorities, crews with depots, shifts and skills. Jobs
that cannot be served are left out with a penalty rather than making the problem infeasible,
so a plan always comes back, with what it could not do.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from pyvrp import Model
from pyvrp.stop import MaxRuntime

UNREACHABLE = 10 ** 7  # seconds: an arc no route may take
PRIORITY_PENALTY_S = 4 * 3600  # leaving out a priority-1 job costs as much as 4 h of driving
MIN_SEARCH_S = 0.1  # the search's own time when building the model took the whole limit
OVERRUN_S = 0.25  # kept back from the limit for the search's last iteration


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
    """Routes per crew and the keys of the jobs left out (the caller says why).

    PyVRP's hybrid genetic search: drive seconds are the cost, every job is optional with
    PRIORITY_PENALTY_S × its priority as the prize of serving it, each crew's shift is its
    vehicle's time window, and a crew without a job's skill drives on a routing profile of its
    own in which that job cannot be reached. The time limit covers building the model too."""
    started = time.perf_counter()
    model = Model()
    depot_nodes = list(dict.fromkeys(crew.node for crew in crews))
    places = [(node, model.add_location(x=0, y=0), None) for node in depot_nodes] + [
        (job.node, model.add_location(x=0, y=0), job) for job in jobs]
    depots = {node: model.add_depot(location) for node, location, _ in places[:len(depot_nodes)]}
    for _, location, job in places[len(depot_nodes):]:
        model.add_client(location, service_duration=job.service_s, required=False,
                         prize=PRIORITY_PENALTY_S * max(1, job.priority))
    profiles = {skills: model.add_profile() for skills in dict.fromkeys(c.skills for c in crews)}
    for crew in crews:
        model.add_vehicle_type(num_available=1, start_depot=depots[crew.node],
                               end_depot=depots[crew.node], tw_early=crew.shift_start_s,
                               tw_late=crew.shift_end_s, profile=profiles[crew.skills])
    for skills, profile in profiles.items():
        for frm_node, frm, _ in places:
            for to_node, to, job in places:
                if frm is to:
                    continue
                drive_s = UNREACHABLE if job is not None and job.skill not in skills \
                    else min(matrix[frm_node][to_node], UNREACHABLE)
                model.add_edge(frm, to, distance=drive_s, duration=drive_s, profile=profile)
    # the search checks its clock between iterations and overruns by one (~0.1 s measured)
    left_s = max(MIN_SEARCH_S, time_limit_s - (time.perf_counter() - started) - OVERRUN_S)
    best = model.solve(stop=MaxRuntime(left_s), display=False).best
    stops: dict[int, list[Job]] = {number: [] for number in range(len(crews))}
    if best.is_feasible():  # else serve none: an empty plan always fits the shifts
        for route in best.routes():
            stops[route.vehicle_type()] = [jobs[visit.idx] for visit in route.schedule()
                                           if visit.is_client()]
    served = {job.key for route in stops.values() for job in route}
    return ([route_through(matrix, crew, stops[number]) for number, crew in enumerate(crews)],
            [job.key for job in jobs if job.key not in served])


def route_through(matrix: list[list[int]], crew: Crew, stops: list[Job]) -> Route:
    """A crew's route through ``stops`` in order, from its shift's start: arrivals, drive
    (home included), work."""
    clock, at, visits, drive_s, work_s = crew.shift_start_s, crew.node, [], 0, 0
    for job in stops:
        drive_s += matrix[at][job.node]
        clock += matrix[at][job.node]
        visits.append(Visit(job.key, clock))
        clock += job.service_s
        work_s += job.service_s
        at = job.node
    home = matrix[at][crew.node] if stops else 0
    return Route(crew.key, visits, drive_s + home, work_s, clock + home)


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
