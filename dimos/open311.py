"""Open311 GeoReport v2 at /open311/v2/, with the servicerequestupdates extension.

JSON and XML as the spec shows them (``.json``/``.xml`` suffix); errors as the spec's
``[{"code", "description"}]``. Only public fields leave here, except ``contact``, which the
access rules (dimos/access.py) keep for signed-in staff.
"""
from __future__ import annotations

from datetime import datetime
from xml.etree import ElementTree

from flask import Blueprint, Response, current_app, g, json, jsonify, request
from shapely.geometry import Point

from dimos import idempotency
from dimos.logs import log_refusal
from dimos.metrics import SUBMITTED
from dimos.open311_openapi import open311_openapi
from dimos.proxies import public_base
from gis import service_requests as sr
from gis.access_rules import principal_id, reporter_account
from gis.db import act_in, pooled_cursor
from gis.errors import DimosError, InvalidParameter, NotFound
from gis.parameters import parse_bbox, parse_instant, parse_number
from photos import reencode as photos
from settings import Settings
from web_common.jurisdiction import acting_jurisdiction, request_jurisdiction

#: XML element names of each document (root, item), as in the spec's examples
XML_NAMES = {"services": ("services", "service"), "requests": ("service_requests", "request"),
             "tokens": ("service_requests", "request"), "errors": ("errors", "error"),
             "updates": ("service_request_updates", "request_update"),
             "definition": ("service_definition", None), "contact": ("contact", None),
             "discovery": ("discovery", None)}
MAX_TEXT = 4000


def make_open311_blueprint(settings: Settings) -> Blueprint:
    bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
    url = settings.effective_app_database_url

    @bp.get("/openapi.json")
    def openapi():
        return jsonify(open311_openapi(f"{settings.effective_public_url}/open311/v2"))

    @bp.get("/discovery.<fmt>")
    def discovery(fmt):
        base = f"{settings.effective_public_url}/open311/v2/"
        return _render(fmt, "discovery", {
            "changeset": "2026-11-23T00:00:00Z", "contact": "gis@example.gr",
            "key_service": "dimos token create APP --role citizen",
            "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2",
                           "url": base, "changeset": "2026-11-23T00:00:00Z", "type": "production",
                           "formats": ["application/json", "text/xml"]}]})

    @bp.get("/services.<fmt>")
    def list_services(fmt):
        with pooled_cursor(url) as cur:
            jurisdiction = request_jurisdiction(cur)
            found = sr.services(cur, jurisdiction)
        return _render(fmt, "services", [_service(s) for s in found])

    @bp.get("/services/<code>.<fmt>")
    def service_definition(code, fmt):
        with pooled_cursor(url) as cur:
            found = sr.services(cur, request_jurisdiction(cur), code)
        if not found:
            raise NotFound(f"no service {code!r}")
        return _render(fmt, "definition", {"service_code": code,
                                           "attributes": found[0]["attributes"]})

    @bp.post("/requests.<fmt>")
    def post_request(fmt):
        _check_format(fmt)
        key = idempotency.request_key()  # sent again with it (no answer came): filed once
        new = _new_request()
        with pooled_cursor(url, commit=True, actor=_actor("citizen")) as cur:
            if key is not None:
                first = idempotency.first_answer(cur, key, _actor("citizen"))
                if first is not None:
                    return first
            jurisdiction = request_jurisdiction(cur)
            act_in(cur, [jurisdiction])  # anyone may report anywhere: filed in its municipality
            if new.location is None:
                new.location = sr.geocode(cur, jurisdiction, new.address_string or "")
            made = sr.submit(cur, jurisdiction, new, actor=_actor("citizen"))
            notice = (f"Αναμενόμενη ολοκλήρωση / expected by "
                      f"{made['expected_datetime']:%Y-%m-%d %H:%M} UTC "
                      f"({made['agency_responsible']})")
            answer = {"service_request_id": made["service_request_id"], "token": made["token"],
                      "service_notice": notice, "account_id": None,
                      "possible_duplicates": [_duplicate(d) for d in made["possible_duplicates"]]}
            response = _render(fmt, "requests", [answer], status=201)
            if key is not None:
                idempotency.keep(cur, key, response)
        SUBMITTED.inc()  # after the commit: counts what is stored
        return response

    @bp.get("/requests.<fmt>")
    def get_requests(fmt):
        args = request.args
        start, end = _dates()
        with pooled_cursor(url) as cur:
            jurisdiction = request_jurisdiction(cur)
            found = sr.find_requests(
                cur, jurisdiction, ids=_list(args.get("service_request_id")),
                codes=_list(args.get("service_code")), statuses=_statuses(args.get("status")),
                start=start, end=end, bbox=_bbox())
        return _render(fmt, "requests", [_public(r) for r in found])

    @bp.get("/requests/nearby.<fmt>")
    def nearby(fmt):
        """Before sending: open requests of the category near the pin (follow, don't duplicate)."""
        lat, lon = _float("lat"), _float("long")
        with pooled_cursor(url) as cur:
            jurisdiction = request_jurisdiction(cur)
            located, _, _, point = sr.locate(cur, lon, lat)
            found = sr.nearby_requests(cur, located, _required("service_code"), point,
                                       _float("radius", sr.DUPLICATE_RADIUS_M))
        if located != jurisdiction:
            found = []
        return _render(fmt, "requests", [_duplicate(d) for d in found])

    @bp.get("/requests/<number>.<fmt>")
    def get_request(number, fmt):
        with pooled_cursor(url) as cur:
            found = sr.request_by_number(cur, request_jurisdiction(cur), number)
        return _render(fmt, "requests", [_public(found)])

    @bp.get("/requests/<number>/contact.<fmt>")
    def get_contact(number, fmt):
        """The reporter's contact data: staff of the request's municipality only
        (dimos/access.py, gis/access_rules.py)."""
        with pooled_cursor(url, principal=g.principal) as cur:
            jurisdiction = acting_jurisdiction(cur, f"request {number[:40]!r}")
            found = sr.contact(cur, jurisdiction, number)
        return _render(fmt, "contact", found)

    @bp.get("/tokens/<token>.<fmt>")
    def get_token(token, fmt):
        with pooled_cursor(url) as cur:
            jurisdiction = request_jurisdiction(cur)
            act_in(cur, [jurisdiction])  # whoever holds the token: the query matches on it
            number = sr.request_by_token(cur, jurisdiction, token)
        return _render(fmt, "tokens", [{"service_request_id": number, "token": token}])

    @bp.get("/servicerequestupdates.<fmt>")
    def get_updates(fmt):
        with pooled_cursor(url) as cur:
            found = sr.updates(cur, request_jurisdiction(cur), *_dates(),
                               request.args.get("service_request_id"))
        return _render(fmt, "updates", [
            {"update_id": str(u["id"]), "service_request_id": u["service_request_id"],
             "status": _open311_status(u["status"]), "detailed_status": u["status"],
             "updated_datetime": _w3c(u["created_at"]), "description": u["note"],
             "media_url": None} for u in found])

    @bp.post("/servicerequestupdates.<fmt>")
    def post_update(fmt):
        """A status change by staff of the request's municipality (dimos/access.py,
        gis/access_rules.py): the workflow decides what may follow."""
        _check_format(fmt)
        form = request.form
        with pooled_cursor(url, commit=True, actor=_actor("staff"), principal=g.principal) as cur:
            number = _required("service_request_id")
            jurisdiction = acting_jurisdiction(cur, f"request {number[:40]!r}")
            update_id = sr.change_status(
                cur, jurisdiction, number, _required("status"), _actor("staff"),
                note=_text("description"), private_note=_text("private_note"),
                agency=_text("agency_responsible"),
                crew=_text("crew"), duplicate_of=form.get("duplicate_of") or None)
            found = sr.request_by_number(cur, jurisdiction, number)
        return _render(fmt, "updates", [{"update_id": str(update_id), **_public(found)}],
                       status=201)

    @bp.get("/media/<media_id>")
    def media(media_id):
        # any text is routed here, so that a wrong id is answered in GeoReport's error form
        if not media_id.isascii() or not media_id.isdigit() or len(media_id) > 18:
            raise NotFound(f"no photo {media_id[:40]!r}: photo ids are whole numbers")
        with pooled_cursor(url) as cur:
            row = sr.photo_data(cur, int(media_id))
        if row is None:
            raise NotFound(f"no photo {media_id}")
        data, content_type = row
        if request.args.get("size"):
            data, content_type = photos.resized(data, request.args["size"])
        return Response(data, content_type=content_type,
                        headers={"Cache-Control": "public, max-age=86400"})

    @bp.errorhandler(DimosError)
    def open311_error(error: DimosError):
        log_refusal(current_app.logger, error)
        fmt = "xml" if request.path.endswith(".xml") else "json"
        return _render(fmt, "errors", [{"code": error.status, "description": error.message}],
                       status=error.status)

    return bp


def _check_format(fmt: str) -> None:
    if fmt not in ("json", "xml"):
        raise NotFound(f"format .{fmt}: use .json or .xml")


def _render(fmt: str, kind: str, payload, status: int = 200) -> Response:
    _check_format(fmt)
    if fmt == "json":
        return Response(json.dumps(payload, ensure_ascii=False, default=_w3c), status=status,
                        content_type="application/json; charset=utf-8")
    root_name, item_name = XML_NAMES[kind]
    root = ElementTree.Element(root_name)
    for item in payload if item_name else [payload]:
        _xml(ElementTree.SubElement(root, item_name) if item_name else root, item)
    body = ElementTree.tostring(root, encoding="unicode", xml_declaration=False)
    return Response('<?xml version="1.0" encoding="utf-8"?>' + body, status=status,
                    content_type="text/xml; charset=utf-8")


def _xml(element, value) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            if isinstance(inner, list):
                holder = ElementTree.SubElement(element, key)
                for entry in inner:
                    _xml(ElementTree.SubElement(holder, key.rstrip("s") or key), entry)
            else:
                _xml(ElementTree.SubElement(element, key), inner)
    elif value is None:
        return
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif isinstance(value, datetime):
        element.text = _w3c(value)
    else:
        element.text = str(value)


def _actor(default: str) -> str:
    return principal_id(g.get("principal")) or default


def _new_request() -> sr.NewRequest:
    form = request.form
    lat, lon = form.get("lat"), form.get("long")
    if (lat is None) != (lon is None):
        raise InvalidParameter("lat and long: give both, or neither and an address_string")
    if lat is None and not form.get("address_string"):
        raise InvalidParameter("location: give lat and long, or address_string")
    files = [f for f in request.files.getlist("media") if f.filename or f.content_length]
    if len(files) > photos.MAX_PHOTOS:
        raise InvalidParameter(f"media: at most {photos.MAX_PHOTOS} photos")
    return sr.NewRequest(
        service_code=_required("service_code"),
        location=Point(_float("long"), _float("lat")) if lat is not None else None,
        description=_text("description"), address_string=_text("address_string"),
        first_name=_text("first_name"), last_name=_text("last_name"), email=_text("email"),
        phone=_text("phone"), account=reporter_account(g.get("principal")),
        attributes={key[len("attribute["):-1]: value for key, value in form.items()
                    if key.startswith("attribute[") and key.endswith("]")},
        photos=[photos.clean_photo(f"media {i + 1} ({f.filename or 'unnamed'})",
                                   f.stream.read(photos.MAX_BYTES + 1))
                for i, f in enumerate(files)])


def _required(name: str) -> str:
    value = request.values.get(name, "").strip()
    if not value:
        raise InvalidParameter(f"{name}: required")
    return value


def _text(name: str) -> str | None:
    value = request.values.get(name, "").strip()
    if len(value) > MAX_TEXT:
        raise InvalidParameter(f"{name}: longer than {MAX_TEXT} characters")
    return value or None


#: where each coordinate parameter can lie (CRS84)
COORDINATE_RANGES = {"lat": (-90.0, 90.0), "long": (-180.0, 180.0)}


def _float(name: str, default: float | None = None) -> float:
    """A finite number parameter (form or query); lat and long within their ranges."""
    value = request.values.get(name)
    if value is None and default is not None:
        return default
    return parse_number(name, value, *COORDINATE_RANGES.get(name, (None, None)))


def _list(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def _statuses(value: str | None) -> list[str] | None:
    """Open311's open/closed, or dimos' detailed states."""
    if not value:
        return None
    wanted = []
    for status in _list(value):
        if status == "open":
            wanted += sr.OPEN_STATES
        elif status == "closed":
            wanted += ["closed", "rejected", "duplicate"]
        elif status in sr.TRANSITIONS:
            wanted.append(status)
        else:
            raise InvalidParameter(f"status: {status!r}; use open, closed or one of "
                                   f"{', '.join(sr.TRANSITIONS)}")
    return wanted


def _datetime(name: str) -> datetime | None:
    """A W3C date-time parameter with its time zone, or None when absent."""
    value = request.args.get(name)
    return parse_instant(name, value, dates=False) if value else None


def _dates() -> tuple[datetime | None, datetime | None]:
    """start_date and end_date, in that order."""
    start, end = _datetime("start_date"), _datetime("end_date")
    if start is not None and end is not None and start > end:
        raise InvalidParameter("start_date: after end_date")
    return start, end


def _bbox() -> tuple[float, ...] | None:
    """bbox=minlong,minlat,maxlong,maxlat (CRS84)."""
    value = request.args.get("bbox")
    if not value:
        return None
    if value.count(",") != 3:
        raise InvalidParameter("bbox: four numbers minlong,minlat,maxlong,maxlat")
    return parse_bbox("bbox", value)


def _open311_status(status: str) -> str:
    return "open" if status in sr.OPEN_STATES else "closed"


def _w3c(value):
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds").replace("+00:00", "Z")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _service(s: dict) -> dict:
    return {"service_code": s["service_code"], "service_name": s["name_el"],
            "service_name_en": s["name_en"], "description": s["description"],
            "metadata": bool(s["attributes"]), "type": "realtime",
            "keywords": ", ".join(s["keywords"]), "group": s["group_name"],
            "expected_hours": s["sla_hours"]}


def _public(r: dict) -> dict:
    base = public_base(current_app.extensions["dimos.settings"])
    media = [f"{base}/open311/v2/media/{m}" for m in r["media_ids"] or []]
    overdue = r["status"] in sr.OPEN_STATES and r["expected_at"] is not None \
        and r["expected_at"] < sr._now()
    return {
        "service_request_id": r["service_request_id"],
        "status": _open311_status(r["status"]), "detailed_status": r["status"],
        "status_notes": r["status_notes"], "service_name": r["service_name"],
        "service_code": r["service_code"], "description": r["description"],
        "agency_responsible": r["agency_responsible"], "service_notice": None,
        "requested_datetime": r["requested_at"], "updated_datetime": r["updated_at"],
        "expected_datetime": r["expected_at"], "overdue": overdue,
        "address": r["address_string"], "address_id": None, "zipcode": None,
        "lat": round(r["lat"], 7), "long": round(r["long"], 7),
        "media_url": media[0] if media else None, "media_urls": media,
        "district_code": r["district_code"], "settlement_code": r["settlement_code"],
        "duplicate_of": r["duplicate_of"], "duplicates": r["duplicates"] or [],
    }


def _duplicate(d: dict) -> dict:
    return {"service_request_id": d["service_request_id"], "service_code": d["service_code"],
            "service_name": d["service_name"], "status": _open311_status(d["status"]),
            "detailed_status": d["status"], "requested_datetime": d["requested_at"],
            "description": d["description"], "distance_m": d["distance_m"]}
