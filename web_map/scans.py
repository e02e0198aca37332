"""Scanned plans on the web map: their footprints, and XYZ PNG tiles cut from each COG."""
from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, request

from gis.db import pooled_cursor
from gis.scanned_plans import cog_of, footprints
from settings import Settings

TILE_PX = 256
MAX_ZOOM = 22


def tile_png(cog_path: str, z: int, x: int, y: int) -> bytes | None:
    """The web-mercator tile z/x/y of a COG as PNG (transparent outside the scan), or None."""
    from rio_tiler.errors import TileOutsideBounds
    from rio_tiler.io import Reader

    with Reader(cog_path) as cog:
        try:
            image = cog.tile(x, y, z, tilesize=TILE_PX)
        except TileOutsideBounds:
            return None
    return image.render(img_format="PNG")


def make_scans_blueprint(settings: Settings) -> Blueprint:
    blueprint = Blueprint("scans", __name__)
    url = settings.effective_app_database_url
    store = settings.state_dir / "rasters"

    @blueprint.get("/api/scanned-plans")
    def scans():
        with pooled_cursor(url) as cur:
            collection = footprints(cur, request.args.get("jurisdiction") or None)
        for feature in collection["features"]:
            feature["properties"]["tiles"] = (f"{request.script_root}/api/scanned-plans/"
                                              f"{feature['id']}/tiles/{{z}}/{{x}}/{{y}}.png")
        return jsonify(collection)

    @blueprint.get("/api/scanned-plans/<int:scan_id>/tiles/<int:z>/<int:x>/<int:y>.png")
    def tile(scan_id: int, z: int, x: int, y: int):
        if z > MAX_ZOOM or not (0 <= x < 2 ** z and 0 <= y < 2 ** z):
            abort(404)
        with pooled_cursor(url) as cur:
            cog = cog_of(cur, scan_id)
        if cog is None or not (store / cog).exists():
            abort(404)
        png = tile_png(str(store / cog), z, x, y)
        if png is None:
            abort(404)
        return Response(png, content_type="image/png",
                        headers={"Cache-Control": "public, max-age=86400"})

    return blueprint
