"""gunicorn configuration hooks (``-c python:dimos.gunicorn_hooks``)."""
from __future__ import annotations

import signal
import subprocess
import sys

# JSON lines, without personal data (dimos/logs.py)
logger_class = "dimos.logs.JsonLogger"
# gunicorn 27's control socket is one path per user (~/.gunicorn/gunicorn.ctl): a second server
# on the machine (another node, a test's) would take it over; dimos is run by its own commands
control_socket_disable = True

# companions of the web workers: the sensors' ingest worker (and the simulator for the demo),
# the relay publishing feature changes
_companions: list[subprocess.Popen] = []


def on_starting(server):
    from settings import Settings

    settings = Settings()
    commands = []
    if settings.sensors_ingest:
        commands.append(["sensors", "ingest"])
    if settings.sensors_simulate:
        commands.append(["sensors", "simulate"])
    if settings.changes_relay:
        commands.append(["changes", "relay"])
    for command in commands:
        server.log.info("starting dimos %s", " ".join(command))
        _companions.append(subprocess.Popen([sys.executable, "-m", "dimos.cli", *command]))


def on_exit(server):
    for process in _companions:
        process.terminate()
    for process in _companions:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def post_worker_init(worker):
    from dimos.logs import use_json_logs

    use_json_logs()  # the app is loaded: pygeoapi has set its handlers up by now
    # on a graceful stop, end the live map streams first: they would hold the worker for minutes
    from dimos.live import close_streams

    stop = worker.handle_exit

    def handle_exit(signum, frame):
        close_streams()
        stop(signum, frame)

    signal.signal(signal.SIGTERM, handle_exit)
    # what tests and operators wait for: this worker has loaded the app and takes requests
    worker.log.info("worker %s ready", worker.pid)


def child_exit(server, worker):
    # a dead worker's live gauges must stop counting in /metrics
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
