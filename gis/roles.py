"""The roles a signed-in principal can hold: one list for the schema's CHECK rules, tokens,
accounts and the command line (kept apart from gis/schema.py so that the CLI starts without
loading SQLAlchemy's table machinery)."""
from __future__ import annotations

from dataclasses import dataclass

#: ``gateway``: a sensor gateway posting readings; ``payment``: the parking payment app.
ROLES = ("citizen", "staff", "planner", "crew", "admin", "gateway", "payment")
#: the roles people hold (machines hold the other two), least to most powerful: single sign-on
#: gives the most powerful one a person's groups map to
PEOPLE = ("citizen", "crew", "planner", "staff", "admin")
#: the roles of the municipality's staff: the staff view, reporters' contact data, no rate limits
STAFF = ("staff", "admin")


@dataclass(frozen=True)
class Principal:
    """Who a request acts for."""

    name: str
    role: str
    #: the municipality a gateway's token belongs to (None: all, or, for a gateway token
    #: issued before tokens had one, none: refused)
    jurisdiction: str | None = None
