"""This process's view of the catalogue: the declared layers and those published as data.

Every worker keeps the published layers it last read (layers.set_published) and the catalogue
version they came with; :func:`refresh` reads the version (one primary-key row) and, when it
moved, the entries. A publish, retitle, restyle or retirement thus reaches every worker at its
next request after at most ``REFRESH_EVERY_S``.
"""
from __future__ import annotations

import threading
import time

import layers
from gis import published_layers

#: how often a worker asks the database whether the catalogue changed
REFRESH_EVERY_S = 1.0

_lock = threading.Lock()
_seen_version: tuple | None = None
_checked_at = 0.0


def refresh(cur, force: bool = False) -> bool:
    """Read the published layers if the catalogue changed since this process last did (and
    it asked more than REFRESH_EVERY_S ago, unless ``force``); whether they changed."""
    global _seen_version, _checked_at
    now = time.monotonic()
    if not force and now - _checked_at < REFRESH_EVERY_S:
        return False
    with _lock:
        _checked_at = now
        version = published_layers.catalogue_version(cur)
        if version == _seen_version:
            return False
        # a layer declared in code since it was published keeps its declared definition
        layers.set_published(tuple(entry.layer for entry in published_layers.entries(cur)
                                   if not entry.retired and not layers.declared(entry.layer.id)))
        _seen_version = version
        return True


def refresh_due() -> bool:
    """Whether :func:`refresh` would ask the database now."""
    return time.monotonic() - _checked_at >= REFRESH_EVERY_S


def expire() -> None:
    """Have the next :func:`refresh` ask the database (this process changed the catalogue)."""
    global _checked_at
    _checked_at = 0.0
