"""Citizen requests: submission, the staff workflow and the public record, in SQL.

Spatial from end to end: a request is placed in its municipality, district and settlement by
its location (outside every municipality, the sea included, it is refused), routed to a
department by category × area, and checked against open requests nearby. Every change is a
row of ``service_request_updates``; the request row holds only the current state. Personal
data (``service_requests_private``) is written here and read only by staff functions.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from psycopg2 import sql
from shapely.geometry import Point

from gis.errors import Conflict, InvalidParameter, NotFound

DUPLICATE_RADIUS_M = 50.0
MAX_DUPLICATE_RADIUS_M = 500.0
RECENTLY_CLOSED_DAYS = 7
MAX_RESULTS = 1000
DEFAULT_WINDOW = timedelta(days=90)  # Open311: without dates, the most recent 90 days

OPEN_STATES = ("open", "acknowledged", "in_progress")
#: the workflow: which status may follow which (reopening is a staff decision too)
TRANSITIONS = {
    "open": {"acknowledged", "rejected", "duplicate"},
    "acknowledged": {"in_progress", "rejected", "duplicate"},
    "in_progress": {"closed", "rejected"},
    "closed": {"open"},
    "rejected": {"open"},
    "duplicate": {"open"},
}




@dataclass(frozen=True)
class Photo:
    """A citizen's photo as stored: re-encoded, without metadata (photos/reencode.py)."""

    content_type: str
    data: bytes
    width: int
    height: int
    sha256: str


@dataclass
class NewRequest:
    service_code: str
    location: Point  # EPSG:4326 lon/lat
    description: str | None = None
    address_string: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    #: the signed-in reporter's account: only they see the notes meant for them
    account: str | None = None
    attributes: dict = field(default_factory=dict)
    photos: list[Photo] = field(default_factory=list)


LOCATE_SQL = """
SELECT j.id,
       (SELECT d.district_code FROM districts d
         WHERE d.jurisdiction_id = j.id AND ST_Intersects(d.geom, q.p) LIMIT 1),
       (SELECT s.settlement_code FROM settlements s
         WHERE s.jurisdiction_id = j.id AND ST_Intersects(s.geom, q.p)
         ORDER BY ST_Area(s.geom) LIMIT 1),
       ST_AsBinary(q.p)
FROM (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326), 2100) AS p) AS q
JOIN jurisdictions j ON ST_Intersects(j.boundary, q.p)
ORDER BY j.id LIMIT 1
"""

GEOCODE_SQL = """
SELECT ST_X(p), ST_Y(p) FROM (
  SELECT ST_Transform(ST_ClosestPoint(ST_Collect(geom), ST_Centroid(ST_Collect(geom))), 4326) AS p
  FROM roads WHERE jurisdiction_id = %(jurisdiction)s AND name ILIKE %(contains)s
  GROUP BY name
  -- the street of that name, then one starting with it, then the longest containing it
  ORDER BY (name ILIKE %(exact)s) DESC, (name ILIKE %(prefix)s) DESC, sum(ST_Length(geom)) DESC
  LIMIT 1) AS street
"""

SERVICE_SQL = sql.SQL("""
SELECT service_code, name_el, name_en, description, group_name, keywords, sla_hours,
       department, attributes
FROM services WHERE jurisdiction_id = %(jurisdiction)s {where} ORDER BY service_code
""")

DEPARTMENT_SQL = """
SELECT department FROM service_routing
WHERE jurisdiction_id = %(jurisdiction)s AND service_code = %(code)s
  AND (district_code IS NULL OR district_code = %(district)s)
  AND (settlement_code IS NULL OR settlement_code = %(settlement)s)
ORDER BY (settlement_code IS NOT NULL)::int + (district_code IS NOT NULL)::int DESC, id
LIMIT 1
"""

NEXT_ID_SQL = "SELECT nextval(pg_get_serial_sequence('service_requests', 'id'))"

INSERT_SQL = """
INSERT INTO service_requests (id, jurisdiction_id, service_request_id, service_code, service_name,
    description, status, requested_at, updated_at, address_string, district_code,
    settlement_code, agency_responsible, expected_at, geom)
VALUES (%(id)s, %(jurisdiction)s, %(number)s, %(code)s, %(name)s, %(description)s, 'open',
        %(now)s, %(now)s, %(address)s, %(district)s, %(settlement)s, %(department)s,
        %(expected)s, ST_GeomFromWKB(%(geom)s, 2100))
"""

INSERT_PRIVATE_SQL = """
INSERT INTO service_requests_private (feature_id, jurisdiction_id, reporter_name, reporter_email,
    reporter_phone, reporter_account, submission_token)
VALUES (%(id)s, %(jurisdiction)s, %(name)s, %(email)s, %(phone)s, %(account)s, %(token)s)
"""

INSERT_UPDATE_SQL = """
INSERT INTO service_request_updates (jurisdiction_id, request_id, status, note, private_note,
    agency_responsible, crew, duplicate_of, actor, created_at)
VALUES (%(jurisdiction)s, %(id)s, %(status)s, %(note)s, %(private_note)s, %(agency)s, %(crew)s,
        %(duplicate_of)s, %(actor)s, %(now)s)
RETURNING id
"""

INSERT_MEDIA_SQL = """
INSERT INTO service_request_media (jurisdiction_id, request_id, content_type, data, width,
    height, sha256)
VALUES (%s, %s, %s, %s, %s, %s, %s)
"""

NEARBY_SQL = """
SELECT r.service_request_id, r.service_code, r.service_name, r.status, r.requested_at,
       r.description, round(ST_Distance(r.geom, q.p)::numeric, 1) AS distance_m
FROM service_requests r,
     (SELECT ST_GeomFromWKB(%(geom)s, 2100) AS p) AS q
WHERE r.jurisdiction_id = %(jurisdiction)s AND r.service_code = %(code)s
  AND ST_DWithin(r.geom, q.p, %(radius)s)
  AND (r.status IN ('open', 'acknowledged', 'in_progress')
       OR (r.status = 'closed' AND r.closed_at > %(now)s - %(recent)s * interval '1 day'))
ORDER BY distance_m, r.requested_at DESC
LIMIT 20
"""

#: the public record of a request, in Open311's vocabulary (never a private column)
PUBLIC_SQL = sql.SQL("""
SELECT r.id, r.service_request_id, r.status, r.service_name, r.service_code, r.description,
       r.agency_responsible, r.requested_at, r.updated_at, r.expected_at, r.closed_at,
       r.address_string, r.district_code, r.settlement_code, r.duplicate_of,
       ST_Y(ST_Transform(r.geom, 4326)) AS lat, ST_X(ST_Transform(r.geom, 4326)) AS long,
       (SELECT u.note FROM service_request_updates u WHERE u.request_id = r.id
         ORDER BY u.created_at DESC, u.id DESC LIMIT 1) AS status_notes,
       (SELECT array_agg(m.id ORDER BY m.id) FROM service_request_media m
         WHERE m.request_id = r.id) AS media_ids,
       (SELECT array_agg(d.service_request_id ORDER BY d.service_request_id)
          FROM service_requests d WHERE d.jurisdiction_id = r.jurisdiction_id
           AND d.duplicate_of = r.service_request_id) AS duplicates
FROM service_requests r
WHERE r.jurisdiction_id = %(jurisdiction)s {where}
ORDER BY r.requested_at DESC, r.id DESC
LIMIT %(limit)s
""")

LOCK_SQL = """
SELECT id, status, service_request_id FROM service_requests
WHERE jurisdiction_id = %(jurisdiction)s AND service_request_id = %(number)s
FOR UPDATE
"""

APPLY_UPDATE_SQL = """
UPDATE service_requests
SET status = %(status)s, updated_at = %(now)s,
    closed_at = CASE WHEN %(status)s IN ('closed', 'rejected', 'duplicate') THEN %(now)s END,
    agency_responsible = coalesce(%(agency)s, agency_responsible),
    duplicate_of = CASE WHEN %(status)s = 'duplicate' THEN %(duplicate_of)s END
WHERE id = %(id)s
"""

UPDATES_SQL = sql.SQL("""
SELECT u.id, r.service_request_id, u.status, u.note, u.created_at
FROM service_request_updates u JOIN service_requests r ON r.id = u.request_id
WHERE u.jurisdiction_id = %(jurisdiction)s AND u.created_at >= %(start)s
  AND u.created_at <= %(end)s {where}
ORDER BY u.created_at, u.id
LIMIT %(limit)s
""")

HISTORY_SQL = """
SELECT u.status, u.note, u.agency_responsible, u.crew, u.duplicate_of, u.actor, u.created_at
FROM service_request_updates u WHERE u.request_id = %s ORDER BY u.created_at, u.id
"""

CONTACT_SQL = """
SELECT p.reporter_name, p.reporter_email, p.reporter_phone
FROM service_requests r JOIN service_requests_private p ON p.feature_id = r.id
WHERE r.jurisdiction_id = %(jurisdiction)s AND r.service_request_id = %(number)s
"""

TOKEN_SQL = """
SELECT r.service_request_id FROM service_requests_private p
JOIN service_requests r ON r.id = p.feature_id
WHERE p.jurisdiction_id = %(jurisdiction)s AND p.submission_token = %(token)s
"""

#: a signed-in reporter's own requests, each with its history and the notes meant for them
ACCOUNT_REQUESTS_SQL = """
SELECT r.service_request_id, r.service_code, r.service_name, r.status, r.requested_at,
       r.updated_at, r.address_string,
       ST_Y(ST_Transform(r.geom, 4326)) AS lat, ST_X(ST_Transform(r.geom, 4326)) AS long,
       (SELECT json_agg(json_build_object('status', u.status, 'note', u.note,
                                          'private_note', u.private_note, 'at', u.created_at)
                        ORDER BY u.created_at, u.id)
          FROM service_request_updates u WHERE u.request_id = r.id) AS history
FROM service_requests r JOIN service_requests_private p ON p.feature_id = r.id
WHERE r.jurisdiction_id = %(jurisdiction)s AND p.reporter_account = %(account)s
ORDER BY r.requested_at DESC, r.id DESC
LIMIT %(limit)s
"""

#: requests still to be done, by the crew their latest assignment names (every crew: NULL)
CREW_ASSIGNMENTS_SQL = """
SELECT a.crew, r.service_request_id, r.service_code, r.service_name, r.status, r.description,
       r.address_string, r.expected_at, a.assigned_at,
       ST_Y(ST_Transform(r.geom, 4326)) AS lat, ST_X(ST_Transform(r.geom, 4326)) AS long
FROM service_requests r
JOIN LATERAL (SELECT u.crew, u.created_at AS assigned_at FROM service_request_updates u
              WHERE u.request_id = r.id AND u.crew IS NOT NULL
              ORDER BY u.created_at DESC, u.id DESC LIMIT 1) a ON TRUE
WHERE r.jurisdiction_id = %(jurisdiction)s AND r.status IN ('acknowledged', 'in_progress')
  AND (%(crew)s::text IS NULL OR a.crew = %(crew)s)
ORDER BY a.crew, r.expected_at, r.id
LIMIT %(limit)s
"""

NOTIFY_SQL = """
INSERT INTO notification_outbox (jurisdiction_id, request_id, subject, body)
SELECT %(jurisdiction)s, %(id)s, %(subject)s, %(body)s
FROM service_requests_private p WHERE p.feature_id = %(id)s AND p.reporter_email IS NOT NULL
"""


def _rows(cur, query, params) -> list[dict]:
    cur.execute(query, params)
    names = [d.name for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def services(cur, jurisdiction: str, code: str | None = None) -> list[dict]:
    where = "AND service_code = %(code)s" if code is not None else ""
    return _rows(cur, SERVICE_SQL.format(where=sql.SQL(where)), {"jurisdiction": jurisdiction, "code": code})


ROUTING_SQL = """
SELECT service_code, district_code, settlement_code, department FROM service_routing
WHERE jurisdiction_id = %(jurisdiction)s ORDER BY service_code, id
"""


def routing(cur, jurisdiction: str) -> list[dict]:
    """Which department handles each service: its own unless a rule names one for a district
    or settlement (what DEPARTMENT_SQL picks from). Departments, no people."""
    rules: dict[str, list[dict]] = {}
    for row in _rows(cur, ROUTING_SQL, {"jurisdiction": jurisdiction}):
        rules.setdefault(row.pop("service_code"), []).append(row)
    return [{"service_code": s["service_code"], "department": s["department"],
             "rules": rules.get(s["service_code"], [])} for s in services(cur, jurisdiction)]


def locate(cur, lon: float, lat: float) -> tuple[str, str | None, str | None, bytes]:
    """(municipality, district, settlement, point in EPSG:2100 as WKB) of a location."""
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidParameter("lat/long: outside −90…90 / −180…180 degrees")
    cur.execute(LOCATE_SQL, {"lon": lon, "lat": lat})
    row = cur.fetchone()
    if row is None:
        raise InvalidParameter(f"lat/long: {lat:.6f}, {lon:.6f} is outside the municipality "
                               "(on land within its boundary); this server cannot take it")
    return row[0], row[1], row[2], bytes(row[3])


def geocode(cur, jurisdiction: str, address: str) -> Point:
    """A point on the longest street whose name matches ``address`` (no house numbers)."""
    street = address.split(",")[0].strip().rstrip("0123456789 ").strip()
    if len(street) < 3:
        raise InvalidParameter("address_string: give a street name, or lat and long")
    name = street.replace("%", "").replace("_", " ")
    cur.execute(GEOCODE_SQL, {"jurisdiction": jurisdiction, "exact": name,
                              "prefix": f"{name}%", "contains": f"%{name}%"})
    row = cur.fetchone()
    if row is None:
        raise InvalidParameter(f"address_string: no street named like {street!r}; "
                               "give lat and long")
    return Point(row[0], row[1])


def nearby_requests(cur, jurisdiction: str, code: str, point_2100: bytes,
                    radius_m: float = DUPLICATE_RADIUS_M) -> list[dict]:
    """Open (or recently closed) requests of the same category within ``radius_m``."""
    if not 0 < radius_m <= MAX_DUPLICATE_RADIUS_M:
        raise InvalidParameter(f"radius: 0–{MAX_DUPLICATE_RADIUS_M:.0f} m")
    rows = _rows(cur, NEARBY_SQL, {"jurisdiction": jurisdiction, "code": code,
                                   "geom": point_2100, "radius": radius_m,
                                   "now": _now(), "recent": RECENTLY_CLOSED_DAYS})
    for row in rows:
        row["distance_m"] = float(row["distance_m"])
    return rows


def submit(cur, jurisdiction: str, new: NewRequest, actor: str = "citizen") -> dict:
    """Store a new request (public row, private contact, history, photos) in the caller's
    transaction; its number, token, department and the nearby requests it may duplicate."""
    found = services(cur, jurisdiction, new.service_code)
    if not found:
        raise InvalidParameter(f"service_code: {new.service_code!r} is not a service of "
                               f"{jurisdiction}; see services.json")
    service = found[0]
    _check_attributes(service["attributes"], new.attributes)
    located, district, settlement, point = locate(cur, new.location.x, new.location.y)
    if located != jurisdiction:
        raise InvalidParameter(f"lat/long: the location is in {located}, not {jurisdiction}")
    duplicates = nearby_requests(cur, jurisdiction, new.service_code, point)
    cur.execute(DEPARTMENT_SQL, {"jurisdiction": jurisdiction, "code": new.service_code,
                                 "district": district, "settlement": settlement})
    routed = cur.fetchone()
    now = _now()
    cur.execute(NEXT_ID_SQL)
    (feature_id,) = cur.fetchone()
    number = f"{now.year}-{feature_id:06d}"
    description = _with_attributes(new.description, service["attributes"], new.attributes)
    cur.execute(INSERT_SQL, {
        "id": feature_id, "jurisdiction": jurisdiction, "number": number,
        "code": new.service_code, "name": service["name_el"], "description": description,
        "now": now, "address": new.address_string, "district": district,
        "settlement": settlement, "department": routed[0] if routed else service["department"],
        "expected": now + timedelta(hours=service["sla_hours"]), "geom": point})
    token = secrets.token_urlsafe(16)
    name = " ".join(part for part in (new.first_name, new.last_name) if part) or None
    cur.execute(INSERT_PRIVATE_SQL, {"id": feature_id, "jurisdiction": jurisdiction,
                                     "name": name, "email": new.email, "phone": new.phone,
                                     "account": new.account, "token": token})
    cur.execute(INSERT_UPDATE_SQL, {"jurisdiction": jurisdiction, "id": feature_id,
                                    "status": "open", "note": None, "private_note": None,
                                    "agency": None, "crew": None,
                                    "duplicate_of": None, "actor": actor, "now": now})
    for photo in new.photos:
        cur.execute(INSERT_MEDIA_SQL, (jurisdiction, feature_id, photo.content_type, photo.data,
                                       photo.width, photo.height, photo.sha256))
    return {"service_request_id": number, "token": token,
            "agency_responsible": routed[0] if routed else service["department"],
            "expected_datetime": now + timedelta(hours=service["sla_hours"]),
            "possible_duplicates": duplicates}


def find_requests(cur, jurisdiction: str, *, ids=None, codes=None, statuses=None, start=None,
                  end=None, bbox=None, limit: int = MAX_RESULTS) -> list[dict]:
    """Public records matching Open311's filters (ids override the rest, as the spec says)."""
    where, params = [], {"jurisdiction": jurisdiction, "limit": min(int(limit), MAX_RESULTS)}
    if ids:
        where.append("AND r.service_request_id = ANY(%(ids)s)")
        params["ids"] = list(ids)
    else:
        if codes:
            where.append("AND r.service_code = ANY(%(codes)s)")
            params["codes"] = list(codes)
        if statuses:
            where.append("AND r.status = ANY(%(statuses)s)")
            params["statuses"] = list(statuses)
        if start is None and end is None:
            start = _now() - DEFAULT_WINDOW
        if start is not None:
            where.append("AND r.requested_at >= %(start)s")
            params["start"] = start
        if end is not None:
            where.append("AND r.requested_at <= %(end)s")
            params["end"] = end
        if bbox is not None:
            where.append("AND r.geom && ST_Transform(ST_MakeEnvelope(%(minx)s, %(miny)s, "
                         "%(maxx)s, %(maxy)s, 4326), 2100)")
            params.update(zip(("minx", "miny", "maxx", "maxy"), bbox))
    return _rows(cur, PUBLIC_SQL.format(where=sql.SQL(" ").join(map(sql.SQL, where))), params)


def request_by_number(cur, jurisdiction: str, number: str) -> dict:
    found = find_requests(cur, jurisdiction, ids=[number])
    if not found:
        raise NotFound(f"no request {number!r} in {jurisdiction}")
    return found[0]


def request_by_token(cur, jurisdiction: str, token: str) -> str:
    cur.execute(TOKEN_SQL, {"jurisdiction": jurisdiction, "token": token})
    row = cur.fetchone()
    if row is None:
        raise NotFound("no request for this token")
    return row[0]


#: most rows one call to the own-rows lists returns
OWN_ROWS_LIMIT = 1000


def requests_of_account(cur, jurisdiction: str, account: str) -> list[dict]:
    """The requests a signed-in person reported, with the notes meant for them."""
    return _rows(cur, ACCOUNT_REQUESTS_SQL, {"jurisdiction": jurisdiction, "account": account,
                                             "limit": OWN_ROWS_LIMIT})


def crew_assignments(cur, jurisdiction: str, crew: str | None) -> list[dict]:
    """Open work by assigned crew: one crew's (``crew``) or every crew's (None)."""
    return _rows(cur, CREW_ASSIGNMENTS_SQL, {"jurisdiction": jurisdiction, "crew": crew,
                                             "limit": OWN_ROWS_LIMIT})


def history(cur, feature_id: int) -> list[dict]:
    return _rows(cur, HISTORY_SQL, (feature_id,))


def contact(cur, jurisdiction: str, number: str) -> dict:
    """The reporter's personal data: for signed-in staff only (the caller checks the role)."""
    rows = _rows(cur, CONTACT_SQL, {"jurisdiction": jurisdiction, "number": number})
    if not rows:
        raise NotFound(f"no request {number!r} in {jurisdiction}")
    return rows[0]


def change_status(cur, jurisdiction: str, number: str, status: str, actor: str, *,
                  note: str | None = None, private_note: str | None = None,
                  agency: str | None = None, crew: str | None = None,
                  duplicate_of: str | None = None) -> int:
    """Move request ``number`` to ``status`` following the workflow; the update's id.

    ``note`` is public; ``private_note`` is for the reporter's signed-in account alone.
    Rejecting names who is responsible instead; marking a duplicate names the original (an
    existing request that is not itself a duplicate). The citizen is notified if they left
    an e-mail address.
    """
    cur.execute(LOCK_SQL, {"jurisdiction": jurisdiction, "number": number})
    row = cur.fetchone()
    if row is None:
        raise NotFound(f"no request {number!r} in {jurisdiction}")
    feature_id, current, _ = row
    if status not in TRANSITIONS:
        raise InvalidParameter(f"status: one of {', '.join(TRANSITIONS)}")
    if status not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current]))
        raise Conflict(f"status: a request that is {current} can become {allowed}, not {status}")
    if status == "rejected" and not (agency and note):
        raise InvalidParameter("rejected: say who is responsible instead (agency_responsible) "
                               "and why (description)")
    if status == "duplicate":
        _check_original(cur, jurisdiction, number, duplicate_of)
    now = _now()
    params = {"jurisdiction": jurisdiction, "id": feature_id, "status": status, "note": note,
              "private_note": private_note, "agency": agency, "crew": crew,
              "duplicate_of": duplicate_of, "actor": actor, "now": now}
    cur.execute(INSERT_UPDATE_SQL, params)
    (update_id,) = cur.fetchone()
    cur.execute(APPLY_UPDATE_SQL, params)
    cur.execute(NOTIFY_SQL, {"jurisdiction": jurisdiction, "id": feature_id,
                             "subject": f"Αίτημα {number}: {status}",
                             "body": _notification_body(number, status, note)})
    return update_id


def updates(cur, jurisdiction: str, start=None, end=None, number: str | None = None) -> list[dict]:
    end = end or _now()
    start = start or end - DEFAULT_WINDOW
    where = "AND r.service_request_id = %(number)s" if number else ""
    return _rows(cur, UPDATES_SQL.format(where=sql.SQL(where)), {
        "jurisdiction": jurisdiction, "start": start, "end": end, "number": number,
        "limit": MAX_RESULTS})


def _check_original(cur, jurisdiction: str, number: str, original: str | None) -> None:
    if not original:
        raise InvalidParameter("duplicate: name the original request (duplicate_of)")
    if original == number:
        raise InvalidParameter("duplicate_of: a request cannot duplicate itself")
    cur.execute("SELECT status FROM service_requests WHERE jurisdiction_id = %s "
                "AND service_request_id = %s", (jurisdiction, original))
    row = cur.fetchone()
    if row is None:
        raise InvalidParameter(f"duplicate_of: no request {original!r}")
    if row[0] == "duplicate":
        raise InvalidParameter(f"duplicate_of: {original} is itself a duplicate; name its original")


def _check_attributes(definitions: list[dict], values: dict) -> None:
    known = {a["code"]: a for a in definitions}
    for code, value in values.items():
        if code not in known:
            raise InvalidParameter(f"attribute[{code}]: not an attribute of this service")
        keys = [v["key"] for v in known[code].get("values") or []]
        if keys and value not in keys:
            raise InvalidParameter(f"attribute[{code}]: one of {', '.join(keys)}")
    for code, definition in known.items():
        if definition.get("required") and code not in values:
            raise InvalidParameter(f"attribute[{code}]: required")


def _with_attributes(description, definitions, values) -> str | None:
    if not values:
        return description
    names = {a["code"]: a["description"] for a in definitions}
    extra = "; ".join(f"{names[code]}: {value}" for code, value in sorted(values.items()))
    return f"{description}\n[{extra}]" if description else f"[{extra}]"


def _notification_body(number: str, status: str, note: str | None) -> str:
    lines = [f"Το αίτημά σας {number} είναι τώρα: {status}.",
             f"Your request {number} is now: {status}."]
    if note:
        lines += ["", note]
    return "\n".join(lines)


def _now() -> datetime:
    return datetime.now(timezone.utc)


PHOTO_DATA_SQL = "SELECT data, content_type FROM service_request_media WHERE id = %s"


def photo_data(cur, media_id: int) -> tuple[bytes, str] | None:
    """A stored photo's bytes and content type (photos are public, like the request)."""
    cur.execute(PHOTO_DATA_SQL, (media_id,))
    row = cur.fetchone()
    return None if row is None else (bytes(row[0]), row[1])

