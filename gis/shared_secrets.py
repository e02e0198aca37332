"""Secrets every node of an installation shares, made once in the database (migration 0025)."""
from __future__ import annotations

import secrets

from gis.db import pooled_cursor

MAKE_ONCE_SQL = ("INSERT INTO shared_secrets (name, value) VALUES (%s, %s) "
                 "ON CONFLICT (name) DO NOTHING")
READ_SQL = "SELECT value FROM shared_secrets WHERE name = %s"


def shared_secret(url: str, name: str) -> str:
    """The secret ``name``: the first caller's, whoever asks and however many ask at once.

    Each caller offers a fresh one; the primary key lets one insert win and the others wait
    for it and do nothing. READ COMMITTED: the read that follows sees the winner's row.
    """
    with pooled_cursor(url, commit=True) as cur:
        cur.execute(MAKE_ONCE_SQL, (name, secrets.token_hex(32)))
        cur.execute(READ_SQL, (name,))
        (value,), = cur.fetchall()
    return value
