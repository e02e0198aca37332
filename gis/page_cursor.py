"""The ``cursor`` of an items ``next`` link: where the last page ended, in its sort order.

A cursor is base64url JSON of the page's sort order (``["-issue_date"]``, empty for the
default order by id) and the last feature's key: one value per sort field (PostgreSQL's
text form, or null) and then its id. It is not signed: every value is checked against its
field's type before it reaches SQL, so a cursor edited by hand can only move the page, and
anything else is a 400 naming ``cursor``.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import date, datetime

from gis.errors import InvalidParameter
from gis.parameters import check_text
from layers.model import Layer

MAX_CURSOR_CHARS = 2048
MAX_ID = 2 ** 63 - 1
#: the text forms PostgreSQL writes for each type (``::text``) that it reads back the same
_INTEGER = re.compile(r"^-?\d{1,19}$")
_REAL = re.compile(r"^(-?(\d+\.?\d*|\.\d+)([eE][-+]?\d{1,3})?|-?Infinity|NaN)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2}){0,2}$")


def sort_spec(sortby: list[tuple[str, bool]]) -> list[str]:
    """The sort order as a cursor names it: ``+field`` or ``-field``."""
    return [("+" if ascending else "-") + name for name, ascending in sortby]


def encode_cursor(sortby: list[tuple[str, bool]], key: list) -> str:
    """The cursor after the feature whose sort values and id are ``key``."""
    document = json.dumps({"s": sort_spec(sortby), "k": key}, separators=(",", ":"))
    return base64.urlsafe_b64encode(document.encode()).decode().rstrip("=")


def decode_cursor(text: str, layer: Layer, sortby: list[tuple[str, bool]]) -> list:
    """The key a cursor holds (sort values as text or None, then the id), checked against
    the request's sort order and the fields' types; InvalidParameter naming ``cursor``."""
    if len(text) > MAX_CURSOR_CHARS:
        raise InvalidParameter(f"cursor: longer than {MAX_CURSOR_CHARS} characters; use the "
                               "next link as the server wrote it")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        document = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidParameter("cursor: not a cursor this server wrote; use the next link as "
                               "the server wrote it, or page with offset") from None
    if not isinstance(document, dict) or not isinstance(document.get("k"), list):
        raise InvalidParameter("cursor: not a cursor this server wrote")
    wanted = sort_spec(sortby)
    if document.get("s") != wanted:
        raise InvalidParameter(f"cursor: made for another sort order than "
                               f"sortby={','.join(wanted) or '(none)'}; follow the next link "
                               "of the same query")
    key = document["k"]
    if len(key) != len(sortby) + 1:
        raise InvalidParameter("cursor: its key does not fit the sort order")
    feature_id = key[-1]
    if not isinstance(feature_id, int) or isinstance(feature_id, bool) \
            or not 0 <= feature_id <= MAX_ID:
        raise InvalidParameter("cursor: its feature id is not a whole number in range")
    for (name, _), value in zip(sortby, key[:-1]):
        _check_value(layer.field(name).type, name, value)
    return key


def _check_value(field_type: str, name: str, value) -> None:
    """InvalidParameter unless ``value`` is null or the text PostgreSQL would read back as a
    value of ``field_type``."""
    if value is None:
        return
    if not isinstance(value, str) or len(value) > 1000:
        raise InvalidParameter(f"cursor: its value of {name} is not one the server wrote")
    check_text("cursor", value)
    if field_type in ("integer", "bigint"):
        valid = bool(_INTEGER.match(value)) and abs(int(value)) <= MAX_ID
    elif field_type == "real":
        valid = bool(_REAL.match(value))
    elif field_type == "boolean":
        valid = value in ("true", "false")
    elif field_type == "date":
        valid = bool(_DATE.match(value)) and _parses(date.fromisoformat, value)
    elif field_type == "timestamptz":
        valid = bool(_TIMESTAMP.match(value)) and _parses(datetime.fromisoformat, value)
    else:
        valid = field_type == "text"
    if not valid:
        raise InvalidParameter(f"cursor: its value of {name} is not a {field_type}")


def _parses(parse, value: str) -> bool:
    try:
        parse(value)
    except ValueError:
        return False
    return True
