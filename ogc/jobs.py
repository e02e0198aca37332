"""Process jobs: asynchronous runs kept in PostgreSQL, synchronous runs kept nowhere.

pygeoapi's PostgreSQL manager records a job row and a result file for every execution; a
`nearest` query a second has no use for either. Asynchronous runs (`Prefer: respond-async`,
for large crew plans) go through it, so every worker sees their status and results;
everything else runs as pygeoapi's Dummy manager runs it.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import has_request_context
from pygeoapi.process.base import JobNotFoundError
from pygeoapi.process.manager.base import BaseManager
from pygeoapi.process.manager.dummy import DummyManager
from pygeoapi.process.manager.postgresql import PostgreSQLManager
from pygeoapi.provider.sql import get_engine
from pygeoapi.util import JobStatus, RequestedProcessExecutionMode
from sqlalchemy import event

from gis.access_rules import job_municipality, lists_job, principal_id, sees_job
from gis.job_actor import ACT_FOR_SQL, act_for_parameters
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

    def get_job(self, job_id: str) -> dict:
        job = super().get_job(job_id)
        if has_request_context() and not sees_job(_principal(), job.get("owner"),
                                                  job.get("jurisdiction_id")):
            raise JobNotFoundError()  # as if it did not exist: ids are not to be probed
        return _with_time_zone(job)

    def get_jobs(self, status=None, limit=None, offset=None) -> dict:
        found = super().get_jobs(status, limit, offset)
        if has_request_context():
            found["jobs"] = [_with_time_zone(job) for job in found["jobs"]
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
