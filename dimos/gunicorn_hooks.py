"""gunicorn configuration hooks (``-c python:dimos.gunicorn_hooks``)."""
from __future__ import annotations


def child_exit(server, worker):
    # a dead worker's live gauges must stop counting in /metrics
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
