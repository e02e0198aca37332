"""Scanned plans on the web map: their footprints, and XYZ PNG tiles cut from each COG.

A COG is read from the database once per node and kept in the node's ``raster-cache`` folder
(safe to lose: it is fetched again); its name carries the source file's hash, so a copy never
goes stale. Scans imported before migration 0027 are files in the node's ``rasters`` folder.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from flask import Blueprint, Response, abort, jsonify, request

from gis.db import pooled_cursor
from gis.scanned_plans import cog_data, cog_of, footprints
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


def local_cog(url: str, state_dir: Path, scan_id: int) -> Path | None:
    """A file of scan ``scan_id``'s COG on this node (copied from the database if need be), or
    None: no such scan, or its pre-0027 file is not on this node."""
    with pooled_cursor(url) as cur:
        found = cog_of(cur, scan_id)
        if found is None:
            return None
        name, in_database = found
        if not in_database:
            path = state_dir / "rasters" / name
            return path if path.exists() else None
        path = state_dir / "raster-cache" / name
        if path.exists():
            return path
        data = cog_data(cur, scan_id, name)
    if data is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    # whole or not at all: a worker beside this one may be reading the same name
    descriptor, partial = tempfile.mkstemp(dir=path.parent, suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return path


def make_scans_blueprint(settings: Settings) -> Blueprint:
    blueprint = Blueprint("scans", __name__)
    url = settings.effective_app_database_url

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
        cog = local_cog(url, settings.state_dir, scan_id)
        if cog is None:
            abort(404)
        png = tile_png(str(cog), z, x, y)
        if png is None:
            abort(404)
        return Response(png, content_type="image/png",
                        headers={"Cache-Control": "public, max-age=86400"})

    return blueprint
