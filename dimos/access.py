"""Who may do what: every write endpoint's role rule, in one table, checked before the view.

A request carries ``Authorization: Bearer <token>`` (``accounts.tokens``) or a signed-in session
cookie (``dimos.sessions``, whose unsafe requests must carry its CSRF token); the principal's
role must be one the rule allows. Neither: 401 with ``WWW-Authenticate``; the wrong role: 403.
Reads stay public; private fields never reach public outputs whatever the role (the providers
do not select them). Which rows a principal sees (its own requests, jobs, assignments) are
the pure rules of gis/access_rules.py, shared with the OGC API's jobs and providers.
"""
from __future__ import annotations

import re
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


@dataclass(frozen=True)
class Rule:
    methods: frozenset[str]
    path: re.Pattern
    #: the roles allowed, or a function of the request giving them (per layer)
    roles: frozenset[str] | Callable[[], frozenset[str]]
    #: further condition on the request (e.g. POST items is a write only with a GeoJSON body)
    applies: object = None


ITEMS = re.compile(r"^/ogc/collections/(?P<layer>[^/]+)/items")


def layer_editors() -> frozenset[str]:
    """Who may create and replace a layer's features: staff, and the roles the layer names."""
    try:
        return STAFF | frozenset(layers.get(ITEMS.match(request.path)["layer"]).editors)
    except KeyError:  # no such layer: pygeoapi answers 404 to those allowed to ask
        return STAFF


RULES = (
    # OGC API Features Part 4: create (POST GeoJSON), replace (PUT) per layer; delete staff only
    Rule(frozenset({"POST"}), re.compile(r"^/ogc/collections/[^/]+/items/?$"), layer_editors,
         lambda: request.content_type == "application/geo+json"),
    Rule(frozenset({"PUT", "PATCH"}), re.compile(r"^/ogc/collections/[^/]+/items/[^/]+$"),
         layer_editors),
    Rule(frozenset({"DELETE"}), re.compile(r"^/ogc/collections/[^/]+/items/[^/]+$"), STAFF),
    # dismissing someone's process job
    Rule(frozenset({"DELETE"}), re.compile(r"^/ogc/jobs/[^/]+$"), STAFF),
    # Open311: the workflow's status changes, and the reporter's personal data
    Rule(frozenset({"POST"}), re.compile(r"^/open311/v2/servicerequestupdates\.[a-z]+$"), STAFF),
    Rule(frozenset({"GET"}), re.compile(r"^/open311/v2/requests/[^/]+/contact\.[a-z]+$"), STAFF),
    # sensors: gateways post readings, the payment app posts sessions, wardens see offenders
    Rule(frozenset({"POST"}), re.compile(r"^/api/sensors/readings$"), STAFF | {"gateway"}),
    Rule(frozenset({"POST"}), re.compile(r"^/api/parking/sessions$"), STAFF | {"payment"}),
    Rule(frozenset({"GET"}), re.compile(r"^/api/parking/violations$"), STAFF | {"crew"}),
    # file imports: staff upload into the layers through the importers' pipeline
    Rule(frozenset({"POST", "GET"}), re.compile(r"^/api/imports$"), STAFF),
    # own rows (the row-level rules below say which): a person's requests, a crew's work
    Rule(frozenset({"GET"}), re.compile(r"^/api/my/requests$"), PEOPLE),
    Rule(frozenset({"GET"}), re.compile(r"^/api/crew/assignments$"), STAFF | {"crew"}),
)


def rule_for(method: str, path: str) -> Rule | None:
    for rule in RULES:
        if method in rule.methods and rule.path.match(path) and (
                rule.applies is None or rule.applies()):
            return rule
    return None


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
    database_url = settings.effective_database_url

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
        rule = rule_for(request.method, request.path)
        if rule is None:
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
