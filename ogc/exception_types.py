"""The exception types OGC API – Processes names for its errors.

pygeoapi answers an unknown process or job with a 404 whose ``type`` is a bare code
(``NoSuchJob``, and ``InvalidParameterValue`` for ``/jobs/{unknown}``), results not ready yet
with the unknown job's type, and any other error of a process or job with no ``type`` at all;
Processes 1.0 (18-062r2, 7.4/7.12/7.13) requires the URIs below and its exception.yaml a
``type`` in every exception, and the official test suite reads them. An after_request hook
around pygeoapi's blueprint: the body keeps pygeoapi's code and description."""
from __future__ import annotations

import json
import re
from http import HTTPStatus

from flask import Response, request

EXCEPTIONS = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0"
PROCESSES_PATH = re.compile(r"^/ogc/(processes|jobs)(/|$)")
#: path under /ogc → the type of its 404
NOT_FOUND_TYPES = {
    re.compile(r"^/ogc/jobs/[^/]+(/results)?/?$"): f"{EXCEPTIONS}/no-such-job",
    re.compile(r"^/ogc/processes/[^/]+(/execution)?/?$"): f"{EXCEPTIONS}/no-such-process",
}
#: pygeoapi's code → the type the standard gives it, wherever it is met
CODE_TYPES = {"ResultNotReady": f"{EXCEPTIONS}/result-not-ready"}


def _type(code: object, status: int) -> str:
    """The exception type of an error of a process or a job."""
    if code in CODE_TYPES:
        return CODE_TYPES[code]
    if status == 404:
        for path, uri in NOT_FOUND_TYPES.items():
            if path.match(request.path):
                return uri
    # no type of the standard's applies (a bad input, a server fault): RFC 7807's own, which
    # says the HTTP status is the whole meaning
    return "about:blank"


def processes_exception_types(response: Response) -> Response:
    """An error of a process or a job, in JSON, with the type the standard names."""
    if response.status_code < 400 or not PROCESSES_PATH.match(request.path) \
            or response.mimetype not in ("application/json", "application/problem+json"):
        return response
    try:
        body = json.loads(response.get_data())
    except ValueError:
        return response
    if not isinstance(body, dict):
        return response
    uri = _type(body.get("code"), response.status_code)
    if uri == "about:blank" and isinstance(body.get("type"), str) \
            and body["type"].startswith(EXCEPTIONS):
        return response  # already typed by the standard
    extra = {"title": HTTPStatus(response.status_code).phrase} if uri == "about:blank" else {}
    response.set_data(json.dumps({**body, **extra, "type": uri}))
    return response
