"""Process jobs: asynchronous runs kept in PostgreSQL, synchronous runs kept nowhere.

pygeoapi's PostgreSQL manager records a job row and a result file for every execution; a
`nearest` query a second has no use for either. Asynchronous runs (`Prefer: respond-async`,
for large crew plans) go through it, so every worker sees their status and results;
everything else runs as pygeoapi's Dummy manager runs it.
"""
from __future__ import annotations

from pygeoapi.process.manager.dummy import DummyManager
from pygeoapi.process.manager.postgresql import PostgreSQLManager
from pygeoapi.util import JobStatus, RequestedProcessExecutionMode


class DimosJobManager(PostgreSQLManager):
    def __init__(self, manager_def: dict):
        super().__init__(manager_def)
        self._direct = DummyManager(manager_def)

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
