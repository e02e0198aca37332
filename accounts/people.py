"""Accounts: a username, a role and either an argon2id hash of the password (local accounts,
for installations without single sign-on) or the OpenID Connect provider that vouches for the
person (dimos/sso.py). Either way they get a session (accounts/sessions.py, dimos/sessions.py).
Disabling an account or changing its role ends every session it has, and a disabled account's
next sign-in is refused.
"""
from __future__ import annotations

import psycopg2
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from accounts.memberships import add_account_memberships, municipalities_for
from accounts.sessions import end_sessions_of
from gis.errors import InvalidParameter
from gis.roles import Principal, principal_of
from gis.schema import ROLES

MIN_PASSWORD = 12
# argon2-cffi's defaults (RFC 9106's second recommendation: 64 MiB, 3 passes)
HASHER = PasswordHasher()

CREATE_SQL = "INSERT INTO accounts (username, role, password_hash) VALUES (%s, %s, %s)"
HASH_SQL = """
SELECT a.role, a.password_hash,
       array(SELECT m.jurisdiction_id FROM memberships m WHERE m.account_id = a.id ORDER BY 1)
FROM accounts a WHERE a.username = %s AND a.disabled_at IS NULL AND a.password_hash IS NOT NULL
"""
# single sign-on: the provider vouches for the person and their role, made or updated here;
# the role before (the CTE sees the row as it was) says whether older sessions must end
SSO_SQL = """
WITH before AS (SELECT role FROM accounts WHERE username = %(username)s)
INSERT INTO accounts (username, role, identity_provider, signed_in_at)
VALUES (%(username)s, %(role)s, %(provider)s, now())
ON CONFLICT (username) DO UPDATE SET role = EXCLUDED.role, signed_in_at = now()
    WHERE accounts.identity_provider = EXCLUDED.identity_provider
      AND accounts.disabled_at IS NULL
RETURNING id, role, (SELECT role FROM before)
"""
MEMBERSHIPS_SQL = """
SELECT array(SELECT m.jurisdiction_id FROM memberships m WHERE m.account_id = a.id ORDER BY 1)
FROM accounts a WHERE a.id = %s
"""
REHASH_SQL = "UPDATE accounts SET password_hash = %s WHERE username = %s"
ACTIVE_SQL = """
SELECT a.role, array(SELECT m.jurisdiction_id FROM memberships m WHERE m.account_id = a.id ORDER BY 1)
FROM accounts a WHERE a.username = %s AND a.disabled_at IS NULL
"""
DISABLE_SQL = "UPDATE accounts SET disabled_at = now() WHERE username = %s AND disabled_at IS NULL"
ROLE_SQL = "UPDATE accounts SET role = %s WHERE username = %s AND disabled_at IS NULL"
# verifying against this when the name is unknown takes as long as a real check
_DECOY = HASHER.hash("dimos: no such account")


def create_account(cur, username: str, role: str, password: str,
                   jurisdictions: list[str] | str | None = None) -> None:
    """A local account of ``role`` in ``jurisdictions`` (accounts/memberships.py says what
    none means)."""
    if role not in ROLES:
        raise InvalidParameter(f"role: {role!r} is not one of {', '.join(ROLES)}")
    if not username.strip() or username != username.strip():
        raise InvalidParameter("username: give a name without leading or trailing spaces")
    if len(password) < MIN_PASSWORD:
        raise InvalidParameter(f"password: at least {MIN_PASSWORD} characters")
    municipalities = municipalities_for(cur, role, jurisdictions)
    try:
        cur.execute("SAVEPOINT create_account")
        cur.execute(CREATE_SQL, (username, role, HASHER.hash(password)))
    except psycopg2.errors.UniqueViolation:
        cur.execute("ROLLBACK TO SAVEPOINT create_account")
        raise InvalidParameter(f"username: {username!r} is taken") from None
    add_account_memberships(cur, username, municipalities)


def verify_password(cur, username: str, password: str) -> Principal | None:
    """The account's principal if the password is right, else None (same work either way)."""
    cur.execute(HASH_SQL, (username,))
    row = cur.fetchone()
    role, stored, municipalities = row if row else (None, _DECOY, ())
    try:
        HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    if HASHER.check_needs_rehash(stored):
        cur.execute(REHASH_SQL, (HASHER.hash(password), username))
    return principal_of(username, role, municipalities)


def sso_username(provider: str, subject: str) -> str:
    """The account name of a provider's subject (the subject is stable, unlike e-mails)."""
    return f"{provider}:{subject}"


def sign_in_with_provider(cur, provider: str, subject: str, role: str,
                          jurisdictions: list[str] | None = None) -> Principal | None:
    """The account of a person the provider has signed in, made on first sign-in and given the
    role the provider grants now, in the provider's municipalities (``jurisdictions``; none:
    accounts/memberships.py's rule); None when that account is disabled (or a local one)."""
    if role not in ROLES:
        raise InvalidParameter(f"role: {role!r} is not one of {', '.join(ROLES)}")
    username = sso_username(provider, subject)
    cur.execute(SSO_SQL, {"username": username, "role": role, "provider": provider})
    row = cur.fetchone()
    if row is None:
        return None
    account_id, role, role_before = row
    if role_before is not None and role_before != role:  # the provider changed the role: start afresh
        end_sessions_of(cur, username)
    cur.execute(MEMBERSHIPS_SQL, (account_id,))
    municipalities = cur.fetchone()[0]
    if not municipalities and role_before is None:  # made just now
        municipalities = municipalities_for(cur, role, jurisdictions,
                                            what=f"identity provider {provider!r}: jurisdictions")
        add_account_memberships(cur, username, municipalities)
    return principal_of(username, role, municipalities)


def active_principal(cur, username: str) -> Principal | None:
    """The account behind a session, unless it has been disabled since."""
    cur.execute(ACTIVE_SQL, (username,))
    row = cur.fetchone()
    return principal_of(username, *row) if row else None


def disable_account(cur, username: str) -> bool:
    """Disable an active account and end its sessions; False if there is no such account."""
    cur.execute(DISABLE_SQL, (username,))
    if cur.rowcount != 1:
        return False
    end_sessions_of(cur, username)
    return True


def change_role(cur, username: str, role: str) -> bool:
    """Give an active account another role and end its sessions (they were granted under the
    old one); False if there is no such account."""
    if role not in ROLES:
        raise InvalidParameter(f"role: {role!r} is not one of {', '.join(ROLES)}")
    cur.execute(ROLE_SQL, (role, username))
    if cur.rowcount != 1:
        return False
    end_sessions_of(cur, username)
    return True
