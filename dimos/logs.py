"""Structured logs: one JSON object per line, for the server's own messages and per request.

A request's line holds what operations need and no personal data: method, path without its
query string (which can carry an api_key, an e-mail or a plate) and with its private segments
replaced by their name (an Open311 request's token is its reporter's key to it), status, size and
time, and the worker's process id; not the client's address nor its user agent.
"""
from __future__ import annotations

import json
import logging
import os
import re
from datetime import datetime, timezone

from flask import has_request_context, request
from gunicorn.glogging import Logger

from gis.errors import DimosError

#: path segments that are secrets: (pattern, what the log shows instead)
PRIVATE_SEGMENTS = ((re.compile(r"(/open311/v2/tokens/)[^/]+?(\.[a-z]+)?$"), r"\1{token}\2"),)


def loggable_path(path: str | None) -> str | None:
    """The request path as the access log may keep it: private segments named, not shown."""
    for pattern, replacement in PRIVATE_SEGMENTS:
        path = pattern.sub(replacement, path) if path else path
    return path


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(
                     timespec="milliseconds"),
                 "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def use_json_logs() -> None:
    """Every handler of the root logger (pygeoapi's, dimos's) writes JSON lines."""
    for handler in logging.getLogger().handlers:
        handler.setFormatter(JsonFormatter())


class JsonLogger(Logger):
    """gunicorn's logger (``logger_class``) writing its error log and access log as JSON."""

    def setup(self, cfg):
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())
        for handler in self.access_log.handlers:
            handler.setFormatter(logging.Formatter("%(message)s"))

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        entry = {"time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                 "level": "INFO", "logger": "access", "method": environ.get("REQUEST_METHOD"),
                 "path": loggable_path(environ.get("PATH_INFO")), "status": resp.status_code,
                 "bytes": getattr(resp, "sent", None),
                 "ms": round(request_time.total_seconds() * 1000, 1),
                 "pid": os.getpid()}  # which worker answered
        self.access_log.info(json.dumps(entry, ensure_ascii=False))


def log_refusal(logger: logging.Logger, error: DimosError) -> None:
    """One line per refused request: WARNING for a client's mistake (4xx), ERROR for ours."""
    level = logging.WARNING if error.status < 500 or error.status == 503 else logging.ERROR
    detail = f" ({error.detail})" if error.detail else ""
    logger.log(level, "%s %s: %s%s", request.method if has_request_context() else "-",
               request.path if has_request_context() else "-", error.message, detail)
