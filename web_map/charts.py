"""GET /api/stats/<chart>[.csv]: the staff view's charts (gis/stats.py) as JSON for the map's
Chart.js, or the same table as CSV; staff of the municipality only (dimos/access.py)."""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

from flask import Blueprint, Response, jsonify, request

from gis.csv_cells import neutral_cell
from gis.db import pooled_cursor
from gis.errors import InvalidParameter
from gis.local_time import TIME_ZONE, local_today
from gis.stats import chart, chart_table
from layers import LANGUAGES
from settings import Settings
from web_common.jurisdiction import acting_jurisdiction
from web_common.query_dates import query_date


def _cell(value):
    """A value as JSON and CSV show it: dates in ISO 8601, numbers as numbers."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def make_charts_blueprint(settings: Settings) -> Blueprint:
    blueprint = Blueprint("charts", __name__)
    url = settings.effective_app_database_url

    @blueprint.get("/api/stats/<name>")
    def table(name: str):
        """Chart ``name`` (``…​.csv``: as CSV) for ``jurisdiction_id`` over ``start``–``end``
        (local dates, both included; the chart's usual period back from today when absent),
        categories titled in ``lang`` (el, en)."""
        as_csv = name.endswith(".csv")
        name = name.removesuffix(".csv")
        shown = chart(name)
        lang = request.args.get("lang", "el")
        if lang not in LANGUAGES:
            raise InvalidParameter(f"lang: {lang[:20]!r}; one of {', '.join(LANGUAGES)}")
        end = query_date("end", local_today())
        start = query_date("start", end - timedelta(days=shown.default_days - 1))
        with pooled_cursor(url) as cur:
            jurisdiction = acting_jurisdiction(cur, "the staff view's charts")
            columns, rows = chart_table(cur, name, jurisdiction, start, end, lang)
        rows = [[_cell(value) for value in row] for row in rows]
        if not as_csv:
            return jsonify(chart=name, jurisdiction_id=jurisdiction, start=start.isoformat(),
                           end=end.isoformat(), time_zone=TIME_ZONE, columns=columns, rows=rows)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(columns)
        writer.writerows([neutral_cell(value) for value in row] for row in rows)
        return Response(out.getvalue(), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="{name}-{jurisdiction}-{start}-{end}.csv"'})

    return blueprint
