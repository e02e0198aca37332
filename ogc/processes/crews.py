"""The `request-clusters` and `plan-crew-routes` processes (gis/crews.py does the work)."""
from __future__ import annotations

from datetime import datetime

import shapely

import layers
from gis import crews
from gis.access_rules import process_municipality
from gis.cql_parse import parse_filter_crs84
from gis.errors import InvalidParameter
from gis.jurisdictions import jurisdiction_ids
from ogc.principal import current_principal
from ogc.processes import DimosProcessor, read_geometry, read_number, to_storage

_JURISDICTION = {"title": "Municipality (jurisdiction id); the only one when absent",
                 "schema": {"type": "string"}, "minOccurs": 0, "maxOccurs": 1}
_FILTER = {"title": "CQL2 text filter over open requests (geometries in CRS84)",
           "schema": {"type": "string"}, "minOccurs": 0, "maxOccurs": 1}

CLUSTERS_METADATA = {
    "version": "1.0.0", "id": "request-clusters",
    "title": {"el": "Ομάδες αιτημάτων", "en": "Request clusters"},
    "description": {"el": "Τα ανοιχτά αιτήματα σε γεωγραφικές ομάδες (DBSCAN, απόσταση σε μέτρα).",
                    "en": "Open requests grouped into geographic clusters (DBSCAN, distance in "
                          "metres), with size, categories, oldest request and hull."},
    "jobControlOptions": ["sync-execute"], "outputTransmission": ["value"],
    "keywords": ["clusters", "requests"], "links": [],
    "inputs": {
        "eps": {"title": "Neighbourhood distance (m)", "minOccurs": 0, "maxOccurs": 1,
                "schema": {"type": "number", "minimum": 5, "maximum": 5000, "default": 100}},
        "min_points": {"title": "Requests that make a cluster", "minOccurs": 0, "maxOccurs": 1,
                       "schema": {"type": "integer", "minimum": 1, "default": 3}},
        "by_category": {"title": "Cluster each category apart", "minOccurs": 0, "maxOccurs": 1,
                        "schema": {"type": "boolean", "default": False}},
        "filter": _FILTER, "jurisdiction": _JURISDICTION,
    },
    "outputs": {"clusters": {"title": "GeoJSON FeatureCollection of cluster hulls (CRS84)",
                             "schema": {"type": "object",
                                        "contentMediaType": "application/geo+json"}}},
    "example": {"inputs": {"eps": 100, "min_points": 3}},
}

PLAN_METADATA = {
    "version": "1.0.0", "id": "plan-crew-routes",
    "title": {"el": "Δρομολόγια συνεργείων", "en": "Plan crew routes"},
    "description": {
        "el": "Ανάθεση αιτημάτων σε συνεργεία και σειρά επισκέψεων στο οδικό δίκτυο, μέσα στη "
              "βάρδια και με τις δεξιότητες κάθε συνεργείου.",
        "en": "Assigns open requests to crews and orders their visits on the road network, "
              "within each crew's shift and skills; drive times from pgRouting, the plan from "
              "PyVRP under a hard time limit."},
    "jobControlOptions": ["sync-execute", "async-execute"], "outputTransmission": ["value"],
    "keywords": ["routing", "crews", "VRP"], "links": [],
    "inputs": {
        "requests": {"title": "Request ids (service_request_id)", "minOccurs": 0, "maxOccurs": 1,
                     "schema": {"type": "array", "items": {"type": "string"}}},
        "filter": _FILTER,
        "crews": {"title": "Crews: id, depot (GeoJSON Point, CRS84), shift_start, shift_end "
                           "(ISO date-times with zone), skills (request categories)",
                  "minOccurs": 1, "maxOccurs": 1, "schema": {"type": "array"}},
        "service_minutes": {"title": "Minutes on site per category (default 20)",
                            "minOccurs": 0, "maxOccurs": 1, "schema": {"type": "object"}},
        "priorities": {"title": "Priority per request id (1 normal … 10 urgent)",
                       "minOccurs": 0, "maxOccurs": 1, "schema": {"type": "object"}},
        "time_limit_s": {"title": "Solver wall-clock limit (s)", "minOccurs": 0, "maxOccurs": 1,
                         "schema": {"type": "number", "minimum": 0.1, "maximum": 120,
                                    "default": 10}},
        "jurisdiction": _JURISDICTION,
    },
    "outputs": {"plan": {"title": "Routes per crew (stops, arrivals, drive/work time, route "
                                  "geometry) and the requests left unassigned with a reason",
                         "schema": {"type": "object", "contentMediaType": "application/json"}}},
    "example": {"inputs": {"crews": [{"id": "A", "depot": {"type": "Point",
                                                         "coordinates": [24.48, 35.364]},
                                      "shift_start": "2026-11-24T07:00:00+02:00",
                                      "shift_end": "2026-11-24T15:00:00+02:00",
                                      "skills": ["pothole", "sidewalk"]}],
                           "time_limit_s": 5}},
}
REQUESTS = layers.get("service_requests")
#: a day's shift on one site at most; priorities run 1 (normal) … 10 (urgent)
MAX_SERVICE_MINUTES, MAX_PRIORITY = 24 * 60, 10


def _jurisdiction(cur, value) -> str:
    """The municipality asked for, or the caller's one: a dispatcher's clusters and crew plans
    hold their municipality's requests only (Forbidden for another's)."""
    known = jurisdiction_ids(cur)
    if value is not None and value not in known:
        raise InvalidParameter(f"jurisdiction: one of {', '.join(known)}")
    value = process_municipality(current_principal(), value)
    if value is None and len(known) == 1:
        return known[0]
    if value not in known:
        raise InvalidParameter(f"jurisdiction: one of {', '.join(known)}")
    return value


def _selection(data):
    if "requests" in data and "filter" in data:
        raise InvalidParameter("give requests or filter, not both")
    if "requests" in data:
        ids = data["requests"]
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise InvalidParameter("requests: a list of request ids (strings)")
        return crews.selection(ids=ids)
    if "filter" in data:
        return crews.selection(cql=parse_filter_crs84(data["filter"], REQUESTS), layer=REQUESTS)
    return crews.selection()


def _when(name: str, value) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidParameter(f"{name}: {value!r} is not an ISO date-time") from None
    if moment.tzinfo is None:
        raise InvalidParameter(f"{name}: give a time zone (e.g. +02:00)")
    return moment


def _crews(cur, value) -> list[crews.CrewInput]:
    if not isinstance(value, list) or not value:
        raise InvalidParameter("crews: a non-empty list of crews")
    if len(value) > crews.MAX_CREWS:
        raise InvalidParameter(f"crews: at most {crews.MAX_CREWS}")
    parsed, seen = [], set()
    for n, crew in enumerate(value, 1):
        if not isinstance(crew, dict):
            raise InvalidParameter(f"crews[{n}]: an object with id, depot, shift_start, "
                                   "shift_end, skills")
        key = str(crew.get("id") or "").strip()
        if not key or key in seen:
            raise InvalidParameter(f"crews[{n}]: a unique id is required")
        seen.add(key)
        if "depot" not in crew:
            raise InvalidParameter(f"crew {key}: depot is required (a GeoJSON Point in CRS84)")
        depot = to_storage(cur, read_geometry(f"crew {key}: depot", crew["depot"], 4326,
                                              ("Point",)), 4326)
        start = _when(f"crew {key}: shift_start", crew.get("shift_start"))
        end = _when(f"crew {key}: shift_end", crew.get("shift_end"))
        if end <= start:
            raise InvalidParameter(f"crew {key}: shift_end must come after shift_start")
        if (end - start).total_seconds() > 24 * 3600:
            raise InvalidParameter(f"crew {key}: a shift of more than 24 h")
        skills = crew.get("skills")
        if not isinstance(skills, list) or not skills:
            raise InvalidParameter(f"crew {key}: skills is a non-empty list of categories")
        parsed.append(crews.CrewInput(key, shapely.to_wkb(depot), start, end,
                                      frozenset(map(str, skills))))
    return parsed


def _mapping(name: str, value, kind, low: float, high: float) -> dict:
    """An object of numbers within [low, high] (``kind`` int: whole numbers)."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and low <= v <= high
            and (kind is not int or int(v) == v) for v in value.values()):
        whole = "whole " if kind is int else ""
        raise InvalidParameter(f"{name}: an object of {whole}numbers within {low:g}…{high:g}")
    return {str(k): kind(v) for k, v in value.items()}


class RequestClustersProcessor(DimosProcessor):
    METADATA = CLUSTERS_METADATA

    def run(self, cur, data):
        by_category = data.get("by_category", False)
        if not isinstance(by_category, bool):
            raise InvalidParameter("by_category: true or false")
        found = crews.clusters(
            cur, _jurisdiction(cur, data.get("jurisdiction")),
            read_number("eps", data.get("eps"), 100, 5, 5000),
            int(read_number("min_points", data.get("min_points"), 3, 1, 1000)),
            by_category, _selection(data))
        return "application/geo+json", {"type": "FeatureCollection", "features": found}


class PlanCrewRoutesProcessor(DimosProcessor):
    METADATA = PLAN_METADATA

    def run(self, cur, data):
        jurisdiction = _jurisdiction(cur, data.get("jurisdiction"))
        fleet = _crews(cur, data.get("crews"))
        requests = crews.open_requests(cur, jurisdiction, _selection(data))
        if "requests" in data:
            missing = set(data["requests"]) - {r[0] for r in requests}
            if missing:
                raise InvalidParameter(f"requests: not open requests of {jurisdiction}: "
                                       f"{', '.join(sorted(missing)[:10])}")
        plan = crews.plan_routes(
            cur, jurisdiction, requests, fleet,
            _mapping("service_minutes", data.get("service_minutes"), float, 0,
                     MAX_SERVICE_MINUTES),
            _mapping("priorities", data.get("priorities"), int, 1, MAX_PRIORITY),
            read_number("time_limit_s", data.get("time_limit_s"), 10, 0.1,
                        crews.MAX_TIME_LIMIT_S), named="requests" in data)
        return "application/json", plan
