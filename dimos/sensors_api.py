"""HTTP side of the sensors: gateways' reading batches, the payment app's parking sessions,
and the parking/WiFi queries the map and the wardens use.

Who may call what is in dimos/access.py (gateway, payment and warden roles); each writes
and sees its own municipalities' sensors, bays and offenders only (gis/access_rules.py).
"""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from flask import Blueprint, Response, g, jsonify, request

from accounts.tokens import BOUND_ROLES
from gis import bounded_json, car_parks, db, parking, sensors
from gis.csv_cells import neutral_cell
from gis.errors import Forbidden, InvalidParameter
from gis.local_time import local_today
from gis.roles import Principal
from settings import Settings
from web_common.jurisdiction import acting_jurisdiction, request_jurisdiction
from web_common.query_dates import query_date

MAX_SESSION = timedelta(hours=24)
DEFAULT_SATURATED_AT = 60
#: the signs' feed may be this old: a car park's counter reports about as often
SIGNS_MAX_AGE_S = 10
#: a batch is {"jurisdiction_id", "readings": [{...}, ...]}: three levels, ~100 bytes a reading
BATCH_MAX_DEPTH = 3
BATCH_MAX_BYTES = 2 * 2 ** 20

def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidParameter("body: expected a JSON object (Content-Type: application/json)")
    return body


def _batch_body() -> dict:
    """A reading batch, read within bounds (size, depth, finite numbers) before anything else."""
    if not request.is_json:
        raise InvalidParameter("body: expected a JSON object (Content-Type: application/json)")
    if (request.content_length or 0) > BATCH_MAX_BYTES:  # refused before it is read
        raise InvalidParameter(f"body: {request.content_length} bytes; at most {BATCH_MAX_BYTES}")
    try:
        body = bounded_json.loads(request.get_data(cache=False), max_bytes=BATCH_MAX_BYTES,
                                  max_depth=BATCH_MAX_DEPTH, what="body")
    except bounded_json.JsonRefused as exc:
        raise InvalidParameter(str(exc)) from None
    if not isinstance(body, dict):
        raise InvalidParameter("body: expected a JSON object (Content-Type: application/json)")
    return body


def _gateway_jurisdiction(principal: Principal, asked) -> str | None:
    """The municipality a gateway's batch is for: its token's (Forbidden if it asks for
    another, or if its token names none); None for staff, who may write any."""
    if principal.role not in BOUND_ROLES:
        return None
    if principal.jurisdiction is None:
        raise Forbidden(f"this {principal.role} token names no municipality (issued before "
                        "tokens had one): ask for a new one, made with `dimos token create "
                        f"{principal.name} --role {principal.role} --jurisdiction <id>`")
    if asked is not None and asked != principal.jurisdiction:
        raise Forbidden(f"jurisdiction_id: this {principal.role} token belongs to "
                        f"{principal.jurisdiction}; it may not write readings of "
                        f"{str(asked)[:40]!r}")
    return principal.jurisdiction


def _time(name: str, value) -> datetime:
    if not isinstance(value, str):
        raise InvalidParameter(f"{name}: expected an ISO 8601 time with zone")
    from gis.parameters import parse_instant  # one reading of instants for every API

    return parse_instant(name, value, dates=False)


def make_sensors_blueprint(settings: Settings) -> Blueprint:
    blueprint = Blueprint("sensors", __name__)
    url = settings.effective_app_database_url
    known_months: set[datetime] = set()
    registry = sensors.Registry()

    @blueprint.post("/api/sensors/readings")
    def post_readings():
        body = _batch_body()
        asked = _gateway_jurisdiction(g.principal, body.get("jurisdiction_id"))
        items = body.get("readings")
        if not isinstance(items, list) or not items:
            raise InvalidParameter("readings: expected a non-empty list of readings")
        if len(items) > sensors.MAX_BATCH:
            raise InvalidParameter(f"readings: {len(items)} in one batch; at most "
                                   f"{sensors.MAX_BATCH}")
        window = sensors.TimeWindow.around(datetime.now(UTC), settings.sensor_retention_months,
                                           settings.sensor_max_future_s)
        with db.pooled_cursor(url, commit=True, actor=f"gateway:{g.principal.name}",
                              principal=g.principal) as cur:
            jurisdiction = acting_jurisdiction(cur, "this batch of readings",
                                               asked or body.get("jurisdiction_id"))
            readings, refused = [], []
            for index, item in enumerate(items):
                where = f"readings[{index}]"
                try:
                    readings.append((where, sensors.parse_item(jurisdiction, item, window)))
                except sensors.RejectedReading as exc:
                    refused.append(sensors.Rejection(exc.outcome, where, str(exc)))
            sensors.check_own_sensors(cur, registry, readings)
            result = sensors.store_readings(cur, registry, readings,
                                            settings.sensor_battery_low_pct, known_months,
                                            refused)
            sensors.notify_changes(cur, result.changes)
        counts = {outcome: result.counts.get(outcome, 0) for outcome in ("stored", "stale",
                                                                         "duplicate")}
        return jsonify(**counts, rejected=[{"at": r.where, "outcome": r.outcome,
                                            "reason": r.reason} for r in result.rejections])

    @blueprint.post("/api/parking/sessions")
    def post_session():
        body = _json_body()
        for name in ("session_ref", "bay_id"):
            if not isinstance(body.get(name), str) or not body[name].strip():
                raise InvalidParameter(f"{name}: required (text)")
        plate = body.get("plate")
        if plate is not None and (not isinstance(plate, str) or len(plate) > 16):
            raise InvalidParameter("plate: text of at most 16 characters")
        starts, ends = _time("starts_at", body.get("starts_at")), _time("ends_at", body.get("ends_at"))
        if ends <= starts:
            raise InvalidParameter("ends_at: must be after starts_at")
        if ends - starts > MAX_SESSION:
            raise InvalidParameter("ends_at: a session lasts at most 24 h")
        with db.pooled_cursor(url, commit=True, actor=f"payment:{g.principal.name}",
                              principal=g.principal) as cur:
            jurisdiction = acting_jurisdiction(cur, f"bay {body['bay_id'][:40]!r}",
                                               body.get("jurisdiction_id"))
            if not parking.bay_exists(cur, jurisdiction, body["bay_id"]):
                raise InvalidParameter(f"bay_id: no bay {body['bay_id']!r} in {jurisdiction}")
            created = parking.record_session(cur, jurisdiction, body["session_ref"], body["bay_id"],
                                             plate, starts, ends)
        return jsonify(session_ref=body["session_ref"], bay_id=body["bay_id"],
                       starts_at=starts.isoformat(), ends_at=ends.isoformat()), (
            201 if created else 200)

    @blueprint.get("/api/parking/violations")
    def get_violations():
        with db.pooled_cursor(url, principal=g.principal) as cur:
            found = parking.violations(cur, acting_jurisdiction(cur, "the list of parking offenders"))
        response = jsonify(type="FeatureCollection", features=found, numberReturned=len(found))
        response.headers["Cache-Control"] = "private, no-store"
        return response

    @blueprint.get("/api/parking/free")
    def get_free():
        with db.pooled_cursor(url) as cur:
            return jsonify(parking.free_spaces(cur, request_jurisdiction(cur),
                                               request.args.get("by", "street")))

    @blueprint.get("/api/parking/signs")
    def get_signs():
        """What each free-space sign shows (``sign_id``: one sign), its texts in ``lang``: small,
        polled every few seconds by each sign, so cacheable for as long as a counter's period."""
        with db.pooled_cursor(url) as cur:
            jurisdiction = request_jurisdiction(cur)
            shown = car_parks.signs(cur, jurisdiction, request.args.get("sign_id"),
                                    request.args.get("lang", "el"))
        response = jsonify(jurisdiction_id=jurisdiction, signs=shown)
        response.headers["Cache-Control"] = f"public, max-age={SIGNS_MAX_AGE_S}"
        response.add_etag()
        return response.make_conditional(request)

    @blueprint.get("/api/parking/occupancy")
    def get_occupancy():
        level, ident = request.args.get("level", "street"), request.args.get("id")
        if not ident:
            raise InvalidParameter("id: the bay id, street name or zone to report on")
        end = (_time("end", request.args["end"]) if "end" in request.args
               else datetime.now(UTC))
        start = (_time("start", request.args["start"]) if "start" in request.args
                 else end - timedelta(days=1))
        with db.pooled_cursor(url) as cur:
            series = parking.occupancy(cur, request_jurisdiction(cur), level, ident, start, end)
        return jsonify(level=level, id=ident, start=start.isoformat(), end=end.isoformat(),
                       hours=series)

    @blueprint.get("/api/parking/usage.csv")
    def get_usage():
        today = local_today()
        start = query_date("start", today - timedelta(days=30)).isoformat()
        end = query_date("end", today).isoformat()
        if end < start:
            raise InvalidParameter("end: before start")
        with db.pooled_cursor(url) as cur:
            jurisdiction = request_jurisdiction(cur)
            rows = parking.usage_by_zone_day(cur, jurisdiction, start, end)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["parking_zone", "day", "bays", "readings", "occupancy"])
        writer.writerows([neutral_cell(cell) for cell in row] for row in rows)
        return Response(out.getvalue(), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="parking-usage-{jurisdiction}-'
                                   f'{start}-{end}.csv"'})

    @blueprint.get("/api/wifi/alerts")
    def get_wifi_alerts():
        try:
            saturated_at = int(request.args.get("saturated_at", DEFAULT_SATURATED_AT))
        except ValueError:
            raise InvalidParameter("saturated_at: a whole number of clients") from None
        if saturated_at < 1:
            raise InvalidParameter("saturated_at: at least 1")
        with db.pooled_cursor(url) as cur:
            found = parking.wifi_alerts(cur, request_jurisdiction(cur), saturated_at)
        return jsonify(type="FeatureCollection", features=found, numberReturned=len(found))

    return blueprint
