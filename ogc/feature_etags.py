"""Strong ETags and Last-Modified of single features (OGC API Features Part 4, optimistic
locking): a GET names the stored version, a PUT or PATCH the version it wrote, a 412 the version
that stands."""
from __future__ import annotations

from flask import Flask, Response, g, request

import layers
from gis.db import pooled_cursor
from gis.errors import DimosError
from gis.feature_versions import feature_state
from ogc.write_preconditions import name_state
from settings import Settings

ITEM_ENDPOINTS = ("pygeoapi.collection_items", "features_patch.patch_item")


def _item() -> tuple[str, str] | None:
    """(collection, feature id) of a request to one feature, else None."""
    args = request.view_args or {}
    if request.endpoint not in ITEM_ENDPOINTS or args.get("item_id") is None:
        return None
    return args["collection_id"], args["item_id"]


def register_feature_etags(app: Flask, settings: Settings) -> None:
    database_url = settings.effective_app_database_url

    @app.before_request
    def read_feature_version():
        # read before the body is built: a write landing meanwhile makes the ETag older than
        # the body, so a later If-Match gets a 412, never a silent overwrite
        item = _item()
        if request.method not in ("GET", "HEAD") or item is None:
            return
        try:
            layer = layers.collection(item[0])
            with pooled_cursor(database_url) as cur:
                state = feature_state(cur, layer, int(item[1]))
        except (KeyError, ValueError, DimosError):
            return  # no such feature: pygeoapi answers 404
        name_state(state)

    @app.after_request
    def written_version(response: Response) -> Response:
        # a GET's ETag is set with its caching headers (ogc/caching.py); a write's here
        if request.method in ("PUT", "PATCH", "DELETE") and _item() is not None \
                and "feature_etag" in g and response.status_code in (200, 204, 412):
            response.set_etag(g.feature_etag)
            if "feature_modified" in g:
                response.last_modified = g.feature_modified
        return response
