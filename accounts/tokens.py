"""API tokens: issued once, stored as a SHA-256 digest, looked up per request, revocable.

A token belongs to the municipalities it was issued for (accounts/memberships.py): its role
holds there only; a gateway's to one, whose sensors it writes.
"""
from __future__ import annotations

import hashlib
import secrets

import psycopg2

from accounts.memberships import (
    SINGLE_MUNICIPALITY_ROLES,
    add_token_memberships,
    municipalities_for,
)
from gis.errors import InvalidParameter
from gis.roles import ROLES, Principal, principal_of

#: the roles whose tokens belong to one municipality
BOUND_ROLES = SINGLE_MUNICIPALITY_ROLES

ISSUE_SQL = "INSERT INTO api_tokens (name, role, token_sha256) VALUES (%s, %s, %s) RETURNING id"
LOOKUP_SQL = """
SELECT t.name, t.role, array(SELECT m.jurisdiction_id FROM memberships m WHERE m.token_id = t.id ORDER BY 1)
FROM api_tokens t WHERE t.token_sha256 = %s AND t.revoked_at IS NULL
"""
REVOKE_SQL = "UPDATE api_tokens SET revoked_at = now() WHERE name = %s AND revoked_at IS NULL"
LIST_SQL = """
SELECT t.name, t.role, array(SELECT m.jurisdiction_id FROM memberships m WHERE m.token_id = t.id ORDER BY 1),
       t.created_at, t.revoked_at
FROM api_tokens t ORDER BY t.name
"""


def _digest(token: str) -> str:
    # tokens are 256 random bits: a plain hash suffices (no dictionary to guard against)
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(cur, name: str, role: str, jurisdictions: list[str] | None = None) -> str:
    """A new token for ``name`` with ``role`` in ``jurisdictions`` (accounts/memberships.py
    says what none means); the only time the token itself is seen."""
    if role not in ROLES:
        raise InvalidParameter(f"role: {role!r} is not one of {', '.join(ROLES)}")
    if not name.strip():
        raise InvalidParameter("name: give who or what holds the token")
    municipalities = municipalities_for(cur, role, jurisdictions)
    token = secrets.token_urlsafe(32)
    try:
        cur.execute("SAVEPOINT issue_token")
        cur.execute(ISSUE_SQL, (name, role, _digest(token)))
    except psycopg2.errors.UniqueViolation:
        cur.execute("ROLLBACK TO SAVEPOINT issue_token")
        raise InvalidParameter(f"name: a live token named {name!r} exists; revoke it first or pick "
                               "another name") from None
    add_token_memberships(cur, cur.fetchone()[0], municipalities)
    return token


def principal_for(cur, token: str) -> Principal | None:
    """The holder of ``token``, or None if it is unknown or revoked."""
    cur.execute(LOOKUP_SQL, (_digest(token),))
    row = cur.fetchone()
    return principal_of(*row) if row else None


def revoke_token(cur, name: str) -> bool:
    """Revoke the live token named ``name``; False if there is none."""
    cur.execute(REVOKE_SQL, (name,))
    return cur.rowcount > 0


def list_tokens(cur) -> list[tuple]:
    cur.execute(LIST_SQL)
    return cur.fetchall()
