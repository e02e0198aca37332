"""Process jobs: asynchronous runs kept in PostgreSQL, synchronous runs kept nowhere.

pygeoapi's PostgreSQL manager records a job row and a result file for every execution; a
`nearest` query a second has no use for either. Asynchronous runs (`Prefer: respond-async`,
for large crew plans) go through it, so every worker sees their status and results;
everything else runs as pygeoapi's Dummy manager runs it.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import g, has_request_context
from pygeoapi.process.base import JobNotFoundError
from pygeoapi.process.manager.base import BaseManager
from pygeoapi.process.manager.dummy import DummyManager
from pygeoapi.process.manager.postgresql import PostgreSQLManager
from pygeoapi.provider.sql import get_engine
from pygeoapi.util import JobStatus, RequestedProcessExecutionMode

from gis.access_rules import job_municipality, lists_job, principal_id, sees_job
from gis.schema import jobs

#: the job document's times: pygeoapi writes them in UTC into columns without a zone
JOB_TIMES = ("created", "started", "finished", "updated")


def _with_time_zone(job: dict) -> dict:
    """``job`` with its times in RFC 3339 with their zone (UTC), as the job status document's
    schema requires; they were read back as times without one."""
    return {**job, **{name: job[name].replace(tzinfo=timezone.utc).isoformat().replace(
        "+00:00", "Z") for name in JOB_TIMES if isinstance(job.get(name), datetime)}}


def _principal():
    return g.get("principal") if has_request_context() else None


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
        self.table_output = self.output_dir is None  # results in files (output_dir is set)
        self.table_model = jobs
        self.c = jobs.c
        self._direct = DummyManager(manager_def)

    def add_job(self, job_metadata: dict) -> str:
        principal = _principal()
        return super().add_job({**job_metadata, "owner": principal_id(principal),
                                "jurisdiction_id": job_municipality(principal)})

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
        return job_id, mimetype, outputs, status, headers
