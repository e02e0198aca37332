"""Read replicas: which server a read-only request reads from, and the commit positions (WAL
LSNs) that make a client's reads see its own writes.

The web edge says, per request, where reads may go (``route_reads``); ``gis.db.pooled_cursor``
sends a read-only cursor on the primary's URL there, and records the WAL position after each
commit (``last_commit_lsn``) for the response to hand back to the client.
"""
from __future__ import annotations

import re
import time
from contextlib import contextmanager
from contextvars import ContextVar

import psycopg2

#: (primary URL, replica URL) of the current request's reads, or None: read from the primary
_READ_ROUTE: ContextVar[tuple[str, str] | None] = ContextVar("dimos_read_route", default=None)
#: the WAL position after the current request's last commit, when asked to track it
_COMMIT_LSN: ContextVar[list | None] = ContextVar("dimos_commit_lsn", default=None)
LSN_PATTERN = re.compile(r"^[0-9A-F]{1,8}/[0-9A-F]{1,8}$", re.IGNORECASE)
REPLICA_CONNECT_TIMEOUT_S = 2
#: a replica that did not answer is left alone this long (reads go to the primary meanwhile)
UNREACHABLE_BACKOFF_S = 5.0
_UNREACHABLE_UNTIL: dict[str, float] = {}

REPLAYED_SQL = "SELECT coalesce(pg_last_wal_replay_lsn() >= %s::pg_lsn, false)"
# a replica with nothing left to replay is not behind, however long ago its last commit was
LAG_SQL = """
SELECT pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()),
       CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END
WHERE pg_is_in_recovery()
"""


def lsn_value(text: str | None) -> int | None:
    """An LSN ``X/Y`` as a number (None for anything else): to compare and keep the later."""
    if not text or not LSN_PATTERN.match(text):
        return None
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


@contextmanager
def route_reads(primary_url: str, replica_url: str | None, track_commits: bool):
    """For the block: read-only cursors on ``primary_url`` go to ``replica_url`` (if any); with
    ``track_commits`` the WAL position after each commit is kept (``last_commit_lsn``)."""
    route = _READ_ROUTE.set((primary_url, replica_url) if replica_url else None)
    commits = _COMMIT_LSN.set([] if track_commits else None)
    try:
        yield
    finally:
        _READ_ROUTE.reset(route)
        _COMMIT_LSN.reset(commits)


def read_url(url: str, commit: bool) -> str:
    """Where a cursor asked for on ``url`` goes: a read-only one to the request's replica."""
    route = _READ_ROUTE.get()
    if route is None or commit or url != route[0]:
        return url
    if time.monotonic() < _UNREACHABLE_UNTIL.get(route[1], 0.0):
        return url
    return route[1]


def mark_unreachable(replica_url: str) -> None:
    """A replica did not answer: this process reads from the primary for a while instead."""
    _UNREACHABLE_UNTIL[replica_url] = time.monotonic() + UNREACHABLE_BACKOFF_S


def note_commit(conn) -> None:
    """Keep the primary's WAL position after a commit on ``conn``, if the request tracks them:
    a replica that has replayed up to it holds this commit."""
    commits = _COMMIT_LSN.get()
    if commits is None:
        return
    with conn.cursor() as cur:
        cur.execute("SELECT pg_current_wal_lsn()::text")
        commits.append(cur.fetchone()[0])
    conn.rollback()


def last_commit_lsn() -> str | None:
    """The latest WAL position of the current request's commits (None: it committed nothing)."""
    commits = _COMMIT_LSN.get() or []
    return max(commits, key=lambda lsn: lsn_value(lsn) or 0, default=None)


def has_replayed(replica_url: str, lsn: str) -> bool:
    """Whether the replica has replayed the WAL up to ``lsn`` (False if it cannot be asked)."""
    try:
        conn = psycopg2.connect(replica_url, connect_timeout=REPLICA_CONNECT_TIMEOUT_S,
                                application_name="dimos-replica-check")
    except psycopg2.Error:
        return False
    try:
        with conn.cursor() as cur:
            cur.execute(REPLAYED_SQL, (lsn,))
            return bool(cur.fetchone()[0])
    except psycopg2.Error:
        return False
    finally:
        conn.close()


def replica_lag(replica_url: str) -> tuple[float, float] | None:
    """(bytes received but not replayed, seconds behind) of a replica; None if it does not
    answer or is not in recovery (a promoted one)."""
    try:
        conn = psycopg2.connect(replica_url, connect_timeout=REPLICA_CONNECT_TIMEOUT_S,
                                application_name="dimos-metrics")
    except psycopg2.Error:
        return None
    try:
        with conn.cursor() as cur:
            cur.execute(LAG_SQL)
            row = cur.fetchone()
            return None if row is None else (float(row[0] or 0), float(row[1] or 0))
    except psycopg2.Error:
        return None
    finally:
        conn.close()
