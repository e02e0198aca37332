"""The map as an installable web app: its manifest and its service worker, served from the
app's own origin (the worker at /sw.js, so that its scope is the whole map)."""
from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Blueprint, Response, jsonify, render_template

STATIC = Path(__file__).resolve().parent / "static"
TEMPLATES = Path(__file__).resolve().parent / "templates"
#: the npm files the map page loads (templates/index.html) and the outbox's IndexedDB wrapper
VENDOR_SHELL = (
    "/vendor/leaflet/dist/leaflet.css",
    *(f"/vendor/leaflet/dist/images/{name}" for name in (
        "marker-icon.png", "marker-icon-2x.png", "marker-shadow.png", "layers.png", "layers-2x.png")),
    "/vendor/leaflet.markercluster/dist/MarkerCluster.css",
    "/vendor/leaflet.markercluster/dist/MarkerCluster.Default.css",
    "/vendor/leaflet-geoman/dist/leaflet-geoman.css",
    "/vendor/leaflet/dist/leaflet.js",
    "/vendor/leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js",
    "/vendor/leaflet.markercluster/dist/leaflet.markercluster.js",
    "/vendor/leaflet.heat/dist/leaflet-heat.js",
    "/vendor/leaflet-geoman/dist/leaflet-geoman.min.js",
    "/vendor/idb/build/index.js",
)
ICONS = (("icon-192.png", "192x192"), ("icon-512.png", "512x512"))
THEME = "#0b4f8a"


def shell() -> list[str]:
    """What the service worker caches on install: the page, its scripts, styles and icons."""
    own = sorted(f"/assets/map/{path.name}" for path in (STATIC / "map").iterdir()
                 if path.suffix in (".js", ".css"))
    return ["/", "/manifest.webmanifest", *own, *(f"/assets/map/{name}" for name, _ in ICONS),
            *VENDOR_SHELL]


def shell_version() -> str:
    """Changes with the map's own files and the worker: a new one replaces the old cache."""
    digest = hashlib.sha256()
    for path in sorted((STATIC / "map").iterdir()) + [TEMPLATES / "sw.js"]:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def make_offline_blueprint() -> Blueprint:
    blueprint = Blueprint("offline", __name__, template_folder="templates")
    version = shell_version()

    @blueprint.get("/manifest.webmanifest")
    def manifest():
        response = jsonify(
            name="dimos — Χάρτης υπηρεσιών του δήμου", short_name="dimos", lang="el",
            description="Πολεοδομία, αναφορές προβλημάτων, στάθμευση και WiFi στον χάρτη",
            start_url="/", scope="/", display="standalone", background_color="#ffffff",
            theme_color=THEME, icons=[{"src": f"/assets/map/{name}", "sizes": sizes,
                                       "type": "image/png", "purpose": "any"}
                                      for name, sizes in ICONS])
        response.mimetype = "application/manifest+json"
        return response

    @blueprint.get("/sw.js")
    def service_worker():
        body = render_template("sw.js", version=version, shell=shell())
        # a browser checks for a new worker on each visit: never an old copy from a cache
        return Response(body, mimetype="text/javascript",
                        headers={"Cache-Control": "no-cache"})

    return blueprint
