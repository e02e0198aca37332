"""Which database a request reads from: read-only requests from a replica that holds the
client's own last write, writes (and everything else) on the primary.

Read-your-writes: a response to a request that committed carries the primary's WAL position
after its commit (cookie and header ``X-Dimos-LSN``); a later read by the same client goes to
a replica only once that replica has replayed past it, else to the primary.
"""
from __future__ import annotations

from contextlib import ExitStack

from flask import Flask, g, request

from gis import replicas
from settings import Settings

LSN_COOKIE = "dimos_lsn"
LSN_HEADER = "X-Dimos-LSN"
#: long enough for any replica to catch up; after it, reads go to a replica again
LSN_COOKIE_MAX_AGE_S = 600
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: reads that must see the primary: the live feed's snapshot is followed by the changes the
#: primary notifies (NOTIFY is not replicated; the feed LISTENs there), so a snapshot from a
#: lagging replica would miss a change notified just before the stream began
PRIMARY_PATHS = frozenset({"/api/live"})


def register_read_routing(app: Flask, settings: Settings) -> None:
    """Route each request's reads (a no-op without ``DATABASE_REPLICA_URLS``)."""
    if not settings.replica_urls:
        return
    primary = settings.effective_app_database_url

    @app.before_request
    def choose_database():
        replica = None
        if request.method in READ_ONLY_METHODS:
            if request.path not in PRIMARY_PATHS:
                replica = _replica_for(settings.replica_urls, _client_lsn())
            g.read_from = "replica" if replica else "primary"
        stack = ExitStack()
        stack.enter_context(replicas.route_reads(primary, replica, track_commits=True))
        g.read_routing = stack

    @app.after_request
    def hand_back_lsn(response):
        if "read_from" in g:
            response.headers["X-Dimos-Read-From"] = g.read_from
        lsn = replicas.last_commit_lsn()
        if lsn:
            latest = max((lsn, _client_lsn() or lsn), key=lambda v: replicas.lsn_value(v) or 0)
            response.headers[LSN_HEADER] = latest
            response.set_cookie(LSN_COOKIE, latest, max_age=LSN_COOKIE_MAX_AGE_S,
                                httponly=True, samesite="Lax")
        return response

    @app.teardown_request
    def end_routing(_error):
        stack = g.pop("read_routing", None)
        if stack is not None:
            stack.close()


def _client_lsn() -> str | None:
    """The WAL position of the client's last write, from its header or cookie (else None)."""
    lsn = request.headers.get(LSN_HEADER) or request.cookies.get(LSN_COOKIE)
    return lsn if replicas.lsn_value(lsn) is not None else None


def _replica_for(replica_urls: tuple[str, ...], lsn: str | None) -> str | None:
    """The first replica that holds the client's last write (any, without one), else None."""
    if lsn is None:
        return replica_urls[0]
    return next((url for url in replica_urls if replicas.has_replayed(url, lsn)), None)
