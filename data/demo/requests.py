"""Citizen requests 2019–2026 where people live, with reporters' (synthetic) contact data."""
from __future__ import annotations

import math
from datetime import timedelta

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import Point

from data.demo.common import DEMO_NOW, Land, layer_frame
from data.demo.services import DETAILS, Services

COUNT = 5600  # Rethymno's; other municipalities scale it by population
FIRST_YEAR = 2019

# Open311 service code → (Greek name, weight, description templates)
SERVICES = {
    "pothole": ("Λακκούβα στο οδόστρωμα", 20, ["Μεγάλη λακκούβα στο οδόστρωμα, επικίνδυνη για δίκυκλα.",
                                                "Λακκούβες μετά τη βροχή, χρειάζεται ασφαλτόστρωση."]),
    "street_light": ("Βλάβη οδοφωτισμού", 18, ["Δεν ανάβει η λάμπα του στύλου.",
                                               "Σβηστός ο φωτισμός σε όλο το τετράγωνο."]),
    "rubbish": ("Αποκομιδή απορριμμάτων", 22, ["Γεμάτοι κάδοι εδώ και μέρες.",
                                                "Ογκώδη αντικείμενα δίπλα στους κάδους."]),
    "graffiti": ("Γκράφιτι / ρύπανση προσόψεων", 5, ["Γκράφιτι σε δημόσιο κτίριο."]),
    "tree": ("Κλάδεμα / πτώση δέντρου", 8, ["Κλαδιά πάνω στα καλώδια.",
                                            "Πεσμένο δέντρο στο πεζοδρόμιο."]),
    "water_leak": ("Διαρροή νερού", 7, ["Τρέχει νερό από το φρεάτιο.", "Σπασμένος αγωγός."]),
    "illegal_parking": ("Παράνομη στάθμευση", 8, ["Αυτοκίνητο σε ράμπα ΑμεΑ.",
                                                  "Στάθμευση σε διάβαση πεζών."]),
    "stray_animals": ("Αδέσποτα ζώα", 5, ["Αγέλη αδέσποτων σκύλων στην περιοχή."]),
    "sidewalk": ("Φθορά πεζοδρομίου", 7, ["Σπασμένες πλάκες στο πεζοδρόμιο."]),
}
FIRST_NAMES = ["Γιώργος", "Μαρία", "Νίκος", "Ελένη", "Κώστας", "Κατερίνα", "Μανόλης", "Ειρήνη",
               "Γιάννης", "Σοφία", "Στέλιος", "Αργυρώ", "Μιχάλης", "Δέσποινα", "Αντώνης"]
SURNAMES = ["Παπαδάκης", "Μαρκάκη", "Σταυρουλάκης", "Βασιλάκη", "Κουτουλάκης", "Τζανάκη",
            "Ψαρουδάκης", "Δασκαλάκη", "Μανουσάκης", "Χαλκιαδάκη"]
LATIN = {"Γ": "G", "Μ": "M", "Ν": "N", "Ε": "E", "Κ": "K", "Σ": "S", "Α": "A", "Ι": "I",
         "Π": "P", "Β": "V", "Τ": "T", "Ψ": "Ps", "Δ": "D", "Χ": "Ch"}


def _status(age_days: float, rng: np.random.Generator) -> str:
    if age_days > 60:
        return str(rng.choice(["closed", "rejected", "duplicate", "in_progress"],
                              p=[0.86, 0.06, 0.05, 0.03]))
    return str(rng.choice(["open", "acknowledged", "in_progress", "closed"],
                          p=[0.35, 0.25, 0.2, 0.2]))


def _town_point(town_roads, land: Land, rng: np.random.Generator) -> Point:
    """A point a few metres beside a town street (where the pothole or the lamp is)."""
    while True:
        road = town_roads[int(rng.integers(0, len(town_roads)))]
        p = road.interpolate(rng.uniform(0, road.length))
        a = rng.uniform(0, 2 * math.pi)
        point = Point(p.x + 4 * math.cos(a), p.y + 4 * math.sin(a))
        if land.covers(point):
            return point


def _village_point(village, rng: np.random.Generator) -> Point:
    centre = village.representative_point()
    while True:
        r, a = abs(rng.normal(0, 90)), rng.uniform(0, 2 * math.pi)
        point = Point(centre.x + r * math.cos(a), centre.y + r * math.sin(a))
        if village.contains(point):
            return point


def build_requests(roads: gpd.GeoDataFrame, settlements: gpd.GeoDataFrame,
                   districts: gpd.GeoDataFrame, land: Land, services: Services,
                   rng: np.random.Generator, count: int = COUNT,
                   town_share: float = 0.72) -> gpd.GeoDataFrame:
    """``count`` requests, ``town_share`` of them beside town streets (Rethymno's town holds
    62.5% of its residents and more of the street furniture: 72%)."""
    town_roads = list(roads[roads["osm_id"].notna()].geometry)
    named = roads[roads["name"].notna() & roads["osm_id"].notna()]
    street_tree, street_names = shapely.STRtree(list(named.geometry)), list(named["name"])
    villages = settlements[settlements["name"] != services.town_name]
    weights = villages["population_2021"].to_numpy(float) + 20
    weights /= weights.sum()
    district_tree = shapely.STRtree(list(districts.geometry))
    settlement_tree = shapely.STRtree(list(settlements.geometry))
    # plain lists: a row of a frame by position costs more than the rest of a request
    village_shapes, village_names = list(villages.geometry), list(villages["name"])
    district_codes = list(districts["district_code"])
    settlement_codes = list(settlements["settlement_code"])
    codes = list(SERVICES)
    service_weights = np.array([SERVICES[c][1] for c in codes], float)
    service_weights /= service_weights.sum()
    start = DEMO_NOW.replace(year=FIRST_YEAR, month=1, day=1, hour=0)
    span_s = (DEMO_NOW - start).total_seconds()
    records = []
    for n in range(count):
        # more requests in later years: the e-service grows (+50% in 2020)
        requested = start + timedelta(seconds=float(span_s * rng.random() ** 0.8))
        code = codes[int(rng.choice(len(codes), p=service_weights))]
        name, _, templates = SERVICES[code]
        if rng.random() < town_share:
            point = _town_point(town_roads, land, rng)
            address = street_names[street_tree.nearest(point)]
        else:
            village = int(rng.choice(len(villages), p=weights))
            point = _village_point(village_shapes[village], rng)
            address = village_names[village]
        age_days = (DEMO_NOW - requested).total_seconds() / 86400
        status = _status(age_days, rng)
        updated = requested + timedelta(hours=float(rng.uniform(1, min(age_days * 24, 24 * 30))))
        closed = updated if status in ("closed", "rejected", "duplicate") else None
        district_code = district_codes[int(district_tree.query(point, predicate="intersects")[0])]
        inside = settlement_tree.query(point, predicate="intersects")
        first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
        records.append({
            "service_request_id": f"{requested.year}-{n + 1:06d}", "service_code": code,
            "service_name": name, "description": str(rng.choice(templates)), "status": status,
            "requested_at": requested, "updated_at": updated, "closed_at": closed,
            "address_string": address, "district_code": district_code,
            "settlement_code": settlement_codes[int(inside[0])] if len(inside) else None,
            "agency_responsible": services.department_for(code, district_code),
            "expected_at": requested + timedelta(hours=DETAILS[code][3]),
            "duplicate_of": None, "submission_token": None,
            "reporter_name": f"{first} {last}",
            "reporter_email": f"{LATIN.get(first[0], 'x').lower()}.{LATIN.get(last[0], 'x').lower()}"
                              f"{n}@example.gr",
            "reporter_phone": f"69{int(rng.integers(10_000_000, 99_999_999))}",
            "geometry": point,
        })
    return layer_frame("service_requests", records)
