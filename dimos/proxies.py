"""Whom dimos believes about a request: the client's address, scheme and host come from the
connection, or from the X-Forwarded-* headers of DIMOS_TRUSTED_PROXIES reverse proxies (werkzeug's
ProxyFix reads the last N entries, the ones those proxies wrote); absolute links are built on
DIMOS_PUBLIC_URL, never on a Host header a client chose."""
from __future__ import annotations

from flask import Flask, redirect, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import RequestRedirect

from settings import Settings


def trust_proxies(app: Flask, settings: Settings) -> None:
    """Behind N trusted proxies, take the client's address, scheme and host from their headers;
    with none, X-Forwarded-* are ignored (any client could write them)."""
    hops = settings.trusted_proxies
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops,
                                x_port=hops)


def redirect_on_the_public_base(app: Flask, settings: Settings) -> None:
    """Werkzeug's own redirects (``/ogc`` → ``/ogc/``, ``/m/chania`` → ``/m/chania/``) are
    absolute, built on the request's Host: moved onto the public base like every other link."""
    @app.after_request
    def _located_on_the_public_base(response):
        location = response.headers.get("Location", "")
        if isinstance(request.routing_exception, RequestRedirect) \
                and location.startswith(request.host_url):
            moved = f"{public_base(settings)}/{location[len(request.host_url):]}"
            response.headers["Location"] = moved
            # and the page's "you should be redirected to" link with it
            response.set_data(redirect(moved, response.status_code).get_data())
        return response


def public_base(settings: Settings) -> str:
    """The base (scheme://host[:port], no trailing slash) of absolute links in answers: the
    configured public URL; else the host the trusted proxy forwarded; else the configured
    host:port. Never the Host header of a client talking to dimos directly."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    if settings.trusted_proxies:
        return request.host_url.rstrip("/")
    return settings.effective_public_url
