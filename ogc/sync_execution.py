"""A synchronous execution names no job: it sends no ``Location``.

pygeoapi 0.24 adds ``Location: …/jobs/<id>`` to every execution when its manager can run
jobs asynchronously (api/processes.py, execute_process), the synchronous ones too. dimos keeps
synchronous runs nowhere (ogc/jobs.py: a `nearest` query a second has no use for a job row),
so that Location was a 404. Processes 1.0 asks for a Location with the 201 of a job created
(/req/core/job-creation-success-async); a 200 carries the results themselves, and a 4xx the
exception.
"""
from __future__ import annotations

from flask import Flask, Response, request

#: pygeoapi's endpoint of POST /processes/<id>/execution
EXECUTION_ENDPOINT = "pygeoapi.execute_process_jobs"


def no_location_without_a_job(response: Response) -> Response:
    """An execution's answer other than a 201 (a job created) without its Location."""
    if request.endpoint == EXECUTION_ENDPOINT and response.status_code != 201:
        response.headers.pop("Location", None)
    return response


def register_sync_execution(app: Flask) -> None:
    app.after_request(no_location_without_a_job)
