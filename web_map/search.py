"""GET /api/search: the map's search box, answered from gis/search.py as GeoJSON."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from gis.db import pooled_cursor
from gis.parameters import parse_integer
from gis.search import MAX_LIMIT, check_search, search
from settings import Settings
from web_common.jurisdiction import request_jurisdiction


def make_search_blueprint(settings: Settings) -> Blueprint:
    blueprint = Blueprint("search", __name__)
    url = settings.effective_app_database_url

    @blueprint.get("/api/search")
    def find():
        """``q`` (≤ 200 characters), ``lang`` (el|en), ``limit`` (1…50, 10) and
        ``jurisdiction_id`` (that municipality's results first): best matches first."""
        limit = request.args.get("limit")
        q, lang, count = check_search(
            request.args.get("q"), request.args.get("lang"),
            None if limit is None else parse_integer("limit", limit, 1, MAX_LIMIT))
        asked = request.args.get("jurisdiction_id")
        with pooled_cursor(url) as cur:
            home = request_jurisdiction(cur, asked) if asked else None
            found = search(cur, q, lang, count, home)
        response = jsonify(found)
        response.mimetype = "application/geo+json"
        return response

    return blueprint
