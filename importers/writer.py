"""Writing checked chunks on a thread of its own: PostgreSQL COPYs one chunk straight into the
layer's table (constraints, indexes: most of an import's time) while Python reads and checks
the next.

Used for append and replace into layers without private fields; the connection is the
writer's alone until :meth:`ChunkWriter.close`. A database error stops the writing and is
raised by ``close``; the caller rolls the transaction back.
"""
from __future__ import annotations

import queue
import threading

import psycopg2

from gis import imports as sqlio
from layers.model import Layer


class ChunkWriter:
    def __init__(self, cur, layer: Layer, jurisdiction_id: str, import_id: int):
        self._cur, self._layer = cur, layer
        self._jurisdiction_id, self._import_id = jurisdiction_id, import_id
        self._queue: queue.Queue = queue.Queue(maxsize=1)  # one chunk ahead: bounded memory
        self.added = 0
        self.error: psycopg2.Error | None = None
        self._thread = threading.Thread(target=self._run, name="import-writer", daemon=True)
        self._thread.start()

    def put(self, values, geometries, rows) -> None:
        """Queue one checked chunk (waits while the previous one is still being written).

        Its CSV is built here, on the caller's thread: the writer's only sends, so that
        PostgreSQL is never idle while Python converts (the rows' numbers are for the careful
        path's report only)."""
        if self.error is None:
            self._queue.put(sqlio.layer_copy_data(self._layer, values, geometries,
                                                  self._jurisdiction_id, self._import_id))

    def close(self) -> int:
        """Wait for the last chunk; the rows added, or the database's error raised."""
        self._queue.put(None)
        self._thread.join()
        if self.error is not None:
            raise self.error
        return self.added

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self.error is not None:
                continue  # drain: the producer must never block on a dead writer
            try:
                self.added += sqlio.copy_into_layer(self._cur, self._layer, item)
            except psycopg2.Error as exc:
                self.error = exc
