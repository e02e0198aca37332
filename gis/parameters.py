"""The values clients send, parsed and bounded: text, JSON documents, numbers, integers,
bboxes, instants and intervals.

Every endpoint (the application's, the web map's, the OGC API's filters) parses its
parameters with these, so a value means the same and fails the same way everywhere; the
application's input checks (dimos/request_input.py) run them on every request first. Each
raises ``InvalidParameter`` naming the parameter; the error handlers write the body.
"""
from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from gis import bounded_json
from gis.crs_uris import CRS_URIS
from gis.errors import InvalidParameter

#: a JSON body larger than this is refused unread: the largest we take (a feature with a
#: detailed polygon, a CQL2 filter of 10,000 vertices) is well below it
MAX_JSON_BYTES = 5 * 2 ** 20
#: arrays and objects within each other: a GeoJSON MultiPolygon in a request is ~7 deep
MAX_JSON_DEPTH = 100
#: integers in a JSON body: PostgreSQL's bigint, the widest integer dimos stores
MAX_JSON_INTEGER = 2 ** 63 - 1
#: the widest offset any time zone has (PostgreSQL refuses wider ones)
MAX_UTC_OFFSET = timedelta(hours=14)
#: C0 controls and DEL, but tab, line feed and carriage return, which free text may hold
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_INTEGER = re.compile(r"[+-]?\d{1,30}")
_RFC3339_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_RFC3339_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}:\d{2})")
OPEN_END = ("", "..")


def check_text(name: str, value: str) -> str:
    """``value`` if PostgreSQL can store it as text: no NUL, no control characters but tab
    and line breaks, no lone surrogates (which UTF-8 cannot encode)."""
    if "\x00" in value:
        raise InvalidParameter(f"{_printable(name)}: contains a NUL character")
    found = _CONTROL.search(value)
    if found:
        raise InvalidParameter(f"{_printable(name)}: contains the control character "
                               f"U+{ord(found.group()):04X}")
    if _SURROGATE.search(value):
        raise InvalidParameter(f"{_printable(name)}: contains a lone surrogate (not UTF-8 text)")
    return value


def _printable(name: str) -> str:
    return _SURROGATE.sub("", _CONTROL.sub("", name.replace("\x00", "")))[:80] or "a field"


def read_json(data: bytes | str, where: str = "body"):
    """A JSON document, refused unless UTF-8, at most MAX_JSON_DEPTH deep, with finite numbers
    within bigint and strings PostgreSQL can hold; the error names the spot (body.inputs.x)."""
    try:
        document = bounded_json.loads(data, max_bytes=MAX_JSON_BYTES, max_depth=MAX_JSON_DEPTH,
                                      what=where)
    except bounded_json.JsonRefused as exc:
        raise InvalidParameter(str(exc)) from None
    _check_values(document, where)
    return document


def _check_values(document, where: str) -> None:
    """Depth, numbers and strings of a parsed document, walked without recursion."""
    pending = [(document, where, 0)]
    while pending:
        value, spot, depth = pending.pop()
        if isinstance(value, (dict, list)):
            if depth >= MAX_JSON_DEPTH:
                raise InvalidParameter(f"{where}: nested deeper than {MAX_JSON_DEPTH} levels")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, inner in items:
                if isinstance(key, str):
                    check_text(f"{spot}: a key", key)
                pending.append((inner, f"{spot}.{key}" if isinstance(key, str)
                                else f"{spot}[{key}]", depth + 1))
        elif isinstance(value, str):
            check_text(spot, value)
        elif isinstance(value, float) and not math.isfinite(value):
            raise InvalidParameter(f"{_printable(spot)}: a number too large (finite numbers "
                                   "only)")
        elif isinstance(value, int) and not isinstance(value, bool) \
                and abs(value) > MAX_JSON_INTEGER:
            raise InvalidParameter(f"{_printable(spot)}: an integer too large (a number "
                                   "within ±9.2e18)")


def parse_number(name: str, text: str | None, low: float | None = None,
                 high: float | None = None) -> float:
    """A finite number within [low, high] (NaN, Infinity and 1e400 are no numbers here)."""
    try:
        number = float(text)
    except (TypeError, ValueError):
        raise InvalidParameter(f"{name}: a number, not {_shown(text)}") from None
    if not math.isfinite(number):
        raise InvalidParameter(f"{name}: a finite number, not {_shown(text)}")
    if (low is not None and number < low) or (high is not None and number > high):
        raise InvalidParameter(f"{name}: {number:g} is outside {low:g}…{high:g}")
    return number


def parse_integer(name: str, text: str | None, low: int, high: int) -> int:
    """A whole number written in digits, within [low, high]."""
    if text is None or not _INTEGER.fullmatch(text.strip()):
        raise InvalidParameter(f"{name}: a whole number, not {_shown(text)}")
    number = int(text)
    if not low <= number <= high:
        raise InvalidParameter(f"{name}: {_shown(text)} is outside {low}…{high:,}")
    return number


def _shown(text) -> str:
    return repr(text if not isinstance(text, str) or len(text) <= 40 else text[:40] + "…")


@lru_cache(maxsize=8)
def crs_bounds(crs: str) -> tuple[float, float, float, float]:
    """Where coordinates of a CRS can lie, in its own axis order: CRS84 is longitude/latitude,
    EPSG:4326 latitude/longitude; a projected CRS (EPSG:2100, 3857) its area of use."""
    if crs in (CRS_URIS["CRS84"], "CRS84"):
        return (-180.0, -90.0, 180.0, 90.0)
    if crs in (CRS_URIS[4326], "EPSG:4326"):
        return (-90.0, -180.0, 90.0, 180.0)
    from pyproj import CRS, Transformer

    target = CRS.from_user_input(crs)
    area = target.area_of_use
    return tuple(Transformer.from_crs(4326, target, always_xy=True).transform_bounds(
        area.west, area.south, area.east, area.north, densify_pts=21))


def parse_bbox(name: str, text: str, crs: str = CRS_URIS["CRS84"], *,
               antimeridian: bool = False) -> tuple[float, ...]:
    """A bbox of 4 (minx,miny,maxx,maxy) or 6 (with minz, maxz) finite numbers, min ≤ max
    (with ``antimeridian``, longitudes of a box across it run from 170 to -170, as OGC API
    Features has it), within where the CRS's coordinates can lie (``crs_bounds``)."""
    parts = text.split(",")
    if len(parts) not in (4, 6):
        raise InvalidParameter(f"{name}: 4 numbers minx,miny,maxx,maxy (or 6, with heights), "
                               f"not {len(parts)}")
    numbers = tuple(parse_number(name, part) for part in parts)
    half = len(numbers) // 2
    # a box across the antimeridian has its west edge east of its east edge (17-069r4 §7.15.3)
    longitude = ({CRS_URIS["CRS84"]: 0, "CRS84": 0, CRS_URIS[4326]: 1, "EPSG:4326": 1}.get(crs)
                 if antimeridian else None)
    if any(numbers[i] > numbers[i + half] for i in range(half) if i != longitude):
        raise InvalidParameter(f"{name}: each minimum must not exceed its maximum "
                               "(minx ≤ maxx, miny ≤ maxy)")
    west, south, east, north = crs_bounds(crs)
    x1, y1, x2, y2 = numbers[0], numbers[1], numbers[half], numbers[half + 1]
    if min(x1, x2) < west or max(x1, x2) > east or min(y1, y2) < south or max(y1, y2) > north:
        raise InvalidParameter(f"{name}: outside {west:g},{south:g},{east:g},{north:g}, where "
                               f"coordinates of {crs} can lie (is the axis order right?)")
    return numbers


def parse_instant(name: str, text: str, *, dates: bool = True) -> date | datetime:
    """An RFC 3339 date (when ``dates``) or date-time with its time zone, one PostgreSQL and
    Python can both hold in UTC."""
    if dates and _RFC3339_DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise InvalidParameter(f"{name}: {_shown(text)} is not a calendar date") from None
    if not _RFC3339_DATE_TIME.fullmatch(text):
        kind = "a date (YYYY-MM-DD) or " if dates else ""
        raise InvalidParameter(f"{name}: {_shown(text)} is not {kind}an RFC 3339 date-time "
                               "with its time zone (e.g. 2026-01-01T00:00:00Z)")
    try:
        moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidParameter(f"{name}: {_shown(text)} is not a calendar date-time") from None
    if abs(moment.utcoffset()) > MAX_UTC_OFFSET:
        raise InvalidParameter(f"{name}: time zone {text[-6:]!r} does not exist (±14:00 at most)")
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise InvalidParameter(f"{name}: {_shown(text)} is outside years 1…9999 in UTC") from None
    return moment


def parse_interval(name: str, text: str):
    """An instant or an interval 'start/end' (either end open as '..' or empty, not both) as
    (start, end); start ≤ end."""
    if "/" not in text:
        instant = parse_instant(name, text)
        return instant, instant
    start_text, _, end_text = text.partition("/")
    if start_text in OPEN_END and end_text in OPEN_END:
        raise InvalidParameter(f"{name}: an interval needs at least one end ('../2026-01-01', "
                               "'2020-01-01/..')")
    start = None if start_text in OPEN_END else parse_instant(name, start_text)
    end = None if end_text in OPEN_END else parse_instant(name, end_text)
    if start is not None and end is not None and _as_utc(start) > _as_utc(end, last=True):
        raise InvalidParameter(f"{name}: the interval ends before it starts")
    return start, end


def _as_utc(moment: date | datetime, last: bool = False) -> datetime:
    """A date as the first (or ``last``) moment of its day in UTC, for ordering."""
    if isinstance(moment, datetime):
        return moment.astimezone(UTC)
    day = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    return day + timedelta(days=1) - timedelta(microseconds=1) if last else day
