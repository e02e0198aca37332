"""API tokens: issued once, stored as a SHA-256 digest, looked up per request, revocable.

A gateway's token belongs to one municipality: it writes that municipality's sensors only.
"""
from __future__ import annotations

import hashlib
import secrets

import psycopg2

from gis.errors import InvalidParameter
from gis.jurisdictions import jurisdiction_ids
from gis.roles import ROLES, Principal

#: the roles whose tokens belong to one municipality
BOUND_ROLES = ("gateway",)

ISSUE_SQL = """
INSERT INTO api_tokens (name, role, token_sha256, jurisdiction_id) VALUES (%s, %s, %s, %s)
"""
LOOKUP_SQL = """
SELECT name, role, jurisdiction_id FROM api_tokens WHERE token_sha256 = %s AND revoked_at IS NULL
"""
REVOKE_SQL = "UPDATE api_tokens SET revoked_at = now() WHERE name = %s AND revoked_at IS NULL"
LIST_SQL = """
SELECT name, role, jurisdiction_id, created_at, revoked_at FROM api_tokens ORDER BY name
"""


def _digest(token: str) -> str:
    # tokens are 256 random bits: a plain hash suffices (no dictionary to guard against)
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(cur, name: str, role: str, jurisdiction: str | None = None) -> str:
    """A new token for ``name`` with ``role`` (a gateway's: of ``jurisdiction``); the only
    time the token itself is seen."""
    if role not in ROLES:
        raise InvalidParameter(f"role: {role!r} is not one of {', '.join(ROLES)}")
    if not name.strip():
        raise InvalidParameter("name: give who or what holds the token")
    known = jurisdiction_ids(cur)
    if role in BOUND_ROLES and jurisdiction is None:
        raise InvalidParameter(f"--jurisdiction: a {role} token belongs to one municipality; "
                               f"give it (one of {', '.join(known)})")
    if role not in BOUND_ROLES and jurisdiction is not None:
        raise InvalidParameter(f"--jurisdiction: only {', '.join(BOUND_ROLES)} tokens belong "
                               "to a municipality")
    if jurisdiction is not None and jurisdiction not in known:
        raise InvalidParameter(f"--jurisdiction: {jurisdiction!r} unknown; this server holds "
                               f"{', '.join(known)}")
    token = secrets.token_urlsafe(32)
    try:
        cur.execute("SAVEPOINT issue_token")
        cur.execute(ISSUE_SQL, (name, role, _digest(token), jurisdiction))
    except psycopg2.errors.UniqueViolation:
        cur.execute("ROLLBACK TO SAVEPOINT issue_token")
        raise InvalidParameter(f"name: a live token named {name!r} exists; revoke it first or pick "
                               "another name") from None
    return token


def principal_for(cur, token: str) -> Principal | None:
    """The holder of ``token``, or None if it is unknown or revoked."""
    cur.execute(LOOKUP_SQL, (_digest(token),))
    row = cur.fetchone()
    return Principal(*row) if row else None


def revoke_token(cur, name: str) -> bool:
    """Revoke the live token named ``name``; False if there is none."""
    cur.execute(REVOKE_SQL, (name,))
    return cur.rowcount > 0


def list_tokens(cur) -> list[tuple]:
    cur.execute(LIST_SQL)
    return cur.fetchall()
