"""Who sees which rows: the row-level rules of dimos/access.py's endpoints, as pure functions.

They hold no Flask and no SQL, so the OGC API's jobs and providers (ogc/) apply the same rules
as the application's endpoints (dimos/) without importing the application.
"""
from __future__ import annotations

from gis.errors import Forbidden
from gis.roles import PEOPLE as PERSON_ROLES
from gis.roles import STAFF as STAFF_ROLES
from gis.roles import Principal

STAFF = frozenset(STAFF_ROLES)
#: people, as opposed to the machines holding tokens (sensor gateways, the payment app)
PEOPLE = frozenset(PERSON_ROLES)


def reporter_account(principal: Principal | None) -> str | None:
    """The account a new request is filed under (its reporter alone sees the notes meant for
    them): a signed-in person's; none for anonymous reports and machines."""
    return principal.name if principal is not None and principal.role in PEOPLE else None


def assignments_crew(principal: Principal, asked: str | None) -> str | None:
    """Whose assignments a principal sees: a crew its own whatever it asks; staff the crew
    they ask for, or every crew's (None)."""
    return asked if principal.role in STAFF else principal.name


def principal_id(principal: Principal | None) -> str | None:
    """How a principal is recorded as the owner of what it starts (a process job)."""
    return f"{principal.role}:{principal.name}" if principal is not None else None


def job_municipality(principal: Principal | None) -> str | None:
    """The municipality a job belongs to: the one its starter acts in (None: anonymous, or a
    principal of several municipalities or of every one)."""
    return principal.jurisdiction if principal is not None else None


def _staff_over(principal: Principal, jurisdiction: str | None) -> bool:
    """Staff see their municipalities' jobs; an admin of every municipality, every job."""
    return principal.role in STAFF and (
        principal.everywhere or (jurisdiction is not None and principal.holds_in(jurisdiction)))


def sees_job(principal: Principal | None, owner: str | None,
             jurisdiction: str | None = None) -> bool:
    """A job started by someone signed in is theirs (and their municipality's staff's) to see;
    an anonymous one is anyone's who holds its id (a random UUID, handed to its starter only)."""
    return owner is None or (principal is not None and (
        principal_id(principal) == owner or _staff_over(principal, jurisdiction)))


def lists_job(principal: Principal | None, owner: str | None,
              jurisdiction: str | None = None) -> bool:
    """The job list shows a person their own jobs, staff their municipalities' jobs,
    anonymous callers none."""
    return principal is not None and (
        principal_id(principal) == owner or _staff_over(principal, jurisdiction))


def confined(principal: Principal | None) -> bool:
    """Whether what ``principal`` reads of the staff's (request clusters, crew plans) is kept
    to its municipalities: everyone's signed in but citizens' (who report anywhere) and
    anonymous callers' (who see what is public)."""
    return principal is not None and principal.role != "citizen"


def process_municipality(principal: Principal | None, asked: str | None) -> str | None:
    """The municipality a staff process runs in: the one asked for (Forbidden, naming it,
    outside ``principal``'s), else a confined principal's one municipality (None: to choose)."""
    if asked is None:
        return principal.jurisdiction if confined(principal) else None
    if confined(principal):
        check_acts_in(principal, asked, "what was asked for")
    return asked


def check_acts_in(principal: Principal | None, jurisdiction: str, what: str) -> None:
    """Forbidden, naming the municipality, unless ``principal``'s role holds in
    ``jurisdiction``; ``None`` is dimos itself (the command line, the demo loader)."""
    if principal is None or principal.holds_in(jurisdiction):
        return
    held = ", ".join(sorted(principal.municipalities)) or "no municipality"
    raise Forbidden(f"{what} belongs to the municipality {jurisdiction[:40]!r}; the {principal.role} "
                    f"{principal.name!r} acts in {held} only")
