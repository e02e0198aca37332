"""Signed-in sessions kept in PostgreSQL: what a cookie's random id stands for, and ending them.

Only the id's SHA-256 is stored, so the table alone signs no one in. Every worker reads the same
rows: a session ended on one (sign-out, an account disabled or given another role) is ended on
all at the next request.
"""
from __future__ import annotations

import hashlib
import secrets

from gis.roles import Principal, principal_of

CREATE_SQL = """
INSERT INTO sessions (id_hash, account_id, csrf_token, expires_at)
SELECT %(id_hash)s, id, %(csrf)s, now() + make_interval(hours => %(hours)s)
FROM accounts WHERE username = %(username)s AND disabled_at IS NULL
"""
# the session's account and token; last_seen_at is touched at most once a minute (fewer writes)
FIND_SQL = """
WITH found AS (
    SELECT s.id_hash, s.csrf_token, s.last_seen_at, a.username, a.role,
           array(SELECT m.jurisdiction_id FROM memberships m WHERE m.account_id = a.id
                 ORDER BY 1) AS municipalities
    FROM sessions s JOIN accounts a ON a.id = s.account_id
    WHERE s.id_hash = %(id_hash)s AND s.expires_at > now() AND a.disabled_at IS NULL
), touched AS (
    UPDATE sessions SET last_seen_at = now()
    WHERE id_hash = (SELECT id_hash FROM found)
      AND last_seen_at < now() - interval '1 minute'
)
SELECT username, role, municipalities, csrf_token FROM found
"""
END_SQL = "DELETE FROM sessions WHERE id_hash = %s"
END_ALL_SQL = """
DELETE FROM sessions WHERE account_id = (SELECT id FROM accounts WHERE username = %s)
"""
PRUNE_SQL = "DELETE FROM sessions WHERE expires_at < now()"


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start_session(cur, username: str, hours: int) -> tuple[str, str]:
    """A new session of an active account lasting ``hours``: (its id for the cookie, its CSRF
    token). Expired sessions of anyone are cleared on the way."""
    session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    cur.execute(PRUNE_SQL)
    cur.execute(CREATE_SQL, {"id_hash": _hash(session_id), "csrf": csrf, "hours": hours,
                             "username": username})
    if cur.rowcount != 1:
        raise LookupError(f"no active account {username!r}")
    return session_id, csrf


def find_session(cur, session_id: str) -> tuple[Principal, str] | None:
    """(the principal, the CSRF token) of a live session of an active account, else None."""
    cur.execute(FIND_SQL, {"id_hash": _hash(session_id)})
    row = cur.fetchone()
    return (principal_of(row[0], row[1], row[2]), row[3]) if row else None


def end_session(cur, session_id: str) -> None:
    cur.execute(END_SQL, (_hash(session_id),))


def end_sessions_of(cur, username: str) -> int:
    """End every session of an account (disabled, or given another role); how many ended."""
    cur.execute(END_ALL_SQL, (username,))
    return cur.rowcount
