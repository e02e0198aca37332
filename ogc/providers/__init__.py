"""dimos providers for pygeoapi: thin adapters over gis/ (no SQL here)."""
from __future__ import annotations

from http import HTTPStatus

from pygeoapi.provider.base import ProviderConnectionError


class DatabaseDown(ProviderConnectionError):
    """The database is unreachable: 503 (with Retry-After, added by the app), not a 500."""

    ogc_exception_code = "ServiceUnavailable"
    http_status_code = HTTPStatus.SERVICE_UNAVAILABLE
