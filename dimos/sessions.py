"""Sign-in with a local account (or single sign-on, dimos/sso.py): a signed session cookie
(HttpOnly, SameSite=Lax, Secure behind https) and a CSRF token that every unsafe request made
with that cookie must carry, as an ``X-CSRF-Token`` header or a ``csrf_token`` form field.
Requests with a bearer token carry no ambient credentials and need none.
"""
from __future__ import annotations

import hmac
import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Blueprint, Flask, g, jsonify, request, session

from gis import accounts
from gis.db import pooled_cursor
from gis.errors import InvalidParameter
from gis.settings import Settings
from gis.tokens import Principal

SESSION_HOURS = 8
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def secret_key(settings: Settings) -> bytes:
    """DIMOS_SECRET_KEY, or one made once in the state folder and shared by every worker."""
    if settings.secret_key:
        return settings.secret_key.encode()
    path = Path(settings.state_dir) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(descriptor, "wb") as out:
        out.write(secrets.token_hex(32).encode())
    return path.read_bytes()


def configure_sessions(app: Flask, settings: Settings) -> None:
    app.secret_key = secret_key(settings)
    app.config.update(
        SESSION_COOKIE_NAME="dimos_session", SESSION_COOKIE_HTTPONLY=True,
        # Lax, not Strict: the browser must bring the cookie back from a single sign-on
        # provider's redirect; unsafe requests are guarded by the CSRF token, not SameSite
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.effective_public_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS))


def session_principal(database_url: str) -> Principal | None:
    """Who the session cookie signs in, if the account is still active."""
    username = session.get("user")
    if not username:
        return None
    with pooled_cursor(database_url) as cur:
        principal = accounts.active_principal(cur, username)
    if principal is None:
        session.clear()
    return principal


def csrf_missing() -> bool:
    """An unsafe request on a session without the session's CSRF token."""
    if request.method in SAFE_METHODS or request.endpoint == "sessions.sign_in":
        return False
    expected = session.get("csrf", "")
    given = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
    return not (expected and hmac.compare_digest(expected, given))


def make_sessions_blueprint(settings: Settings) -> Blueprint:
    blueprint = Blueprint("sessions", __name__)
    url = settings.effective_database_url

    @blueprint.post("/api/session")
    def sign_in():
        body = request.get_json(silent=True) if request.is_json else request.form
        if not hasattr(body, "get"):  # JSON, but not an object (dimos/request_input.py read it)
            raise InvalidParameter("body: expected a JSON object with username and password")
        username, password = body.get("username", ""), body.get("password", "")
        if not isinstance(username, str) or not isinstance(password, str):
            username, password = "", ""
        with pooled_cursor(url, commit=True) as cur:
            principal = accounts.verify_password(cur, username, password)
        if principal is None:
            return jsonify(code="Unauthorized", description="wrong username or password"), 401
        session.clear()
        session.permanent = True
        session.update(user=principal.name, csrf=secrets.token_urlsafe(32))
        return jsonify(name=principal.name, role=principal.role, csrf_token=session["csrf"])

    @blueprint.get("/api/session")
    def current():
        """Who is signed in (by this cookie, or the request's token), 200 either way: the map
        asks on every load, and a 401 there would be an error in every visitor's console."""
        principal = g.get("principal")
        if principal is None:
            return jsonify(signed_in=False)
        return jsonify(signed_in=True, name=principal.name, role=principal.role,
                       csrf_token=session.get("csrf"))

    @blueprint.delete("/api/session")
    def sign_out():
        session.clear()
        return "", 204

    return blueprint
