"""Job status documents as Processes 1.0's statusInfo.yaml describes them: no null members.

pygeoapi writes every member of a job's status, ``"finished": null`` for a job still running
and ``"started": null`` for one not started; statusInfo.yaml types them as date-time strings
(none may be null), so a client validating the document, as the official test suite does,
rejects it. A member with no value yet is left out, as the schema's optional members are."""
from __future__ import annotations

import json
import re

from flask import Flask, Response, request

JOBS = re.compile(r"^/ogc/jobs(/[^/]+)?/?$")


def _without_nulls(status: dict) -> dict:
    return {name: value for name, value in status.items() if value is not None}


def status_without_nulls(response: Response) -> Response:
    """A job's status, or the list of jobs, with the members that have a value."""
    if request.method != "GET" or response.status_code != 200 \
            or response.mimetype != "application/json" or not JOBS.match(request.path):
        return response
    body = json.loads(response.get_data())
    if isinstance(body.get("jobs"), list):
        body["jobs"] = [_without_nulls(job) for job in body["jobs"]]
    elif "jobID" in body:
        body = _without_nulls(body)
    response.set_data(json.dumps(body, ensure_ascii=False))
    return response


def register_job_documents(app: Flask) -> None:
    app.after_request(status_without_nulls)
