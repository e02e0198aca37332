"""Which municipality a request is about: shared by the Open311, sensor and live-map APIs."""
from __future__ import annotations

from flask import request

from gis.errors import InvalidParameter
from gis.jurisdictions import jurisdiction_ids


def request_jurisdiction(cur, asked: str | None = None) -> str:
    """The ``jurisdiction_id`` asked for (here, or in the query or form), or the only one this
    server holds."""
    known = jurisdiction_ids(cur)
    asked = asked or request.values.get("jurisdiction_id")
    if asked:
        if asked not in known:
            raise InvalidParameter(f"jurisdiction_id: {asked!r} unknown; this server holds "
                                   f"{', '.join(known)}")
        return asked
    if len(known) != 1:
        raise InvalidParameter(f"jurisdiction_id: required; one of {', '.join(known)}")
    return known[0]
