"""An asynchronous job's result, kept in its row (jobs.output, migration 0025), not on a node's
disk: whichever node the client asks next answers /jobs/{id}/results."""
from __future__ import annotations

from sqlalchemy import select

from gis.schema import jobs


def job_output(conn, job_id: str) -> bytes | None:
    """The stored result of job ``job_id`` (None: none yet), on SQLAlchemy connection ``conn``
    (whose transaction names whom it acts for: the jobs policies apply)."""
    found = conn.execute(select(jobs.c.output).where(jobs.c.identifier == job_id)).scalar()
    return None if found is None else bytes(found)
