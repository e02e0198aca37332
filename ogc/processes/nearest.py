"""The `nearest` process: the nearest features of a layer to a point, with distances in metres."""
from __future__ import annotations

import layers
from gis.cql_parse import parse_filter_crs84
from gis.errors import InvalidParameter
from gis.nearest import MAX_COUNT, nearest_features
from ogc.processes import DimosProcessor, read_count, read_location

DEFAULT_COUNT = 5

PROCESS_METADATA = {
    "version": "1.0.0",
    "id": "nearest",
    "title": {"el": "Πλησιέστερα στοιχεία", "en": "Nearest features"},
    "description": {
        "el": "Τα πλησιέστερα στοιχεία ενός θεματικού επιπέδου σε ένα σημείο, με απόσταση σε "
              "μέτρα (π.χ. ελεύθερες θέσεις στάθμευσης, χώροι καταφυγής, σημεία WiFi).",
        "en": "The features of a layer nearest a point, with their distance in metres "
              "(e.g. free parking bays, refuge areas, WiFi access points that are up)."},
    "jobControlOptions": ["sync-execute"],
    "outputTransmission": ["value"],
    "keywords": ["nearest", "distance"],
    "links": [],
    "inputs": {
        "layer": {"title": "Layer id", "minOccurs": 1, "maxOccurs": 1,
                  "schema": {"type": "string", "enum": [layer.id for layer in layers.CATALOGUE]}},
        "location": {"title": "Location (GeoJSON Point, CRS84 unless crs says otherwise)",
                     "minOccurs": 1, "maxOccurs": 1,
                     "schema": {"$ref": "http://schemas.opengis.net/ogcapi/features/part1/1.0/"
                                        "openapi/schemas/pointGeoJSON.yaml"}},
        "crs": {"title": "CRS of location", "schema": {"type": "string"},
                "minOccurs": 0, "maxOccurs": 1},
        "count": {"title": "How many features", "minOccurs": 0, "maxOccurs": 1,
                  "schema": {"type": "integer", "minimum": 1, "maximum": MAX_COUNT,
                             "default": DEFAULT_COUNT}},
        "filter": {"title": "CQL2 text filter on the layer's public fields (geometries in CRS84)",
                   "schema": {"type": "string"}, "minOccurs": 0, "maxOccurs": 1},
    },
    "outputs": {
        "features": {"title": "GeoJSON FeatureCollection (CRS84), nearest first, with distance_m",
                     "schema": {"type": "object", "contentMediaType": "application/geo+json"}},
    },
    "example": {"inputs": {"layer": "refuge_areas", "count": 3,
                           "location": {"type": "Point", "coordinates": [24.4747, 35.3676]}}},
}


class NearestProcessor(DimosProcessor):
    METADATA = PROCESS_METADATA

    def run(self, cur, data):
        layer_id = data.get("layer")
        try:
            layer = layers.get(layer_id)
        except (KeyError, TypeError):
            raise InvalidParameter(f"layer: {layer_id!r} is not a layer; layers: "
                                   f"{', '.join(x.id for x in layers.CATALOGUE)}") from None
        point = read_location(cur, data)
        count = read_count(data.get("count"), DEFAULT_COUNT, MAX_COUNT)
        features = nearest_features(cur, layer, point, count,
                                    _filter(data.get("filter"), layer))
        return "application/geo+json", {"type": "FeatureCollection", "features": features,
                                        "numberReturned": len(features)}


def _filter(text, layer):
    return None if text is None else parse_filter_crs84(text, layer)
