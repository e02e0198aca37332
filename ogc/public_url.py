"""Links on the public base URL (DIMOS_PUBLIC_URL, or the server's own), never on the Host a
client named: a link a client follows must lead back here, not to where a forged Host points."""
from __future__ import annotations

from flask import current_app, request


def here() -> str:
    """This resource's URL on the public base."""
    return current_app.extensions["dimos.settings"].effective_public_url + request.path
