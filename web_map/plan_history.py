"""GET /api/plan-versions and /api/plan-changes: the planning view's time slider and its "what
changed" mode (gis/plan_history.py); public, as the plans are."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, jsonify, request

from gis.db import pooled_cursor
from gis.errors import InvalidParameter
from gis.plan_history import plan_changes, plan_start, plan_versions
from settings import Settings
from web_common.jurisdiction import request_jurisdiction
from web_common.query_dates import query_date


def make_plan_history_blueprint(settings: Settings) -> Blueprint:
    blueprint = Blueprint("plan_history", __name__)
    url = settings.effective_app_database_url

    @blueprint.get("/api/plan-versions")
    def versions():
        """Each day ``jurisdiction_id``'s zoning changed, with the zones in force from then and
        the plans that came into force that day, oldest first."""
        with pooled_cursor(url) as cur:
            jurisdiction = request_jurisdiction(cur)
            return jsonify(jurisdiction_id=jurisdiction, versions=plan_versions(cur, jurisdiction))

    @blueprint.get("/api/plan-changes")
    def changes():
        """The zones added, removed or changed from ``from`` to ``to`` (dates), or by plan
        ``plan_id`` (the day before it came into force to that day), as GeoJSON."""
        plan, before, after = request.args.get("plan_id"), query_date("from"), query_date("to")
        if plan is None and (before is None or after is None):
            raise InvalidParameter("plan_id: required, or both from and to (YYYY-MM-DD)")
        with pooled_cursor(url) as cur:
            jurisdiction = request_jurisdiction(cur)
            if plan is not None:
                after = plan_start(cur, jurisdiction, plan)
                before = after - timedelta(days=1)
            found = plan_changes(cur, jurisdiction, before, after)
        response = jsonify(found)
        response.mimetype = "application/geo+json"
        return response

    return blueprint
