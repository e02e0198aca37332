"""Everything a client sends, parsed and bounded before any view or SQL sees it.

One ``before_request`` (registered by ``create_app``) refuses what no view could read — control
characters in the path, a parameter or a form field, JSON nested past any parser's stack, too
large, with NaN/Infinity or strings PostgreSQL cannot hold — and checks the OGC API's own
parameters (bbox, datetime, offset, limit...) before pygeoapi passes them on. The parsing
helpers (numbers, integers, bboxes, instants, intervals: gis/parameters.py) are the ones every
endpoint uses for its own parameters, so a value means the same and fails the same way
everywhere. Each raises ``InvalidParameter`` naming the parameter; the error handlers write
the body.
"""
from __future__ import annotations

from flask import Flask, request

from gis.errors import InvalidParameter, PayloadTooLarge
from gis.parameters import (
    MAX_JSON_BYTES,
    check_text,
    parse_bbox,
    parse_integer,
    parse_interval,
    read_json,
)
from ogc.config import CRS_URIS, MAX_LIMIT

#: the deepest page an offset may ask for (PostgreSQL's bigint would end at 9.2e18)
MAX_OFFSET = 10 ** 9
JSON_MEDIA_TYPES = ("application/json", "application/geo+json", "application/query-cql-json")
FORM_MEDIA_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})



def check_ogc_parameters(args) -> None:
    """The OGC API parameters pygeoapi passes to providers, bounded by their names."""
    known_crs = set(CRS_URIS.values())
    for name in ("bbox-crs", "filter-crs", "crs"):
        if name in args and args[name] not in known_crs:
            raise InvalidParameter(f"{name}: one of {', '.join(CRS_URIS.values())}")
    if args.get("filter-lang") not in (None, "cql2-text", "cql2-json"):
        raise InvalidParameter("filter-lang: cql2-text or cql2-json")
    if args.get("bbox"):
        parse_bbox("bbox", args["bbox"], args.get("bbox-crs") or CRS_URIS["CRS84"],
                   antimeridian=True)
    if "datetime" in args:
        parse_interval("datetime", args["datetime"])
    if "offset" in args:
        parse_integer("offset", args["offset"], 0, MAX_OFFSET)
    if "limit" in args:
        parse_integer("limit", args["limit"], 1, MAX_LIMIT)


def _takes_json(path: str) -> bool:
    """Whether a body is read as JSON: its media type says so, or it goes to the OGC API
    (pygeoapi reads every body it takes as JSON, whatever the media type)."""
    if request.is_json or request.mimetype in JSON_MEDIA_TYPES:
        return True
    return path.startswith("/ogc/") and request.method in WRITE_METHODS


def check_body() -> None:
    """A JSON body bounded (``read_json``); form fields' names and values checked as text."""
    path = request.path
    if _takes_json(path):
        if request.content_length is not None and request.content_length > MAX_JSON_BYTES:
            raise PayloadTooLarge(f"body: {request.content_length:,} bytes; a JSON body holds "
                               f"{MAX_JSON_BYTES:,} at most")
        data = request.get_data(cache=True)
        if len(data) > MAX_JSON_BYTES:
            raise PayloadTooLarge(f"body: a JSON body holds {MAX_JSON_BYTES:,} bytes at most")
        if not data:
            return
        document = read_json(data)
        if path.startswith("/ogc/") and not isinstance(document, dict):
            # every OGC API body (a feature, a CQL2 expression, an execute request)
            raise InvalidParameter("body: expected a JSON object")
    elif request.mimetype in FORM_MEDIA_TYPES:
        for name, value in request.form.items(multi=True):
            check_text(name, name)
            check_text(name, value)
        for name in request.files:
            check_text(name, name)


def check_request() -> None:
    """The before_request check: path, query parameters, body, and the OGC API's parameters."""
    check_text("path", request.path)
    for name, value in request.args.items(multi=True):
        check_text(name, name)
        check_text(name, value)
    check_body()
    if request.path.startswith("/ogc/"):
        check_ogc_parameters(request.args)


def register_input_checks(app: Flask) -> None:
    """Check every request's input before the access rules, the limits and the views read it."""
    app.before_request(check_request)
