"""Connections to PostGIS and the checks that the server has what dimos needs."""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg2
from psycopg2 import sql
from psycopg2.pool import ThreadedConnectionPool
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url

from gis import replicas
from gis.app_role import ACCOUNT_SETTING, MUNICIPALITIES_SETTING
from gis.errors import DatabaseUnavailable, QueryTooLong, StorageFull
from gis.roles import Principal

CONNECT_TIMEOUT_S = 5

AVAILABLE_EXTENSIONS_SQL = """
SELECT name, default_version, installed_version
FROM pg_available_extensions WHERE name IN ('postgis', 'pgrouting')
"""


@dataclass(frozen=True)
class ServerInfo:
    """What a PostgreSQL server and database offer dimos."""

    server_version: str
    postgis_available: str | None
    pgrouting_available: str | None
    postgis_installed: str | None
    pgrouting_installed: str | None


def describe_url(url: str) -> str:
    """host:port/database of a URL, without the password, for messages."""
    u = make_url(url)
    return f"{u.host or 'local socket'}:{u.port or 5432}/{u.database}"


def make_engine(url: str, **kwargs) -> Engine:
    """A SQLAlchemy engine on ``url`` whose connections fail fast when the server is gone."""
    sa_url = make_url(url)
    if sa_url.drivername in ("postgresql", "postgres"):
        # SQLAlchemy 2.1 defaults to psycopg 3; dimos uses psycopg2 throughout
        sa_url = sa_url.set(drivername="postgresql+psycopg2")
    return create_engine(
        sa_url,
        pool_pre_ping=True,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S, "application_name": "dimos"},
        **kwargs,
    )


def connect(url: str):
    """A raw psycopg2 connection, or DatabaseUnavailable saying which server did not answer."""
    try:
        return psycopg2.connect(url, connect_timeout=CONNECT_TIMEOUT_S, application_name="dimos")
    except psycopg2.OperationalError as exc:
        reason = (str(exc).strip().splitlines() or ["no answer"])[-1]
        if "does not exist" in reason:
            hint = "create it, or point DATABASE_URL at an existing database"
        else:
            hint = ("start it, or point DATABASE_URL at a running PostgreSQL "
                    "(unset it to use the project's own cluster: dimos db up)")
        raise DatabaseUnavailable(
            f"cannot connect to the database at {describe_url(url)} ({reason}): {hint}",
            detail=str(exc),
        ) from None


def inspect_server(url: str) -> ServerInfo:
    """Versions of the server and of PostGIS/pgRouting, available and installed."""
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("SHOW server_version")
        version = cur.fetchone()[0]
        cur.execute(AVAILABLE_EXTENSIONS_SQL)
        ext = {name: (default, installed) for name, default, installed in cur.fetchall()}
    conn.close()
    return ServerInfo(
        server_version=version,
        postgis_available=ext.get("postgis", (None, None))[0],
        pgrouting_available=ext.get("pgrouting", (None, None))[0],
        postgis_installed=ext.get("postgis", (None, None))[1],
        pgrouting_installed=ext.get("pgrouting", (None, None))[1],
    )


def require_extensions_available(url: str) -> ServerInfo:
    """The server's info, or DatabaseUnavailable naming the missing extension and the fix."""
    info = inspect_server(url)
    where = describe_url(url)
    if not info.postgis_available or not info.postgis_available.startswith("3"):
        raise DatabaseUnavailable(
            f"the server at {where} has no PostGIS 3 (found: {info.postgis_available or 'none'}): "
            "install PostGIS 3 on it (Debian: postgresql-15-postgis-3), or unset DATABASE_URL "
            "to use the project's own cluster"
        )
    if not info.pgrouting_available:
        raise DatabaseUnavailable(
            f"the server at {where} has no pgRouting: install it (Debian: postgresql-15-pgrouting), "
            "or unset DATABASE_URL to use the project's own cluster"
        )
    return info


def require_schema(url: str) -> ServerInfo:
    """The server's info if the database has PostGIS and pgRouting installed (migrated)."""
    info = require_extensions_available(url)
    if not info.postgis_installed or not info.pgrouting_installed:
        missing = "PostGIS" if not info.postgis_installed else "pgRouting"
        raise DatabaseUnavailable(
            f"the database {describe_url(url)} has no {missing} extension installed: "
            "run 'dimos db migrate' to create the extensions and the schema"
        )
    return info


def create_database(server_url: str, name: str, template: str | None = None) -> bool:
    """Create database ``name`` on the server of ``server_url`` unless it exists; True if created.

    With ``template`` (a database of that server nobody is connected to) it starts as a copy of
    it: a file copy, far quicker than migrating and loading again."""
    conn = connect(server_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone():
                return False
            create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
            if template:
                create += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
            cur.execute(create)
            return True
    finally:
        conn.close()


def drop_database(server_url: str, name: str) -> None:
    """Drop database ``name`` (closing its other sessions first)."""
    conn = connect(server_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    finally:
        conn.close()


def with_database(url: str, database: str) -> str:
    """``url`` pointing at another database of the same server."""
    return make_url(url).set(database=database).render_as_string(hide_password=False)


_POOLS: dict[str, ThreadedConnectionPool] = {}
_POOLS_LOCK = threading.Lock()
POOL_MAX = 8
POOL_KEEP = 4
#: a request waits this long for a free pooled connection before it is told to come back (503)
POOL_WAIT_S = 10.0
# psycopg2's pool raises when all its connections are out; threads queue here instead
_SLOTS: dict[str, threading.BoundedSemaphore] = {}
#: No request may hold the database longer than this (ms): one heavy query cannot starve the rest.
STATEMENT_TIMEOUT_MS = 30_000
#: a pooled connection idle this long is checked before use (the server may have restarted)
PING_AFTER_IDLE_S = 1.0
_IDLE_SINCE: dict[int, float] = {}


def _pool(url: str) -> ThreadedConnectionPool:
    with _POOLS_LOCK:
        if url not in _POOLS:
            # psycopg2 keeps only ``minconn`` idle connections (closing the rest on return):
            # keep some, or every request pays a new connection and a cold session.
            # JIT off: it compiles for 5–200 ms on queries that run for 10.
            _POOLS[url] = ThreadedConnectionPool(
                POOL_KEEP, POOL_MAX, url, connect_timeout=CONNECT_TIMEOUT_S,
                application_name="dimos",
                options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS} -c jit=off")
            _SLOTS[url] = threading.BoundedSemaphore(POOL_MAX)
        return _POOLS[url]


def connections_in_use() -> int:
    """Connections this process has checked out of its pools (for /metrics)."""
    with _POOLS_LOCK:
        return sum(len(pool._used) for pool in _POOLS.values())  # psycopg2 keeps no public count


@contextmanager
def pooled_cursor(url: str, commit: bool = False, actor: str | None = None,
                  principal: Principal | None = None, account: str | None = None):
    """A cursor from this process's pool for ``url``: committed if ``commit``, else rolled back.

    ``actor`` (who writes: "staff:maria", "citizen") goes into the audit log of every row the
    transaction changes (triggers of migration 0005). ``principal`` names the municipalities
    the transaction acts in, for PostgreSQL's row-level security (migration 0016): without
    one, connected as the app's role, it writes no row and reads no private one. ``account``:
    the signed-in person whose own reports it may read.

    A broken connection (server restarted) is discarded, so the next call reconnects.
    """
    target = replicas.read_url(url, commit)  # a read-only request's reads: its replica
    try:
        pool, slot, conn = _checkout(target)
    except DatabaseUnavailable:
        if target == url:
            raise
        # no replica answers (one being promoted, none left after a failover): the primary
        replicas.mark_unreachable(target)
        pool, slot, conn = _checkout(url)
    broken = False
    try:
        with conn.cursor() as cur:
            if actor is not None or principal is not None or account is not None:
                act_as(cur, actor, principal=principal, account=account)
            yield cur
        if commit:
            conn.commit()
            replicas.note_commit(conn)
        else:
            conn.rollback()
    except psycopg2.errors.QueryCanceled:
        conn.rollback()
        raise QueryTooLong(f"the query ran longer than {STATEMENT_TIMEOUT_MS // 1000} s; "
                           "narrow it (bbox, filter, limit)") from None
    except psycopg2.errors.DiskFull:
        conn.rollback()
        raise StorageFull("the database's disk is full: nothing was stored; try again once "
                          "the administrators have made room") from None
    except psycopg2.errors.ReadOnlySqlTransaction as exc:
        # a write that met a standby: the primary's address leads to a server still being
        # promoted, or one just demoted (a failover under way). Drop the connection (the next
        # one goes where the address leads then) and say 503: the write was not made
        broken = True
        raise DatabaseUnavailable(f"the database at {describe_url(url)} takes no writes for "
                                  "the moment (a failover under way); try again shortly",
                                  detail=str(exc)) from None
    except psycopg2.OperationalError as exc:
        # the server went away mid-request: drop the connection, say 503, retry later works
        broken = True
        raise DatabaseUnavailable(f"the database at {describe_url(url)} is unavailable",
                                  detail=str(exc)) from None
    except BaseException:
        if not conn.closed:
            conn.rollback()
        raise
    finally:
        close = broken or bool(conn.closed)
        if close:
            _IDLE_SINCE.pop(id(conn), None)  # ids are reused: a new connection starts unpinged
        else:
            _IDLE_SINCE[id(conn)] = time.monotonic()
        pool.putconn(conn, close=close)
        slot.release()


def _checkout(url: str):
    """(pool, slot, connection) of ``url``, or DatabaseUnavailable (busy, or not answering)."""
    try:
        pool = _pool(url)  # a new pool connects at once
    except psycopg2.OperationalError as exc:
        raise DatabaseUnavailable(f"the database at {describe_url(url)} is unavailable",
                                  detail=str(exc)) from None
    slot = _SLOTS[url]
    if not slot.acquire(timeout=POOL_WAIT_S):
        raise DatabaseUnavailable(f"every connection to the database is busy for over "
                                  f"{POOL_WAIT_S:g} s; try again shortly")
    try:
        return pool, slot, _live_connection(pool)
    except psycopg2.OperationalError as exc:
        slot.release()
        raise DatabaseUnavailable(f"the database at {describe_url(url)} is unavailable",
                                  detail=str(exc)) from None


def _live_connection(pool: ThreadedConnectionPool):
    """A pooled connection known to work: one idle for a while is pinged first, so a
    restarted server costs no request an error once it is back (each stale one is replaced)."""
    for _ in range(POOL_MAX + 1):
        conn = pool.getconn()
        if time.monotonic() - _IDLE_SINCE.get(id(conn), 0.0) < PING_AFTER_IDLE_S:
            return conn
        try:
            ping(conn)
            conn.rollback()
            return conn
        except psycopg2.Error:
            _IDLE_SINCE.pop(id(conn), None)
            pool.putconn(conn, close=True)
    return pool.getconn()


def act_as(cur, actor: str | None, audit: bool = True, principal: Principal | None = None,
           account: str | None = None) -> None:
    """Who the transaction's writes are recorded for (the audit trail's actor); ``audit=False``
    for a bulk load, which is one recorded event (its imports row), not a row per feature.

    In the same round trip, for the row-level security policies (migration 0016): the
    municipalities ``principal`` acts in, and the signed-in ``account`` whose own reports the
    transaction may read. Left out, they stay as they are: unset (none) in a fresh
    transaction."""
    settings = [("dimos.actor", actor or ""), ("dimos.audit", "on" if audit else "off")]
    if principal is not None:
        settings.append((MUNICIPALITIES_SETTING, municipalities_setting(principal)))
    if account is not None:
        settings.append((ACCOUNT_SETTING, account))
    cur.execute("SELECT " + ", ".join(["set_config(%s, %s, true)"] * len(settings)),
                [item for pair in settings for item in pair])


def municipalities_setting(principal: Principal | None) -> str:
    """``dimos.municipalities`` for ``principal``: ``*`` for one that holds everywhere, its
    municipalities' ids joined by commas, or empty (none: no principal, or no membership)."""
    if principal is None:
        return ""
    if principal.everywhere:
        return "*"
    return ",".join(sorted(principal.municipalities))


def act_in(cur, jurisdictions) -> None:
    """Let the transaction act in ``jurisdictions`` (ids, or ``*``: every one) whoever its
    principal: a citizen's report is filed in its municipality's tables, and dimos's own
    workers (the ingest) act for the municipalities of what they store."""
    value = "*" if jurisdictions == "*" else ",".join(sorted(set(jurisdictions)))
    cur.execute("SELECT set_config(%s, %s, true)", (MUNICIPALITIES_SETTING, value))


def act_for_session(conn, principal: Principal) -> None:
    """``principal``'s municipalities for every transaction of ``conn``: a connection of its own
    (never a pooled one), which one piece of work (an import) uses and then closes."""
    with conn.cursor() as cur:
        cur.execute("SELECT set_config(%s, %s, false)",
                    (MUNICIPALITIES_SETTING, municipalities_setting(principal)))
    conn.commit()


def savepoint(cur, name: str) -> None:
    cur.execute(sql.SQL("SAVEPOINT {}").format(sql.Identifier(name)))


def rollback_to(cur, name: str) -> None:
    cur.execute(sql.SQL("ROLLBACK TO SAVEPOINT {}").format(sql.Identifier(name)))


def listen(conn, channel: str) -> None:
    """Receive the NOTIFYs of ``channel`` on ``conn`` (an autocommit connection)."""
    conn.cursor().execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))


def ping(conn) -> None:
    """A round trip: raises psycopg2.Error on a connection whose server has gone."""
    conn.cursor().execute("SELECT 1")


# A restore recreates PostGIS (pg_restore --clean drops and creates the extension): sessions
# opened before it keep the old types' ids and fail spatial queries ("no spatial operator
# found": filing a report) until they reconnect. Ending them makes their servers' pools reconnect.
END_OTHER_SESSIONS_SQL = """
SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()
"""


def end_other_sessions(cur) -> int:
    """End every other session of the connected database; how many were ended."""
    cur.execute(END_OTHER_SESSIONS_SQL)
    return cur.fetchone()[0]
