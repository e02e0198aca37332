"""The process list in pages: ``limit`` and ``offset``, with ``next`` and ``prev`` links.

pygeoapi cuts /processes at ``limit`` and says nothing of the rest (no ``offset``, no
``next``), so a client asking for one process at a time never meets the others; Processes
1.0 (18-062r2, /req/core/pl-limit-response, pl-links) and the official test suite ask for
pages a client can follow. pygeoapi is asked for every process (dimos has a handful) and
the answer is cut here; limit and offset were checked (dimos/request_input.py)."""
from __future__ import annotations

import json
from urllib.parse import urlencode

from flask import Flask, Response, g, request
from werkzeug.datastructures import ImmutableMultiDict

from ogc.config import DEFAULT_LIMIT, MAX_LIMIT
from ogc.public_url import here

ENDPOINT = "pygeoapi.get_processes"


def _is_list() -> bool:
    return request.endpoint == ENDPOINT and not (request.view_args or {}).get("process_id") \
        and request.method == "GET"


def ask_for_every_process() -> None:
    """Remember the page asked for; ask pygeoapi for the whole list."""
    if not _is_list():
        return
    g.process_page = (int(request.args.get("offset", 0)),
                      int(request.args.get("limit", DEFAULT_LIMIT)))
    kept = [(key, value) for key, value in request.args.items(multi=True)
            if key not in ("limit", "offset")] + [("limit", str(MAX_LIMIT))]
    request.environ["QUERY_STRING"] = urlencode(kept)
    request.args = ImmutableMultiDict(kept)  # pygeoapi reads the parsed arguments


def _link(rel: str, offset: int, limit: int, title: str) -> dict:
    query = {key: value for key, value in request.args.items() if key not in ("limit", "f")}
    query.update({"f": "json", "offset": offset, "limit": limit})
    return {"rel": rel, "type": "application/json", "title": title,
            "href": f"{here()}?{urlencode(query)}"}


def cut_the_page(response: Response) -> Response:
    """The page of the list asked for, linking itself and the pages beside it."""
    page = g.pop("process_page", None)
    if page is None or response.status_code != 200 or response.mimetype != "application/json":
        return response
    offset, limit = page
    body = json.loads(response.get_data())
    processes = body.get("processes", [])
    body["processes"] = processes[offset:offset + limit]
    links = [link for link in body.get("links", []) if link.get("rel") != "self"
             and link.get("type") != "application/json"]
    links.append(_link("self", offset, limit, "This document as JSON"))
    if offset + limit < len(processes):
        links.append(_link("next", offset + limit, limit, "The next processes"))
    if offset > 0:
        links.append(_link("prev", max(0, offset - limit), limit, "The previous processes"))
    body["links"] = links
    response.set_data(json.dumps(body, ensure_ascii=False))
    return response


def register_process_paging(app: Flask) -> None:
    app.before_request(ask_for_every_process)
    app.after_request(cut_the_page)
