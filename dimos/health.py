"""/health: is the database reachable, which PostGIS, how many features per layer."""
from __future__ import annotations

from flask import Blueprint, jsonify

from gis.errors import DimosError
from gis.status import database_status
from settings import Settings


def make_health_blueprint(settings: Settings) -> Blueprint:
    blueprint = Blueprint("health", __name__)

    @blueprint.get("/health")
    def health():
        try:
            status = database_status(settings.effective_app_database_url)
        except DimosError as error:
            return jsonify(status="unavailable", database="unreachable", reason=error.message), 503
        return jsonify(
            status="ok",
            database="reachable",
            postgresql=status.server,
            postgis=status.postgis,
            pgrouting=status.pgrouting,
            layers=status.counts,
            jurisdictions=status.counts_by_jurisdiction,
        )

    return blueprint
