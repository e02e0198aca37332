"""Who may do what: every endpoint's role rule, in one table keyed by the routes' endpoints,
checked before the view; a write to a route the table does not name needs staff.

A request carries ``Authorization: Bearer <token>`` (``accounts.tokens``) or a signed-in session
cookie (``dimos.sessions``, whose unsafe requests must carry its CSRF token); the principal's
role must be one the rule allows. Neither: 401 with ``WWW-Authenticate``; the wrong role: 403.
Reads stay public; private fields never reach public outputs whatever the role (the providers
do not select them). Which rows a principal sees (its own requests, jobs, assignments) are
the pure rules of gis/access_rules.py, shared with the OGC API's jobs and providers.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, g, jsonify, request, session

import layers
from accounts.tokens import principal_for
from dimos.sessions import csrf_missing, session_principal
from gis.access_rules import PEOPLE, STAFF
from gis.db import pooled_cursor
from gis.roles import Principal
from settings import Settings

#: the methods that change something: each needs a role unless a rule says who may
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: a rule's roles when anyone may call it, signed in or not
ANYONE = None


@dataclass(frozen=True)
class Rule:
    #: the Flask endpoint (``blueprint.view``) the rule guards, whatever its URL looks like
    endpoint: str
    methods: frozenset[str]
    #: the roles allowed (ANYONE: no sign-in needed), or a function of the request giving them
    roles: frozenset[str] | Callable[[], frozenset[str]] | None
    #: further condition on the request (POST items is a search only with a CQL2 JSON body)
    applies: Callable[[], bool] | None = None
    #: why anyone may call it (every ANYONE rule says)
    reason: str = ""


def layer_editors() -> frozenset[str]:
    """Who may create and replace a layer's features: staff, and the roles the layer names."""
    try:
        return STAFF | frozenset(layers.collection((request.view_args or {})["collection_id"]).editors)
    except KeyError:  # no such layer: pygeoapi answers 404 to those allowed to ask
        return STAFF


def cql2_search() -> bool:
    """POST on a collection's items with a CQL2 JSON body is a search (Features Part 3); any
    other body, whatever its media type's spelling or parameters, is taken as a write."""
    return request.mimetype == "application/query-cql-json"


def private_export() -> bool:
    """An export asking for the layer's private fields (any ``private`` but ``false``: the
    view refuses what is not ``true``, after the role)."""
    return request.args.get("private", "false") != "false"


def _one(endpoint, methods, roles, applies=None, reason=""):
    return Rule(endpoint, frozenset(methods), roles, applies, reason)


#: the first rule that matches decides; an unsafe request no rule matches needs staff
RULES = (
    # OGC API Features: a CQL2 JSON search is a read; create (POST) and replace (PUT) per
    # layer; delete staff only
    _one("pygeoapi.collection_items", {"POST"}, ANYONE, cql2_search,
         "a search with a CQL2 JSON body: reads"),
    _one("pygeoapi.collection_items", {"POST", "PUT", "PATCH"}, layer_editors),
    _one("pygeoapi.collection_items", {"DELETE"}, STAFF),
    _one("features_patch.patch_item", {"PATCH"}, layer_editors),
    # processes read and compute, never write (rate-limited); dismissing a job is staff's
    _one("pygeoapi.execute_process_jobs", {"POST"}, ANYONE,
         reason="processes read and compute, never write (rate-limited)"),
    _one("pygeoapi.stac_search", {"POST"}, ANYONE, reason="a search: reads"),
    _one("pygeoapi.get_jobs", {"DELETE"}, STAFF),
    # Open311: citizens report; the workflow's status changes, the reporter's personal data
    _one("open311.post_request", {"POST"}, ANYONE,
         reason="citizens report without an account (rate-limited)"),
    _one("open311.post_update", {"POST"}, STAFF),
    _one("open311.get_contact", {"GET"}, STAFF),
    # exports: the public record for anyone; with the private fields (reporters' contact
    # data), the same staff as the contact data, of the municipality exported
    _one("web_map.export", {"GET"}, STAFF, private_export),
    # sessions: signing in and out
    _one("sessions.sign_in", {"POST"}, ANYONE, reason="signing in (rate-limited)"),
    _one("sessions.sign_out", {"DELETE"}, ANYONE, reason="signing out (one's own session)"),
    # the map prints the route sheet of the plan it is sent
    _one("web_map.route_sheet", {"POST"}, ANYONE,
         reason="prints the plan it is sent; reads and stores nothing"),
    # a planning certificate for a parcel: the planning report, printed
    _one("web_map.planning_certificate_for_parcel", {"POST"}, ANYONE,
         reason="the planning report for a parcel it is sent, as a PDF; reads and stores nothing"),
    # sensors: gateways post readings, the payment app posts sessions, wardens see offenders
    _one("sensors.post_readings", {"POST"}, STAFF | {"gateway"}),
    _one("sensors.post_session", {"POST"}, STAFF | {"payment"}),
    _one("sensors.get_violations", {"GET"}, STAFF | {"crew"}),
    # file imports: staff upload into the layers through the importers' pipeline
    _one("imports.upload", {"POST"}, STAFF),
    _one("imports.recent", {"GET"}, STAFF),
    # publishing a file as a layer (its preview first): staff, into their municipality
    _one("published_layers.preview", {"POST"}, STAFF),
    _one("published_layers.publish", {"POST"}, STAFF),
    # the staff view's charts: the municipality's figures, its staff's
    _one("charts.table", {"GET"}, STAFF),
    # own rows (the row-level rules below say which): a person's requests, a crew's work
    _one("own_rows.my_requests", {"GET"}, PEOPLE),
    _one("own_rows.crew_assignments", {"GET"}, STAFF | {"crew"}),
)
#: an unsafe request to a route no rule names: staff only, so a new route is never open
UNNAMED_WRITE = Rule("", UNSAFE, STAFF)


def rule_for(method: str, endpoint: str | None) -> Rule | None:
    """The rule for a request routed to ``endpoint`` (None: no route, Flask answers 404/405);
    HEAD is GET without the body, so GET's rule."""
    if endpoint is None:
        return None
    method = "GET" if method == "HEAD" else method
    for rule in RULES:
        if rule.endpoint == endpoint and method in rule.methods and (
                rule.applies is None or rule.applies()):
            return rule
    return UNNAMED_WRITE if method in UNSAFE else None


def _bearer_token() -> str | None:
    """The request's token: an Authorization bearer, or Open311's api_key parameter."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    if request.path.startswith("/open311/"):
        return request.values.get("api_key") or None
    return None


def _refuse(status: int, message: str):
    response = jsonify(code="Unauthorized" if status == 401 else "Forbidden", description=message)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="dimos"'
    return response


def register_access_rules(app: Flask, settings: Settings) -> None:
    database_url = settings.effective_app_database_url

    @app.before_request
    def check_access():
        g.principal = None
        token = _bearer_token()
        if token:
            with pooled_cursor(database_url) as cur:
                g.principal = principal_for(cur, token)
            if g.principal is None:  # a wrong key is an error even where none is needed
                return _refuse(401, "the token (or api_key) is unknown or revoked")
        elif "sid" in session:
            g.principal = session_principal(database_url)
            if g.principal is not None and csrf_missing():
                # a cookie is sent by any page the browser visits: it alone proves nothing
                return _refuse(403, "this session's CSRF token is missing or wrong: send it as "
                                    "X-CSRF-Token (from /api/session or /api/whoami)")
        rule = rule_for(request.method, request.endpoint)
        if rule is None or rule.roles is ANYONE:
            return None
        principal: Principal | None = g.principal
        if principal is None:
            return _refuse(401, "sign in: this needs a signed-in session or a token "
                                "(Authorization: Bearer …)")
        roles = rule.roles() if callable(rule.roles) else rule.roles
        if principal.role not in roles:
            return _refuse(403, f"role {principal.role!r} may not {request.method} here; "
                                f"needs one of {', '.join(sorted(roles))}")
        return None
