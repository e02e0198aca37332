"""The `planning-report` process: what applies at a place or parcel on a date, in one call."""
from __future__ import annotations

from gis.errors import InvalidParameter
from gis.planning import MAX_RADIUS_M, planning_report
from ogc.processes import (
    DimosProcessor,
    input_srid,
    read_date,
    read_geometry,
    read_number,
    to_storage,
)

DEFAULT_RADIUS_M = 100.0
_GEOMETRY = {"$ref": "http://schemas.opengis.net/ogcapi/features/part1/1.0/openapi/schemas/"
                     "geometryGeoJSON.yaml"}

PROCESS_METADATA = {
    "version": "1.0.0",
    "id": "planning-report",
    "title": {"el": "Πολεοδομική πληροφορία σημείου ή γηπέδου",
              "en": "Planning report for a place or parcel"},
    "description": {
        "el": "Ζώνες και όροι δόμησης σε ισχύ σε ημερομηνία, σχέδιο και ΦΕΚ, ποσοστό του γηπέδου "
              "ανά ζώνη, όριο οικισμού και οικοδομικές άδειες σε ακτίνα.",
        "en": "Zones and building terms in force on a date, with the plan and gazette issue "
              "(ΦΕΚ), the share of the parcel each zone covers, the settlement boundary and "
              "the building permits within a radius."},
    "jobControlOptions": ["sync-execute"],
    "outputTransmission": ["value"],
    "keywords": ["planning", "zoning", "ΦΕΚ", "building terms"],
    "links": [],
    "inputs": {
        "location": {"title": "Location (GeoJSON Point, CRS84 unless crs says otherwise)",
                     "schema": _GEOMETRY, "minOccurs": 0, "maxOccurs": 1},
        "parcel": {"title": "Parcel (GeoJSON Polygon, CRS84 unless crs says otherwise)",
                   "schema": _GEOMETRY, "minOccurs": 0, "maxOccurs": 1},
        "crs": {"title": "CRS of location/parcel (e.g. http://www.opengis.net/def/crs/EPSG/0/2100)",
                "schema": {"type": "string"}, "minOccurs": 0, "maxOccurs": 1},
        "date": {"title": "Date the plan is read on (ISO date; today when absent)",
                 "schema": {"type": "string", "format": "date"}, "minOccurs": 0, "maxOccurs": 1},
        "radius": {"title": "Radius for nearby building permits (m)",
                   "schema": {"type": "number", "minimum": 0, "maximum": MAX_RADIUS_M,
                              "default": DEFAULT_RADIUS_M},
                   "minOccurs": 0, "maxOccurs": 1},
    },
    "outputs": {
        "report": {"title": "Planning report",
                   "schema": {"type": "object", "contentMediaType": "application/json"}},
    },
    "example": {"inputs": {"location": {"type": "Point", "coordinates": [24.4747, 35.3676]},
                           "date": "2024-01-01", "radius": 100}},
}


class PlanningReportProcessor(DimosProcessor):
    METADATA = PROCESS_METADATA

    def run(self, cur, data):
        if ("location" in data) == ("parcel" in data):
            raise InvalidParameter("give exactly one of location (a Point) or parcel "
                                   "(a Polygon)")
        srid = input_srid(data.get("crs"))
        name = "location" if "location" in data else "parcel"
        kinds = ("Point",) if name == "location" else ("Polygon", "MultiPolygon")
        place = to_storage(cur, read_geometry(name, data[name], srid, kinds), srid)
        report = planning_report(
            cur, place, read_date("date", data.get("date")),
            read_number("radius", data.get("radius"), DEFAULT_RADIUS_M, 0, MAX_RADIUS_M))
        return "application/json", report
