"""The CSRF token of this request's session, as dimos/sessions.py found or started it."""
from __future__ import annotations

from flask import g


def current_csrf() -> str | None:
    """The CSRF token of this request's session (None without one)."""
    return g.get("csrf_token")
