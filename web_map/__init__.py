"""The web map served at / and the map legend derived from the layer catalogue."""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, send_from_directory

import layers
from gis.settings import Settings
from ogc.templates import VENDORED

# Shown wherever the data is shown (data/README.md gives sources and licences).
ATTRIBUTIONS = (
    "© OpenStreetMap contributors (ODbL)",
    "Kallikratis municipal boundaries, geodata.gov.gr (CC BY 3.0)",
    "Πηγή: ΕΛ.ΣΤΑΤ.",
)


def make_web_map_blueprint(settings: Settings) -> Blueprint:
    blueprint = Blueprint("web_map", __name__, template_folder="templates")

    @blueprint.get("/")
    def index():
        return render_template("index.html", legend=layers.legend(), attributions=ATTRIBUTIONS)

    @blueprint.get("/vendor/<package>/<path:path>")
    def vendor(package: str, path: str):
        """The npm packages of package.json, served by dimos itself (no CDN)."""
        if package not in VENDORED:
            abort(404)
        return send_from_directory(settings.assets_dir / package, path, max_age=86400)

    @blueprint.get("/api/legend")
    def legend():
        return jsonify(layers=layers.legend(), attributions=list(ATTRIBUTIONS))

    return blueprint
