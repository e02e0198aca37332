"""The end of an items listing has no next link.

The provider writes the next link itself, with a cursor (ogc/providers/features.py); pygeoapi
adds one by offset to a page that brought none when it holds ``limit`` features or
numberMatched exceeds limit + offset (a cursor page's offset being 0), even when the provider
knows it is the last. Only then (``g.items_end``) is that link taken out again (JSON answers;
an HTML last page keeps pygeoapi's "next" button, which leads to an empty page).
"""
from __future__ import annotations

import json

from flask import Flask, Response, g

JSON_TYPES = ("application/json", "application/geo+json")


def register_paging(app: Flask) -> None:
    @app.after_request
    def no_next_link_after_the_last_page(response: Response) -> Response:
        if not g.get("items_end") or response.status_code != 200 \
                or response.mimetype not in JSON_TYPES:
            return response
        body = json.loads(response.get_data())
        body["links"] = [link for link in body.get("links", []) if link.get("rel") != "next"]
        response.set_data(json.dumps(body, ensure_ascii=False, separators=(",", ":")))
        return response
