"""Which municipality a request is about: shared by the Open311, sensor and live-map APIs."""
from __future__ import annotations

from flask import g, request

from gis.access_rules import check_acts_in
from gis.errors import InvalidParameter
from gis.jurisdictions import jurisdiction_ids


def request_jurisdiction(cur, asked: str | None = None) -> str:
    """The ``jurisdiction_id`` asked for (here, or in the query or form), or the only one this
    server holds."""
    known = jurisdiction_ids(cur)
    asked = asked or request.values.get("jurisdiction_id")
    if asked:
        if asked not in known:
            raise InvalidParameter(f"jurisdiction_id: {asked[:40]!r} unknown; this server holds "
                                   f"{', '.join(known) or 'no municipality yet'}")
        return asked
    if len(known) != 1:
        raise InvalidParameter(f"jurisdiction_id: required; one of {', '.join(known)}")
    return known[0]


def acting_jurisdiction(cur, what: str, asked: str | None = None) -> str:
    """The municipality a write or a staff read is about — asked for, else the principal's
    only one, else the server's only one — once the principal's role holds there (Forbidden,
    naming it, if not: gis/access_rules.py)."""
    principal = g.get("principal")
    asked = asked or request.values.get("jurisdiction_id") or (
        principal.jurisdiction if principal is not None else None)
    jurisdiction = request_jurisdiction(cur, asked)
    check_acts_in(principal, jurisdiction, what)
    return jurisdiction
