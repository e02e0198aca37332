"""What signed-in people see of their own: a citizen the requests they reported, with the notes
meant for them alone; a crew the work assigned to it, in the municipalities it belongs to. Which rows:
gis/access_rules.py."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from gis import service_requests as sr
from gis.access_rules import assignments_crew, reporter_account
from gis.db import pooled_cursor
from settings import Settings
from web_common.jurisdiction import acting_jurisdiction, request_jurisdiction


def make_own_rows_blueprint(settings: Settings) -> Blueprint:
    blueprint = Blueprint("own_rows", __name__)
    url = settings.effective_app_database_url

    @blueprint.get("/api/my/requests")
    def my_requests():
        # their rows of the private table, and no one else's (row-level security, 0016)
        with pooled_cursor(url, account=reporter_account(g.principal)) as cur:
            found = sr.requests_of_account(cur, request_jurisdiction(cur), g.principal.name)
        return jsonify(requests=found)

    @blueprint.get("/api/crew/assignments")
    def crew_assignments():
        crew = assignments_crew(g.principal, request.args.get("crew") or None)
        with pooled_cursor(url) as cur:
            jurisdiction = acting_jurisdiction(cur, "the list of crews' work")
            found = sr.crew_assignments(cur, jurisdiction, crew)
        return jsonify(crew=crew, assignments=found)

    return blueprint
