"""The installation's secret (it signs session cookies): DIMOS_SECRET_KEY, or one made once in
the state folder that every worker of every start-up reads."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from settings import Settings


def secret_key(settings: Settings) -> bytes:
    """DIMOS_SECRET_KEY, or the state folder's key, made whole before anyone can read it.

    Workers start together: each writes a key of its own to a temporary file and hard-links it
    into place; the first link wins (a link either exists with every byte or not at all), the
    others read the winner's. No worker can read an empty or half-written file.
    """
    if settings.secret_key:
        return settings.secret_key.encode()
    path = Path(settings.state_dir) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        draft = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as out:
                out.write(secrets.token_hex(32).encode())
                out.flush()
                os.fsync(out.fileno())
            try:
                os.link(draft, path)
            except FileExistsError:
                pass  # another worker's key won
        finally:
            draft.unlink(missing_ok=True)
    key = path.read_bytes().strip()
    if not key:  # left by a crash of a version before this one
        raise RuntimeError(f"{path} is empty: delete it (a new key is made at the next start; "
                           "everyone signs in again)")
    return key
