"""What each process of the secret-key race runs: a module of its own, so that a spawned
process imports the key's code and nothing of the test suite (a second instead of several)."""
from __future__ import annotations

from accounts.secret_key import secret_key
from settings import Settings


def make_key(database_url: str, state_dir: str, name: str, start, queue) -> None:
    settings = Settings(database_url=database_url, state_dir=state_dir, secret_key=None)
    start.wait()  # every process asks at the same moment, as gunicorn's workers do
    queue.put(secret_key(settings, name))
