"""pygeoapi logs every client error with its traceback at ERROR; a caller's bad input is not a
fault of the server, so dimos keeps the one-line message and drops the traceback."""
from __future__ import annotations

import logging

from pygeoapi.error import GenericError

#: pygeoapi modules that log client errors with exc_info (logger filters are not inherited)
NOISY_LOGGERS = ("pygeoapi.api", "pygeoapi.process.manager.dummy", "pygeoapi.process.manager.base")


class QuietClientErrors(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, GenericError) and int(error.http_status_code) < 500:
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def quiet_client_errors() -> None:
    for name in NOISY_LOGGERS:
        logging.getLogger(name).addFilter(QuietClientErrors())
