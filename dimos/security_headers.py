"""Security headers on every response: a Content-Security-Policy, nosniff, no framing, a
referrer policy.

Scripts run only from dimos itself, or inline with this response's nonce (pygeoapi's pages: the
marker their templates carry, ogc/templates.py, becomes the nonce here), or with a hash the
view set (the printed route sheet, web_map/route_sheet.py). Styles may be inline: Leaflet,
folium and pygeoapi's templates write style attributes, and a style cannot run code. Images
may come from the basemap's server, the one address outside dimos a page loads (the policy
itself: web_common/csp.py, which the route sheet's view uses too).
"""
from __future__ import annotations

import secrets

from flask import Flask, Response, g
from werkzeug.datastructures import Headers

from ogc.templates import CSP_MARKER
from settings import Settings
from web_common.csp import POLICY_HEADER, content_security_policy


def register_security_headers(app: Flask, settings: Settings) -> None:
    default_policy = content_security_policy(settings)

    @app.after_request
    def security_headers(response: Response) -> Response:
        if isinstance(response.headers, dict):  # pygeoapi's plain dict (see ogc/mount.py)
            response.headers = Headers(response.headers)
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")  # frame-ancestors for old browsers
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if POLICY_HEADER in headers:  # a view that set its own (the route sheet's hashes)
            return response
        # HTML pages are read whole (pygeoapi's arrive as an iterable); files sent as they are
        # (direct_passthrough) and event streams are never HTML here
        if response.mimetype == "text/html" and not response.direct_passthrough:
            page = response.get_data(as_text=True)
            if CSP_MARKER in page:
                nonce = g.get("csp_nonce") or secrets.token_urlsafe(18)
                response.set_data(page.replace(CSP_MARKER, nonce))
                headers[POLICY_HEADER] = content_security_policy(settings, (f"'nonce-{nonce}'",))
                return response
        headers[POLICY_HEADER] = default_policy
        return response
