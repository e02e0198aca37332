"""pygeoapi logs every client error with its traceback at ERROR; a caller's bad input (or the
database being away, a 503) is not a fault of the server, so dimos keeps the one-line message
and drops the traceback."""
from __future__ import annotations

import logging

from pygeoapi.error import GenericError

#: pygeoapi modules that log client errors with exc_info (logger filters are not inherited)
NOISY_LOGGERS = ("pygeoapi.api", "pygeoapi.process.manager.dummy", "pygeoapi.process.manager.base")


class QuietClientErrors(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        status = int(error.http_status_code) if isinstance(error, GenericError) else 500
        if status < 500 or status == 503:  # bad input, or the database away: no fault here
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def quiet_client_errors() -> None:
    for name in NOISY_LOGGERS:
        logging.getLogger(name).addFilter(QuietClientErrors())
