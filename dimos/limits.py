"""Rate limits on public POSTs (citizens' reports, process executions, sign-in attempts), per
client over the last minute (a sliding window, gis/rate_limits.py); sign-in attempts per address
and account, and per address.

The client is the connection's address, or the one the trusted proxies forwarded
(dimos/proxies.py): behind a proxy, each citizen is counted on their own. Hits live in
PostgreSQL so every gunicorn worker sees the same; signed-in staff are not limited. Over the
limit: 429 with Retry-After saying how long until the next one is accepted.
"""
from __future__ import annotations

import hashlib
import re

from flask import Flask, g, jsonify, request

from gis import rate_limits
from gis.db import pooled_cursor
from gis.roles import STAFF
from settings import Settings

#: sign-in attempts one address may make on all accounts together, per the per-account limit
SPRAY_FACTOR = 5


def _username() -> str:
    """The account a sign-in attempt is for, hashed: the counters keep no names."""
    body = request.get_json(silent=True) if request.is_json else request.form
    name = body.get("username") if isinstance(body, dict) else None
    return hashlib.sha256(str(name).encode()).hexdigest()[:16]


def register_rate_limits(app: Flask, settings: Settings) -> None:
    signin = settings.rate_limit_signin_per_min
    # (bucket, path, per minute, what is counted besides the address)
    buckets = [
        ("reports", re.compile(r"^/open311/v2/requests\.[a-z]+$"),
         settings.rate_limit_reports_per_min, None),
        ("processes", re.compile(r"^/ogc/processes/[^/]+/execution$"),
         settings.rate_limit_processes_per_min, None),
        # password guessing: one account from one address, and any accounts from one address
        ("sign-in", re.compile(r"^/api/session$"), signin, _username),
        ("sign-in-any", re.compile(r"^/api/session$"), signin * SPRAY_FACTOR, None),
    ]
    url = settings.effective_app_database_url

    @app.before_request
    def limit_public_posts():
        if request.method != "POST":
            return None
        principal = g.get("principal")
        if principal is not None and principal.role in STAFF:
            return None
        for bucket, path, per_minute, detail in buckets:
            if per_minute and path.match(request.path):
                client = request.remote_addr or "unknown"
                if detail is not None:
                    client = f"{client} {detail()}"
                with pooled_cursor(url, commit=True) as cur:
                    wait = rate_limits.hit(cur, client, bucket, per_minute)
                if wait is not None:
                    response = jsonify(code="TooManyRequests",
                                       description=f"more than {per_minute} in a minute from "
                                                   f"this address; try again in {wait} s")
                    response.status_code = 429
                    response.headers["Retry-After"] = str(wait)
                    return response
        return None
