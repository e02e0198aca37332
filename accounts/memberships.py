"""Which municipalities an account or a token belongs to: checked when it is made, stored as
memberships, read back with the principal. One rule for both: the municipalities named must
exist; none named is the only one the server holds, or, for an admin, every one (a citizen
needs none: reporting is open to anyone, and their own requests follow them)."""
from __future__ import annotations

from gis.errors import InvalidParameter
from gis.jurisdictions import jurisdiction_ids

#: roles whose principal belongs to exactly one municipality (a gateway writes its sensors)
SINGLE_MUNICIPALITY_ROLES = ("gateway",)

ACCOUNT_SQL = """
INSERT INTO memberships (account_id, jurisdiction_id) SELECT id, %s FROM accounts WHERE username = %s
"""
TOKEN_SQL = "INSERT INTO memberships (token_id, jurisdiction_id) VALUES (%s, %s)"


def municipalities_for(cur, role: str, asked: list[str] | str | None,
                       what: str = "--jurisdiction") -> list[str]:
    """The municipalities a new account or token of ``role`` belongs to; [] for an admin of
    the whole installation, and for a citizen (who may report anywhere). InvalidParameter
    naming ``what`` (the option or setting that names them) when they cannot be."""
    known = jurisdiction_ids(cur)
    asked = sorted({asked} if isinstance(asked, str) else set(asked or ()))
    unknown = [j for j in asked if j not in known]
    if unknown:
        raise InvalidParameter(f"{what}: {', '.join(repr(j[:40]) for j in unknown[:5])} unknown; this "
                               f"server holds {', '.join(known) or 'no municipality yet'}")
    if role in SINGLE_MUNICIPALITY_ROLES and len(asked) > 1:
        raise InvalidParameter(f"{what}: a {role} belongs to one municipality")
    if asked or role in ("admin", "citizen"):
        return asked
    if len(known) == 1:
        return known
    if not known:
        raise InvalidParameter(f"{what}: this server holds no municipality yet")
    several = "" if role in SINGLE_MUNICIPALITY_ROLES else "; repeat it for several"
    raise InvalidParameter(f"{what}: name the municipality (one of {', '.join(known)}{several})")


def add_account_memberships(cur, username: str, municipalities: list[str]) -> None:
    for jurisdiction in municipalities:
        cur.execute(ACCOUNT_SQL, (jurisdiction, username))


def add_token_memberships(cur, token_id: int, municipalities: list[str]) -> None:
    for jurisdiction in municipalities:
        cur.execute(TOKEN_SQL, (token_id, jurisdiction))
