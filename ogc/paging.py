"""The end of an items listing has no next link.

The provider writes the next link itself, with a cursor (ogc/providers/features.py); pygeoapi
adds one by offset to a page that brought none when it holds ``limit`` features or
numberMatched exceeds limit + offset (a cursor page's offset being 0), even when the provider
knows it is the last. Only then (``g.items_end``) is that link taken out again from a JSON
answer; the HTML items page shows its "Next" button only for a next link by cursor (the
provider's), so a last page offers none.
"""
from __future__ import annotations

import json

from flask import Flask, Response, g

JSON_TYPES = ("application/json", "application/geo+json")

_ITEMS_PAGE = "collections/items/index.html"
# pygeoapi's items page shows a "Next" button for any next link: the provider's carry a cursor
# and no offset, so one with an offset is pygeoapi's fallback (the request's cursor copied into
# it), added only when the provider wrote none
_NEXT_BUTTON = "{% elif link['rel'] == 'next' and data['features'] %}"
_CURSOR_NEXT_BUTTON = ("{% elif link['rel'] == 'next' and data['features'] "
                       "and 'cursor=' in link['href'] and 'offset=' not in link['href'] %}")


def next_button_with_a_cursor_only(template: str, text: str) -> str:
    """``text`` of pygeoapi's template ``template`` (a path under its templates folder) with
    the items page's "Next" button kept to the provider's next links; other templates
    unchanged. A pygeoapi whose items page no longer draws the button so fails at start-up."""
    if template != _ITEMS_PAGE:
        return text
    if _NEXT_BUTTON not in text:
        raise RuntimeError(f"pygeoapi's {template} no longer shows Next as {_NEXT_BUTTON!r}")
    return text.replace(_NEXT_BUTTON, _CURSOR_NEXT_BUTTON)


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
