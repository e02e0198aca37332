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


#: who a layer may name as its editors besides staff: the roles people hold
EDITOR_ROLES = tuple(role for role in PEOPLE if role not in STAFF)


def editor_roles(roles) -> tuple[str, ...]:
    """``roles`` as a layer's editors, each once; InvalidParameter naming one that is not a
    person's role below staff (staff and admin edit every editable layer)."""
    from gis.errors import InvalidParameter

    chosen = tuple(dict.fromkeys(roles))
    for role in chosen:
        if role not in EDITOR_ROLES:
            raise InvalidParameter(f"editors: {role[:30]!r} is not one of "
                                   f"{', '.join(EDITOR_ROLES)} (staff edit every editable layer)")
    return chosen


@dataclass(frozen=True)
class Principal:
    """Who a request acts for, and the municipalities its role holds in."""

    name: str
    role: str
    #: the municipalities the account or token belongs to (memberships)
    municipalities: frozenset[str] = frozenset()
    #: an admin who belongs to none: the role holds in every municipality
    everywhere: bool = False

    def holds_in(self, jurisdiction: str) -> bool:
        """Whether the role holds in ``jurisdiction``."""
        return self.everywhere or jurisdiction in self.municipalities

    @property
    def jurisdiction(self) -> str | None:
        """The one municipality it belongs to (None: several, every one, or none)."""
        if self.everywhere or len(self.municipalities) != 1:
            return None
        return next(iter(self.municipalities))


def principal_of(name: str, role: str, municipalities) -> Principal:
    """A principal from its stored memberships: an admin with none holds everywhere."""
    held = frozenset(municipalities or ())
    return Principal(name, role, held, everywhere=role == "admin" and not held)
