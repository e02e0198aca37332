"""Sign-in with a local account (or single sign-on, dimos/sso.py): a session kept in PostgreSQL
(accounts/sessions.py) whose random id rides in a signed cookie (HttpOnly, SameSite=Lax, Secure
behind https), and a CSRF token that every unsafe request made with that cookie must carry, as
an ``X-CSRF-Token`` header or a ``csrf_token`` form field. Requests with a bearer token carry
no ambient credentials and need none.

Signing out deletes the session's row, so the old cookie (and its CSRF token) stop working on
every worker at once; so do disabling the account and changing its role.
"""
from __future__ import annotations

import hmac
from datetime import timedelta

from flask import Blueprint, Flask, g, jsonify, request, session
from flask.sessions import SecureCookieSessionInterface

from accounts import people as accounts
from accounts import sessions as stored
from accounts.secret_key import secret_key
from gis.db import pooled_cursor
from gis.errors import DatabaseUnavailable, InvalidParameter
from gis.roles import Principal
from settings import Settings
from web_common.csrf import current_csrf

__all__ = ["secret_key", "configure_sessions", "session_principal", "start", "csrf_missing",
           "make_sessions_blueprint"]

SESSION_HOURS = 8
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class _SecureBehindHttps(SecureCookieSessionInterface):
    """The cookie is ``Secure`` when the public URL is https, and also when this request came
    over https: directly, or through a trusted proxy's X-Forwarded-Proto (dimos/proxies.py).

    The signing key is read on first use, not at start: a worker starts while the database is
    away (health answers 503) and reads it once the database is back.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def get_cookie_secure(self, app: Flask) -> bool:
        return super().get_cookie_secure(app) or request.is_secure

    def get_signing_serializer(self, app: Flask):
        if not app.secret_key:
            try:
                app.secret_key = secret_key(self.settings)
            except DatabaseUnavailable:
                return None  # no session this request (Flask's null session); nothing signed
        return super().get_signing_serializer(app)


def configure_sessions(app: Flask, settings: Settings) -> None:
    app.session_interface = _SecureBehindHttps(settings)
    app.config.update(
        SESSION_COOKIE_NAME="dimos_session", SESSION_COOKIE_HTTPONLY=True,
        # Lax, not Strict: the browser must bring the cookie back from a single sign-on
        # provider's redirect; unsafe requests are guarded by the CSRF token, not SameSite
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.effective_public_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS))


def start(database_url: str, principal: Principal) -> str:
    """Sign ``principal`` in on this response's cookie: a new session (any earlier one of this
    browser is ended first, so a planted cookie cannot be fixed on someone); its CSRF token."""
    with pooled_cursor(database_url, commit=True) as cur:
        if isinstance(session.get("sid"), str):
            stored.end_session(cur, session["sid"])
        session_id, csrf = stored.start_session(cur, principal.name, SESSION_HOURS)
    session.clear()
    session.permanent = True
    session["sid"] = session_id
    g.csrf_token = csrf
    return csrf


def session_principal(database_url: str) -> Principal | None:
    """Who the session cookie signs in, if its session lives and the account is active."""
    session_id = session.get("sid")
    if not isinstance(session_id, str):
        session.clear()
        return None
    with pooled_cursor(database_url, commit=True) as cur:
        found = stored.find_session(cur, session_id)
    if found is None:
        session.clear()
        return None
    principal, g.csrf_token = found
    return principal


def csrf_missing() -> bool:
    """An unsafe request on a session without the session's CSRF token."""
    if request.method in SAFE_METHODS or request.endpoint == "sessions.sign_in":
        return False
    expected = current_csrf() or ""
    given = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
    return not (expected and hmac.compare_digest(expected, given))


def make_sessions_blueprint(settings: Settings) -> Blueprint:
    blueprint = Blueprint("sessions", __name__)
    url = settings.effective_app_database_url

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
        csrf = start(url, principal)
        return jsonify(name=principal.name, role=principal.role, csrf_token=csrf)

    @blueprint.get("/api/session")
    def current():
        """Who is signed in (by this cookie, or the request's token), 200 either way: the map
        asks on every load, and a 401 there would be an error in every visitor's console."""
        principal = g.get("principal")
        if principal is None:
            return jsonify(signed_in=False)
        # the municipalities its role holds in: the staff view lists theirs, whatever the map
        # shows (every one: everywhere)
        return jsonify(signed_in=True, name=principal.name, role=principal.role,
                       municipalities=sorted(principal.municipalities),
                       everywhere=principal.everywhere, csrf_token=current_csrf())

    @blueprint.delete("/api/session")
    def sign_out():
        """End the session for good: its row goes, on every worker."""
        if isinstance(session.get("sid"), str):
            with pooled_cursor(url, commit=True) as cur:
                stored.end_session(cur, session["sid"])
        session.clear()
        return "", 204

    return blueprint
