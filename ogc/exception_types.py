"""The exception types OGC API – Processes names for an unknown process or job.

pygeoapi answers both with a 404 whose ``type`` is a bare code (``NoSuchJob``, and
``InvalidParameterValue`` for ``/jobs/{unknown}``); Processes 1.0 (18-062r2, 7.4/7.12)
requires these URIs, and the official test suite reads them. An after_request hook around
pygeoapi's blueprint: the body keeps pygeoapi's code and description."""
from __future__ import annotations

import json
import re

from flask import Response, request

EXCEPTIONS = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0"
#: path under /ogc → the type of its 404
NOT_FOUND_TYPES = {
    re.compile(r"^/ogc/jobs/[^/]+(/results)?/?$"): f"{EXCEPTIONS}/no-such-job",
    re.compile(r"^/ogc/processes/[^/]+(/execution)?/?$"): f"{EXCEPTIONS}/no-such-process",
}


def processes_exception_types(response: Response) -> Response:
    """A 404 for an unknown job or process, in JSON, with the type the standard names."""
    if response.status_code != 404 or response.mimetype not in ("application/json",
                                                                "application/problem+json"):
        return response
    for path, uri in NOT_FOUND_TYPES.items():
        if path.match(request.path):
            try:
                body = json.loads(response.get_data())
            except ValueError:
                return response
            if isinstance(body, dict):
                response.set_data(json.dumps({**body, "type": uri}))
            return response
    return response
