"""Local accounts: a username, a role and an argon2id hash of the password (never the password).

For installations without single sign-on; people sign in at /api/session and get a signed
session cookie (dimos/sessions.py). Disabling an account ends its sessions at the next request.
"""
from __future__ import annotations

import psycopg2
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gis.errors import InvalidParameter
from gis.schema import ROLES
from gis.tokens import Principal

MIN_PASSWORD = 12
# argon2-cffi's defaults (RFC 9106's second recommendation: 64 MiB, 3 passes)
HASHER = PasswordHasher()

CREATE_SQL = "INSERT INTO accounts (username, role, password_hash) VALUES (%s, %s, %s)"
HASH_SQL = "SELECT role, password_hash FROM accounts WHERE username = %s AND disabled_at IS NULL"
REHASH_SQL = "UPDATE accounts SET password_hash = %s WHERE username = %s"
ACTIVE_SQL = "SELECT role FROM accounts WHERE username = %s AND disabled_at IS NULL"
DISABLE_SQL = "UPDATE accounts SET disabled_at = now() WHERE username = %s AND disabled_at IS NULL"
# verifying against this when the name is unknown takes as long as a real check
_DECOY = HASHER.hash("dimos: no such account")


def create_account(cur, username: str, role: str, password: str) -> None:
    if role not in ROLES:
        raise InvalidParameter(f"role: {role!r} is not one of {', '.join(ROLES)}")
    if not username.strip() or username != username.strip():
        raise InvalidParameter("username: give a name without leading or trailing spaces")
    if len(password) < MIN_PASSWORD:
        raise InvalidParameter(f"password: at least {MIN_PASSWORD} characters")
    try:
        cur.execute("SAVEPOINT create_account")
        cur.execute(CREATE_SQL, (username, role, HASHER.hash(password)))
    except psycopg2.errors.UniqueViolation:
        cur.execute("ROLLBACK TO SAVEPOINT create_account")
        raise InvalidParameter(f"username: {username!r} is taken") from None


def verify_password(cur, username: str, password: str) -> Principal | None:
    """The account's principal if the password is right, else None (same work either way)."""
    cur.execute(HASH_SQL, (username,))
    row = cur.fetchone()
    role, stored = row if row else (None, _DECOY)
    try:
        HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    if HASHER.check_needs_rehash(stored):
        cur.execute(REHASH_SQL, (HASHER.hash(password), username))
    return Principal(username, role)


def active_principal(cur, username: str) -> Principal | None:
    """The account behind a session, unless it has been disabled since."""
    cur.execute(ACTIVE_SQL, (username,))
    row = cur.fetchone()
    return Principal(username, row[0]) if row else None


def disable_account(cur, username: str) -> bool:
    cur.execute(DISABLE_SQL, (username,))
    return cur.rowcount == 1
