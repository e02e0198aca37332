"""Process jobs: asynchronous runs kept in PostgreSQL, synchronous runs kept nowhere.

pygeoapi's PostgreSQL manager records a job row and a result file for every execution; a
`nearest` query a second has no use for either. Asynchronous runs (`Prefer: respond-async`,
for large crew plans) go through it, so every worker sees their status and results;
everything else runs as pygeoapi's Dummy manager runs it. The result file is only a draft: it
goes into the job's row (jobs.output) with the status "successful", so every node, not just
the one that ran the job, answers its results.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from flask import has_request_context
from pygeoapi.formats import F_JSON, F_JSONLD, FORMAT_TYPES
from pygeoapi.process.base import JobNotFoundError, JobResultNotFoundError
from pygeoapi.process.manager.base import BaseManager
from pygeoapi.process.manager.dummy import DummyManager
from pygeoapi.process.manager.postgresql import PostgreSQLManager
from pygeoapi.provider.sql import get_engine
from pygeoapi.util import JobStatus, RequestedProcessExecutionMode
from sqlalchemy import event

from gis.access_rules import job_municipality, lists_job, principal_id, sees_job
from gis.job_actor import ACT_FOR_SQL, act_for_parameters
from gis.job_results import job_output
from gis.schema import jobs
from ogc.principal import acting_for
from ogc.principal import current_principal as _principal

#: the job document's times: pygeoapi writes them in UTC into columns without a zone
JOB_TIMES = ("created", "started", "finished", "updated")


def _with_time_zone(job: dict) -> dict:
    """``job`` with its times in RFC 3339 with their zone (UTC), as the job status document's
    schema requires; they were read back as times without one."""
    return {**job, **{name: job[name].replace(tzinfo=timezone.utc).isoformat().replace(
        "+00:00", "Z") for name in JOB_TIMES if isinstance(job.get(name), datetime)}}


def _act_for_principal(conn) -> None:
    """Every transaction of the manager's engine names whom it acts for: PostgreSQL's jobs
    policies then confine it as gis/access_rules.sees_job does (a bug here cannot cross)."""
    principal = _principal()
    conn.exec_driver_sql(ACT_FOR_SQL, act_for_parameters(principal))


class DimosJobManager(PostgreSQLManager):
    """Jobs carry their owner; who sees which: gis/access_rules.py."""

    def __init__(self, manager_def: dict):
        # PostgreSQLManager.__init__ but its table model: pygeoapi describes its own table and
        # creates it on the database as the manager starts, so a worker booting while the
        # database was away died, and gunicorn with it. The table is ours (migrations 0008,
        # 0012: with the owner): its model, and an engine that connects when first used.
        BaseManager.__init__(self, manager_def)
        self.is_async = True
        self.id_field = "identifier"
        self.supports_subscribing = True
        self._engine = get_engine("postgresql+psycopg2", None, None, None, None, None,
                                  manager_def["connection"])
        if not event.contains(self._engine, "begin", _act_for_principal):  # engines are cached
            event.listen(self._engine, "begin", _act_for_principal)
        self._starters: dict[str, object] = {}  # job id → its starter, for its background run
        self.table_output = self.output_dir is None  # results in files (output_dir is set)
        self.table_model = jobs
        self.c = jobs.c
        self._direct = DummyManager(manager_def)

    def add_job(self, job_metadata: dict) -> str:
        principal = _principal()
        job_id = super().add_job({**job_metadata, "owner": principal_id(principal),
                                  "jurisdiction_id": job_municipality(principal)})
        self._starters[job_id] = principal
        return job_id

    def _execute_handler_sync(self, p, job_id, *args, **kwargs):
        # the background thread has no request: it acts for the job's starter, so that the
        # run's status changes pass the jobs policies (migration 0018) and the process is
        # confined to the starter's municipalities
        with acting_for(self._starters.pop(job_id, _principal())):
            return super()._execute_handler_sync(p, job_id, *args, **kwargs)

    def update_job(self, job_id: str, update_dict: dict) -> bool:
        # pygeoapi wrote the result to a file of this node's and now names it "successful":
        # the result goes into the row in that same update (never a success without it)
        draft = update_dict.get("location")
        if draft and update_dict.get("status") == JobStatus.successful.value:
            update_dict = {**update_dict, "location": None,
                           "output": Path(draft).read_bytes()}
        updated = super().update_job(job_id, update_dict)
        if draft:
            Path(draft).unlink(missing_ok=True)
        return updated

    def get_job_result(self, job_id: str):
        job = self.get_job(job_id)  # who may see it: as the job's status
        if job["status"] != JobStatus.successful.value:
            return (None,)
        with self._engine.connect() as conn:
            output = job_output(conn, job_id)
        if output is None:
            raise JobResultNotFoundError()
        mimetype = job.get("mimetype")
        if mimetype in (None, FORMAT_TYPES[F_JSON], FORMAT_TYPES[F_JSONLD]):
            return mimetype, json.loads(output)
        return mimetype, output

    def get_job(self, job_id: str) -> dict:
        job = super().get_job(job_id)
        job.pop("output", None)  # the result is the results' (get_job_result), not the status'
        if has_request_context() and not sees_job(_principal(), job.get("owner"),
                                                  job.get("jurisdiction_id")):
            raise JobNotFoundError()  # as if it did not exist: ids are not to be probed
        return _with_time_zone(job)

    def get_jobs(self, status=None, limit=None, offset=None) -> dict:
        found = super().get_jobs(status, limit, offset)
        if has_request_context():
            found["jobs"] = [_with_time_zone(_without_output(job)) for job in found["jobs"]
                             if lists_job(_principal(), job.get("owner"),
                                          job.get("jurisdiction_id"))]
            found["numberMatched"] = len(found["jobs"])
        return found

    def execute_process(self, process_id, data_dict, execution_mode=None, *args, **kwargs):
        if execution_mode == RequestedProcessExecutionMode.respond_async:
            return super().execute_process(process_id, data_dict, execution_mode, *args,
                                           **kwargs)
        job_id, mimetype, outputs, status, headers = self._direct.execute_process(
            process_id, data_dict, execution_mode, *args, **kwargs)
        if status == JobStatus.failed and isinstance(outputs, dict) and "outputs" in outputs:
            # a failure asked for as a document is still an exception, not an output
            outputs = outputs["outputs"][0]
        elif status == JobStatus.successful and _is_document(outputs):
            outputs = _results_document(self.get_processor(process_id), outputs)
        return job_id, mimetype, outputs, status, headers


def _without_output(job: dict) -> dict:
    """A job's status without its result (a listing of jobs carries no results)."""
    return {name: value for name, value in job.items() if name != "output"}


def _is_document(outputs) -> bool:
    """pygeoapi's answer to ``"response": "document"``: ``{"outputs": [the one result]}``."""
    return isinstance(outputs, dict) and list(outputs) == ["outputs"] \
        and isinstance(outputs["outputs"], list) and len(outputs["outputs"]) == 1


def _results_document(processor, outputs: dict) -> dict:
    """The results document of Processes 1.0 (results.yaml): each output by its id (every
    process of dimos has one output), not pygeoapi's list under ``outputs``; an object is a
    qualified value, with its media type, as results.yaml writes one."""
    ((output_id, output),) = processor.metadata["outputs"].items()
    value = outputs["outputs"][0]
    if isinstance(value, dict):
        value = {"value": value,
                 "mediaType": output["schema"].get("contentMediaType", "application/json")}
    return {output_id: value}
