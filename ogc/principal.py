"""Whom the OGC API's code acts for: the request's principal, or, in pygeoapi's background
thread running an asynchronous job (no request there), the job's starter."""
from __future__ import annotations

import threading
from contextlib import contextmanager

from flask import g, has_request_context

_RUN = threading.local()


def current_principal():
    if has_request_context():
        return g.get("principal")
    return getattr(_RUN, "principal", None)


@contextmanager
def acting_for(principal):
    """Within it, a thread with no request acts for ``principal`` (a job's starter)."""
    _RUN.principal = principal
    try:
        yield
    finally:
        _RUN.principal = None
