"""pygeoapi's configuration, generated from the layer catalogue (no second list of layers)."""
from __future__ import annotations

import os

from sqlalchemy.engine import make_url

import layers
from gis.crs_uris import CRS_URIS
from layers.model import Layer
from settings import Settings

#: OGC API process id → its pygeoapi processor class.
PROCESSES = {
    "planning-report": "ogc.processes.planning_report.PlanningReportProcessor",
    "nearest": "ogc.processes.nearest.NearestProcessor",
    "request-clusters": "ogc.processes.crews.RequestClustersProcessor",
    "plan-crew-routes": "ogc.processes.crews.PlanCrewRoutesProcessor",
    "parking-nearest-free": "ogc.processes.parking.ParkingNearestFreeProcessor",
    "parking-drive-to-car-park": "ogc.processes.parking.ParkingDriveToCarParkProcessor",
}
DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000
ATTRIBUTION = ("© OpenStreetMap contributors (ODbL) · Kallikratis boundaries, geodata.gov.gr "
               "(CC BY 3.0) · Πηγή: ΕΛ.ΣΤΑΤ.")
_JSON_TYPES = {"text": "string", "integer": "integer", "bigint": "integer", "real": "number",
               "boolean": "boolean", "date": "string", "timestamptz": "string", "text[]": "array"}


def _resource(layer: Layer, settings: Settings, extent_crs84: list[float],
              ogc_url: str) -> dict:
    data = {"layer": layer.id, "database_url": settings.effective_app_database_url}
    provider = {
        "type": "feature",
        "name": "ogc.providers.features.DimosFeatures",
        # next links carry a cursor, on the public URL (never a request's Host)
        "data": {**data, "items_url": f"{ogc_url}/collections/{layer.id}/items",
                 "count_limit": settings.count_limit},
        "id_field": "id",
        "geom_field": "geom",
        "editable": layer.editable,
        "crs": list(CRS_URIS.values()),
        "storage_crs": CRS_URIS[layer.srid],
        "title_field": layer.natural_key[0],
    }
    if layer.temporal:
        provider["time_field"] = layer.temporal.start
    tiles = {
        "type": "tile",
        "name": "ogc.providers.tiles.DimosTiles",
        "data": {**data, "cache_bytes": settings.tile_cache_mb * 2 ** 20},
        "options": {"zoom": {"min": 0, "max": 22},
                    "schemes": ["WebMercatorQuad"]},
        "format": {"name": "pbf", "mimetype": "application/vnd.mapbox-vector-tile"},
    }
    return {
        "type": "collection",
        "title": {"el": layer.title_el, "en": layer.title_en},
        "description": {"el": layer.description_el, "en": layer.description_en},
        "keywords": {"el": list(layer.keywords), "en": list(layer.keywords)},
        "extents": {"spatial": {"bbox": extent_crs84, "crs": CRS_URIS["CRS84"]}},
        "links": [],
        "limits": {"default_items": DEFAULT_LIMIT, "max_items": MAX_LIMIT, "on_exceed": "error"},
        "providers": [provider, tiles],
    }


def field_schema(layer: Layer) -> dict[str, dict]:
    """JSON Schema of the public fields (what pygeoapi calls a provider's fields)."""
    schema = {}
    for f in layer.public_fields:
        entry: dict = {"type": _JSON_TYPES[f.type], "title": f.title_en,
                       "x-dimos-title-el": f.title_el}
        if f.type == "date":
            entry["format"] = "date"
        elif f.type == "timestamptz":
            entry["format"] = "date-time"
        if f.choices:
            entry["enum"] = list(f.codes)
        if f.unit:
            entry["x-ogc-unit"] = f.unit
        schema[f.name] = entry
    return schema


def _sqlalchemy_url(url: str) -> str:
    # SQLAlchemy 2.1 reads a bare postgresql:// as psycopg 3; dimos runs on psycopg2
    return make_url(url).set(drivername="postgresql+psycopg2").render_as_string(
        hide_password=False)


def build_config(settings: Settings, public_url: str, extent_crs84: list[float]) -> dict:
    """The whole pygeoapi configuration for one process."""
    # this process's own: its templates carry its own nonce marker (ogc/templates.py)
    templates = str(settings.state_dir / "ogc" / f"templates-{os.getpid()}")
    return {
        # pygeoapi's tile matrix set pages pass the whole configuration where the templates'
        # belongs (api/tiles.py: render_j2_template(api.tpl_config, api.tpl_config, ...)): the
        # same folder at the top level, so they too find ours (offline, CSP-ready)
        "path": templates,
        "server": {
            "bind": {"host": settings.host, "port": settings.port},
            "url": f"{public_url.rstrip('/')}/ogc",
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "gzip": False,
            "languages": ["el", "en"],
            "cors": False,
            "pretty_print": False,
            "limits": {"default_items": DEFAULT_LIMIT, "max_items": MAX_LIMIT,
                       "on_exceed": "error"},
            "map": {"url": settings.basemap_url, "attribution": ATTRIBUTION},
            "templates": {"path": templates},
            # asynchronous runs (`Prefer: respond-async`, large crew plans) as jobs in the
            # database (table `jobs`, migration 0008), so every worker sees them; their results
            # in files, where pygeoapi reads them back (ogc/jobs.py)
            "manager": {"name": "ogc.jobs.DimosJobManager",
                        "output_dir": str(settings.state_dir / "jobs"),
                        "connection": _sqlalchemy_url(settings.effective_app_database_url)},
        },
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {
                "title": {"el": "dimos — Χωρικές υπηρεσίες Δήμου Ρεθύμνης",
                          "en": "dimos — spatial services of the Municipality of Rethymno"},
                "description": {
                    "el": "Πολεοδομικά σχέδια, άδειες, οικισμοί, αιτήματα πολιτών, στάθμευση και "
                          "WiFi του δήμου, μέσω προτύπων OGC API.",
                    "en": "The municipality's plans, permits, settlements, citizen requests, "
                          "parking and WiFi, over OGC API standards."},
                "keywords": {"el": ["πολεοδομία", "ΓΠΣ", "ΦΕΚ"], "en": ["planning", "zoning"]},
                "keywords_type": "theme",
                "terms_of_service": "https://creativecommons.org/licenses/by/4.0/",
                "url": public_url,
            },
            "license": {"name": "CC BY 4.0 (data: ODbL for OpenStreetMap features)",
                        "url": "https://creativecommons.org/licenses/by/4.0/"},
            "provider": {"name": "Δήμος Ρεθύμνης / Municipality of Rethymno", "url": public_url},
            "contact": {"name": "Υ.ΔΟΜ. Δήμου Ρεθύμνης", "position": "GIS",
                        "address": "Κουντουριώτη 80", "city": "Ρέθυμνο",
                        "stateorprovince": "Κρήτη", "postalcode": "74100", "country": "Greece",
                        "email": "gis@example.gr", "url": public_url, "role": "pointOfContact"},
        },
        "resources": {
            **{layer.id: _resource(layer, settings, extent_crs84, f"{public_url.rstrip('/')}/ogc")
               for layer in layers.collections()},
            **{process_id: {"type": "process",
                            "processor": {"name": processor,
                                          "database_url": settings.effective_app_database_url}}
               for process_id, processor in PROCESSES.items()},
        },
    }
