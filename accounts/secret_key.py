"""The installation's secret (it signs session cookies): DIMOS_SECRET_KEY, or one made once in
the database, so that every worker of every node signs and checks cookies with the same key."""
from __future__ import annotations

from gis.shared_secrets import shared_secret
from settings import Settings

#: its row in shared_secrets
SESSION_KEY_NAME = "session_key"


def secret_key(settings: Settings, name: str = SESSION_KEY_NAME) -> bytes:
    """DIMOS_SECRET_KEY, or the database's key (made by whichever worker asks first).

    Not on a node's disk: a second node, or this one with its state folder lost, would make
    another key and refuse every cookie the first signed.
    """
    if settings.secret_key:
        return settings.secret_key.encode()
    return shared_secret(settings.effective_app_database_url, name).encode()
