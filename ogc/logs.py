"""pygeoapi logs every client error at ERROR, most with a traceback; a caller's bad input (or
the database being away, a 503) is not a fault of the server, so dimos keeps the one-line
message at WARNING and drops the traceback. Done with logging filters, not by patching
pygeoapi: the filter learns the status from the exception being handled or, for
``API.get_exception``, from the status it was called with."""
from __future__ import annotations

import inspect
import logging
import sys

from pygeoapi.error import GenericError

from gis.errors import DimosError

#: pygeoapi modules that log client errors (logger filters are not inherited)
NOISY_LOGGERS = ("pygeoapi.api", "pygeoapi.api.itemtypes", "pygeoapi.api.processes",
                 "pygeoapi.process.manager.dummy", "pygeoapi.process.manager.base",
                 "pygeoapi.flask_app")
#: the pygeoapi method that logs every error answer it writes, and its status argument
EXCEPTION_WRITER, STATUS_ARGUMENT = "get_exception", "status"


def _status_of(error: BaseException | None) -> int | None:
    if isinstance(error, GenericError):
        return int(error.http_status_code)
    if isinstance(error, DimosError):
        return error.status
    return None


def _status_being_written() -> int | None:
    """The status ``API.get_exception`` was called with, if it is the one logging now."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == EXCEPTION_WRITER and STATUS_ARGUMENT in frame.f_locals:
            try:
                return int(frame.f_locals[STATUS_ARGUMENT])
            except (TypeError, ValueError):
                return None
        frame = frame.f_back
    return None


class QuietClientErrors(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.ERROR:
            return True
        error = record.exc_info[1] if record.exc_info else sys.exc_info()[1]
        status = _status_of(error)
        if status is None and record.funcName == EXCEPTION_WRITER:
            status = _status_being_written()
        if status is not None and (status < 500 or status == 503):  # no fault of ours
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def quiet_client_errors() -> None:
    """Add the filter to pygeoapi's loggers, once it is known that pygeoapi still writes its
    error answers through ``API.get_exception(status, ...)``."""
    from pygeoapi.api import API

    parameters = inspect.signature(API.get_exception).parameters
    if STATUS_ARGUMENT not in parameters:
        raise RuntimeError("pygeoapi's API.get_exception changed: ogc/logs.py cannot tell "
                           "client errors from faults")
    for name in NOISY_LOGGERS:
        logging.getLogger(name).addFilter(QuietClientErrors())
