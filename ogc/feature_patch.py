"""PATCH of one feature with a JSON Merge Patch (OGC API Features Part 4, ``update``): a route
of our own beside pygeoapi's item route, which takes no PATCH. Checked as a replacement is
(gis/edit.py); If-Match or If-Unmodified-Since makes it conditional."""
from __future__ import annotations

from flask import Blueprint, Flask, request

import layers
from gis.db import pooled_cursor
from gis.edit import patch_feature, read_merge_patch
from gis.errors import InvalidParameter, NotFound, PreconditionFailed
from gis.feature_versions import feature_state
from ogc.crs import srid_and_axes
from ogc.mount import UnsupportedMediaType
from ogc.providers.features import _actor, _principal
from ogc.write_preconditions import name_state, write_precondition
from settings import Settings

MERGE_PATCH = "application/merge-patch+json"


def _content_crs() -> tuple[int, bool]:
    try:
        return srid_and_axes(request.headers.get("Content-Crs", "").strip("<> ") or None)
    except ValueError as exc:
        raise InvalidParameter(f"Content-Crs: {exc}") from None


def register_feature_patch(app: Flask, settings: Settings) -> None:
    database_url = settings.effective_app_database_url
    bp = Blueprint("features_patch", __name__)

    @bp.route("/ogc/collections/<collection_id>/items/<item_id>", methods=["PATCH"])
    def patch_item(collection_id: str, item_id: str):
        try:
            layer = layers.collection(collection_id)
        except KeyError:
            raise NotFound(f"no collection {collection_id!r}") from None
        if not layer.editable:
            raise InvalidParameter(f"{layer.id}: collection is not editable")
        if request.mimetype != MERGE_PATCH:
            raise UnsupportedMediaType(f"PATCH takes a JSON Merge Patch ({MERGE_PATCH}), not "
                                       f"{request.mimetype or 'no media type'}")
        try:
            feature_id = int(item_id)
        except ValueError:
            raise NotFound(f"no feature {item_id!r} in {layer.id}") from None
        patch = read_merge_patch(request.get_data(), feature_id)
        try:
            with pooled_cursor(database_url, commit=True, actor=_actor(),
                               principal=_principal()) as cur:
                patch_feature(cur, layer, feature_id, patch, _content_crs(),
                              principal=_principal(), precondition=write_precondition())
                name_state(feature_state(cur, layer, feature_id))
        except PreconditionFailed as exc:
            name_state(exc.state)
            raise
        return "", 204

    app.register_blueprint(bp)
