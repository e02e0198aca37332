"""/metrics in Prometheus' text format: request latencies, database pool, Open311 submissions.

gunicorn runs several worker processes; prometheus_client's multiprocess mode sums them
(``PROMETHEUS_MULTIPROC_DIR``, set by ``dimos serve``; ``dimos.gunicorn_hooks`` cleans up
after a worker exits). Labels carry route templates, never values from a request.
"""
from __future__ import annotations

import os
import time

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from gis.db import connections_in_use
from gis.replicas import replica_lag

REQUESTS = Histogram("dimos_http_request_duration_seconds", "HTTP request latency",
                     ["method", "route", "status"],
                     buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
POOL_IN_USE = Gauge("dimos_db_pool_connections_in_use", "Database connections in use",
                    multiprocess_mode="livesum")
DATABASE_ERRORS = Counter("dimos_database_unavailable_total",
                          "Requests answered 503 because the database was unavailable")
REPLICA_LAG_BYTES = Gauge("dimos_replica_lag_bytes", "WAL a read replica has received but "
                          "not replayed (-1: not answering)", ["replica"], multiprocess_mode="max")
REPLICA_LAG_SECONDS = Gauge("dimos_replica_lag_seconds", "How far a read replica's replay is "
                            "behind (-1: not answering)", ["replica"], multiprocess_mode="max")
SUBMITTED = Counter("dimos_open311_requests_submitted_total", "Citizen requests stored")


def _registry() -> CollectorRegistry:
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    from prometheus_client import REGISTRY

    return REGISTRY


def register_metrics(app: Flask, replica_urls: tuple[str, ...] = ()) -> None:
    blueprint = Blueprint("metrics", __name__)

    @blueprint.get("/metrics")
    def metrics():
        _measure_replicas(replica_urls)
        return Response(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)

    app.register_blueprint(blueprint)

    @app.before_request
    def start_timer():
        g.started = time.perf_counter()

    @app.after_request
    def observe(response):
        rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
        REQUESTS.labels(request.method, rule, str(response.status_code)).observe(
            time.perf_counter() - g.get("started", time.perf_counter()))
        if response.status_code == 503:
            DATABASE_ERRORS.inc()
        POOL_IN_USE.set(connections_in_use())
        return response


def _measure_replicas(replica_urls: tuple[str, ...]) -> None:
    """Each replica's lag, asked now; labelled by its position (a URL may hold a password)."""
    for index, url in enumerate(replica_urls):
        lag = replica_lag(url)
        REPLICA_LAG_BYTES.labels(str(index)).set(-1 if lag is None else lag[0])
        REPLICA_LAG_SECONDS.labels(str(index)).set(-1 if lag is None else lag[1])
