"""The parking processes: `parking-nearest-free`, free bays nearest a place on foot along the
streets; `parking-drive-to-car-park`, the car parks with free spaces nearest by car."""
from __future__ import annotations

from gis.car_parks import MAX_ROUTES, drive_to_car_parks
from gis.errors import InvalidParameter
from gis.parking import MAX_COUNT, nearest_free_bays
from ogc.processes import DimosProcessor, read_count, read_location

DEFAULT_COUNT = 5
BAY_TYPES = ("regular", "disabled", "loading", "ev")

PROCESS_METADATA = {
    "version": "1.0.0",
    "id": "parking-nearest-free",
    "title": {"el": "Πλησιέστερες ελεύθερες θέσεις (με τα πόδια)",
              "en": "Nearest free parking bays on foot"},
    "description": {
        "el": "Οι ελεύθερες θέσεις στάθμευσης που απέχουν λιγότερο περπατώντας στο οδικό δίκτυο "
              "από ένα σημείο, με την απόσταση βάδισης και την ευθεία απόσταση σε μέτρα.",
        "en": "The free parking bays closest to a place walking along the streets, with the "
              "walking and straight-line distances in metres (live occupancy)."},
    "jobControlOptions": ["sync-execute"],
    "outputTransmission": ["value"],
    "keywords": ["parking", "ParkingSpot", "pgRouting"],
    "links": [],
    "inputs": {
        "location": {"title": "Where the driver is going (GeoJSON Point, CRS84 unless crs says "
                              "otherwise)", "minOccurs": 1, "maxOccurs": 1,
                     "schema": {"$ref": "http://schemas.opengis.net/ogcapi/features/part1/1.0/"
                                        "openapi/schemas/pointGeoJSON.yaml"}},
        "crs": {"title": "CRS of location", "schema": {"type": "string"},
                "minOccurs": 0, "maxOccurs": 1},
        "count": {"title": "How many bays", "minOccurs": 0, "maxOccurs": 1,
                  "schema": {"type": "integer", "minimum": 1, "maximum": MAX_COUNT,
                             "default": DEFAULT_COUNT}},
        "bay_types": {"title": "Only these bay types", "minOccurs": 0, "maxOccurs": 1,
                      "schema": {"type": "array", "items": {"type": "string",
                                                            "enum": list(BAY_TYPES)}}},
    },
    "outputs": {
        "features": {"title": "GeoJSON FeatureCollection (CRS84), nearest on foot first, with "
                              "walk_m and straight_m",
                     "schema": {"type": "object", "contentMediaType": "application/geo+json"}},
    },
    "example": {"inputs": {"count": 3,
                           "location": {"type": "Point", "coordinates": [24.4747, 35.3676]}}},
}


class ParkingNearestFreeProcessor(DimosProcessor):
    METADATA = PROCESS_METADATA

    def run(self, cur, data):
        point = read_location(cur, data)
        count = read_count(data.get("count"), DEFAULT_COUNT, MAX_COUNT)
        bay_types = data.get("bay_types")
        if bay_types is not None and (not isinstance(bay_types, list) or not bay_types
                                      or any(t not in BAY_TYPES for t in bay_types)):
            raise InvalidParameter(f"bay_types: a list of {', '.join(BAY_TYPES)}")
        features = nearest_free_bays(cur, point, count, bay_types)
        return "application/geo+json", {"type": "FeatureCollection", "features": features,
                                        "numberReturned": len(features)}


DEFAULT_ROUTES = 3
MAX_MIN_FREE = 10_000

DRIVE_METADATA = {
    "version": "1.0.0",
    "id": "parking-drive-to-car-park",
    "title": {"el": "Διαδρομή προς χώρο στάθμευσης με ελεύθερες θέσεις",
              "en": "Drive to a car park with free spaces"},
    "description": {
        "el": "Οι χώροι στάθμευσης με ελεύθερες θέσεις που απέχουν λιγότερο οδηγώντας από ένα "
              "σημείο (με τους μονόδρομους), ο καθένας με τη διαδρομή ως εκεί, τον χρόνο και "
              "την απόσταση.",
        "en": "The car parks with free spaces nearest a place by car (one-ways respected), "
              "each with the route there, the driving time and distance (live free spaces)."},
    "jobControlOptions": ["sync-execute"],
    "outputTransmission": ["value"],
    "keywords": ["parking", "car park", "pgRouting"],
    "links": [],
    "inputs": {
        "location": {"title": "Where the driver is (GeoJSON Point, CRS84 unless crs says "
                              "otherwise)", "minOccurs": 1, "maxOccurs": 1,
                     "schema": {"$ref": "http://schemas.opengis.net/ogcapi/features/part1/1.0/"
                                        "openapi/schemas/pointGeoJSON.yaml"}},
        "crs": {"title": "CRS of location", "schema": {"type": "string"},
                "minOccurs": 0, "maxOccurs": 1},
        "count": {"title": "How many car parks", "minOccurs": 0, "maxOccurs": 1,
                  "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ROUTES,
                             "default": DEFAULT_ROUTES}},
        "min_free": {"title": "At least this many free spaces", "minOccurs": 0, "maxOccurs": 1,
                     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_MIN_FREE,
                                "default": 1}},
    },
    "outputs": {
        "features": {"title": "GeoJSON FeatureCollection (CRS84) of routes, the nearest car "
                              "park by car first: each route's car park, free spaces, drive_s "
                              "and drive_m",
                     "schema": {"type": "object", "contentMediaType": "application/geo+json"}},
    },
    "example": {"inputs": {"count": 2,
                           "location": {"type": "Point", "coordinates": [24.4850, 35.3644]}}},
}


class ParkingDriveToCarParkProcessor(DimosProcessor):
    METADATA = DRIVE_METADATA

    def run(self, cur, data):
        point = read_location(cur, data)
        count = read_count(data.get("count"), DEFAULT_ROUTES, MAX_ROUTES)
        min_free = read_count(data.get("min_free"), 1, MAX_MIN_FREE, "min_free")
        features = drive_to_car_parks(cur, point, min_free, count)
        return "application/geo+json", {"type": "FeatureCollection", "features": features,
                                        "numberReturned": len(features)}
