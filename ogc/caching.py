"""HTTP caching of items and tiles: ETag, Last-Modified, Cache-Control and 304s.

dimos itself never serves stale data (tile caches key on the layer's data version); these
headers let clients revalidate cheaply, briefly for live layers, longer for plans.
"""
from __future__ import annotations

import hashlib
import re

from flask import Flask, Response, g, request

import layers
from gis.db import pooled_cursor
from gis.errors import DimosError
from gis.tiles import layer_version
from settings import Settings

_CACHED_PATH = re.compile(r"^/ogc/collections/(?P<layer>[a-z_]+)/(items|tiles/)")
LIVE_MAX_AGE_S = 5
PLAN_MAX_AGE_S = 3600
DEFAULT_MAX_AGE_S = 300
PLAN_LAYERS = ("plans", "zoning", "settlements")


def max_age(layer_id: str) -> int:
    layer = layers.collection(layer_id)
    if layer.live:
        return LIVE_MAX_AGE_S
    return PLAN_MAX_AGE_S if layer.id in PLAN_LAYERS else DEFAULT_MAX_AGE_S


def register_cache_headers(app: Flask, settings: Settings) -> None:
    @app.before_request
    def read_version():
        # before the answer is built: a write landing meanwhile makes the ETag older than the
        # data, never newer (a newer one would let a client keep stale data on a 304)
        match = _CACHED_PATH.match(request.path)
        if request.method != "GET" or not match:
            return
        try:
            layer = layers.collection(match["layer"])
            with pooled_cursor(settings.effective_app_database_url) as cur:
                g.layer_version = (layer, *layer_version(cur, layer))
        except (KeyError, DimosError):
            return

    @app.after_request
    def cache_headers(response: Response) -> Response:
        if response.status_code != 200 or "layer_version" not in g \
                or response.mimetype == "text/html":
            # an HTML page carries its own CSP nonce: a 304 would pair the cached page with
            # another response's nonce, and its scripts would not run
            return response
        layer, version, changed_at = g.layer_version
        response.headers["Cache-Control"] = f"public, max-age={max_age(layer.id)}"
        if changed_at is not None:
            response.last_modified = changed_at
        if "feature_modified" in g:
            # one feature of an editable layer: its own time of change, which a write can send
            # back as If-Unmodified-Since
            response.last_modified = g.feature_modified
        # the same request on the same data version gets the same answer (bodies carry a
        # timestamp, so they cannot be hashed): a weak validator
        if "feature_etag" in g:
            # one feature: its stored version (ogc/feature_etags.py), strong, so that a
            # PUT, PATCH or DELETE can send it back as If-Match
            response.set_etag(g.feature_etag)
            return response.make_conditional(request)
        language = request.headers.get("Accept-Language", "")
        key = f"{request.full_path}|{language}|{version}".encode()
        response.set_etag(hashlib.sha1(key).hexdigest(), weak=True)
        return response.make_conditional(request)
