"""One exception hierarchy for dimos, translated to an HTTP answer or a CLI line at the edge."""
from __future__ import annotations


class DimosError(Exception):
    """An error whose ``message`` is safe to show a user; ``detail`` goes to the log only.

    ``status`` is the HTTP status an API answers with, ``code`` the OGC exception code.
    """

    status = 500
    code = "NoApplicableCode"

    def __init__(self, message: str, *, detail: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.detail = detail
        if status is not None:
            self.status = status


class DatabaseUnavailable(DimosError):
    """The database cannot be reached or lacks what dimos needs (PostGIS 3, pgRouting)."""

    status = 503


class StorageFull(DimosError):
    """No room left to store what was sent (the server's disk, or the database's)."""

    status = 507
    code = "InsufficientStorage"


class SetupError(DimosError):
    """The machine lacks something dimos needs to set itself up (packages, permissions, a port)."""


class InvalidParameter(DimosError):
    """A request parameter is malformed or out of range."""

    status = 400
    code = "InvalidParameterValue"


class QueryTooLong(InvalidParameter):
    """A query hit the statement timeout: the client asked too much at once."""


class ImportRefused(DimosError):
    """A file cannot be imported as it is (format, CRS, fields, or rows that fail the checks)."""

    status = 422
    code = "InvalidParameterValue"


class Forbidden(DimosError):
    """The caller is known but may not do this (e.g. a gateway writing another municipality's
    sensors)."""

    status = 403
    code = "Forbidden"


class NotFound(DimosError):
    """No such thing (a feature, a request, a photo, a service) where the caller looked."""

    status = 404
    code = "NotFound"


class Conflict(DimosError):
    """What was sent clashes with what is stored (a natural key already taken, a municipality
    that already holds data, a status change the workflow does not allow)."""

    status = 409
    code = "Conflict"


class PayloadTooLarge(DimosError):
    """A body, upload or photo larger than dimos accepts; nothing of it was stored."""

    status = 413
    code = "PayloadTooLarge"



class PreconditionFailed(DimosError):
    """An If-Match (or If-Unmodified-Since) that no longer holds: the thing changed since the
    client read it; nothing was written. ``state`` is the feature as it stands (its version and
    time of change: gis/feature_versions.py), None if it is gone."""

    status = 412
    code = "PreconditionFailed"

    def __init__(self, message: str, *, state=None):
        super().__init__(message)
        self.state = state


class IdempotencyKeyReused(DimosError):
    """An Idempotency-Key already used for another request (another body, place or sender):
    nothing was done."""

    status = 422
    code = "InvalidParameterValue"
