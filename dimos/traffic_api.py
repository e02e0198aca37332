"""HTTP side of the traffic counts: a camera's day against its usual flow (the map's chart),
and the counts per interval and lane as CSV. Public: counts of vehicles are nobody's data."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

from flask import Blueprint, Response, jsonify, request

from gis import db, traffic
from gis.csv_cells import neutral_cell
from gis.local_time import local_today
from settings import Settings
from web_common.jurisdiction import request_jurisdiction
from web_common.query_dates import query_date

#: a camera sends its counts every few minutes: its day may be this old
DAY_MAX_AGE_S = 60


def make_traffic_blueprint(settings: Settings) -> Blueprint:
    blueprint = Blueprint("traffic", __name__)
    url = settings.effective_app_database_url

    @blueprint.get("/api/traffic/cameras/<camera_id>/day")
    def get_camera_day(camera_id: str):
        day = query_date("date", local_today())
        with db.pooled_cursor(url) as cur:
            answer = traffic.camera_day(cur, request_jurisdiction(cur), camera_id, day)
        response = jsonify(answer)
        response.headers["Cache-Control"] = f"public, max-age={DAY_MAX_AGE_S}"
        return response

    @blueprint.get("/api/traffic/counts.csv")
    def get_counts():
        end = query_date("end", local_today())
        start = query_date("start", end - timedelta(days=6))
        with db.pooled_cursor(url) as cur:
            jurisdiction = request_jurisdiction(cur)
            rows = traffic.interval_counts(cur, jurisdiction, start, end,
                                           request.args.get("camera_id"))
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(traffic.COUNTS_COLUMNS)
        writer.writerows([neutral_cell(cell) for cell in row] for row in rows)
        return Response(out.getvalue(), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="traffic-counts-{jurisdiction}-'
                                   f'{start}-{end}.csv"'})

    return blueprint
