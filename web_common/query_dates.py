"""A date in the query string (YYYY-MM-DD), read once for every API that takes one."""
from __future__ import annotations

from datetime import date

from flask import request

from gis.errors import InvalidParameter


def query_date(name: str, default: date | None = None) -> date | None:
    """Query parameter ``name`` as a date, ``default`` when absent, else a 400 naming it."""
    value = request.args.get(name)
    if value is None:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidParameter(f"{name}: {value[:20]!r} is not a date (YYYY-MM-DD)") from None
