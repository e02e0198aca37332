"""Live state pushed to the map: Server-Sent Events at /api/live.

The ingest worker notifies ``dimos_live`` in the transaction that stores a change; each web
worker holds one LISTEN connection and fans the notifications out to its open streams. A new
stream first gets a snapshot of every bay, car park and AP (the last values), then changes.
Streams end after a few minutes and the browser's EventSource reconnects (getting a fresh
snapshot), so no thread is held forever by a tab left open.
"""
from __future__ import annotations

import json
import logging
import queue
import select
import threading
import time

import psycopg2
import psycopg2.extensions
from flask import Blueprint, Response, stream_with_context

from gis import db
from gis.sensors import LIVE_CHANNEL, live_snapshot
from settings import Settings
from web_common.jurisdiction import request_jurisdiction

log = logging.getLogger("dimos.live")

KEEPALIVE_S = 15.0
STREAM_S = 300.0
QUEUE_SIZE = 2000

_FEEDS: list["LiveFeed"] = []


def close_streams() -> None:
    """End every open stream of this process now (the worker is shutting down: a graceful
    stop must not wait for streams that would run for minutes)."""
    for feed in _FEEDS:
        feed._publish("end", None)


class LiveFeed:
    """This process's LISTEN connection and the streams it feeds."""

    def __init__(self, url: str):
        self.url = url
        self._subscribers: set[queue.Queue] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        _FEEDS.append(self)

    def subscribe(self) -> queue.Queue:
        subscriber = queue.Queue(QUEUE_SIZE)
        with self._lock:
            self._subscribers.add(subscriber)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._listen, name="dimos-live",
                                                daemon=True)
                self._thread.start()
        return subscriber

    def unsubscribe(self, subscriber: queue.Queue) -> None:
        with self._lock:
            self._subscribers.discard(subscriber)

    def _publish(self, event: str, data) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            try:
                subscriber.put_nowait((event, data))
            except queue.Full:
                # a stream that stopped reading: end it (its browser reconnects and resyncs)
                self.unsubscribe(subscriber)

    def _listen(self) -> None:
        first = True
        while True:
            try:
                conn = psycopg2.connect(self.url, connect_timeout=5, application_name="dimos-live")
            except psycopg2.OperationalError:
                time.sleep(1)
                continue
            try:
                conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
                db.listen(conn, LIVE_CHANNEL)
                if not first:
                    # changes may have been missed while disconnected: clients refetch
                    self._publish("resync", {})
                first = False
                while True:
                    if select.select([conn], [], [], KEEPALIVE_S) == ([], [], []):
                        db.ping(conn)  # notice a dead server
                    conn.poll()
                    while conn.notifies:
                        self._publish("change", json.loads(conn.notifies.pop(0).payload))
            except (psycopg2.Error, OSError) as exc:
                log.warning("live feed lost its database connection (%s); reconnecting", exc)
                time.sleep(1)
            finally:
                conn.close()


def _event(event: str, data) -> str:
    return f"event: {event}\ndata: {json.dumps(data, default=str, separators=(',', ':'))}\n\n"


def make_live_blueprint(settings: Settings) -> Blueprint:
    blueprint = Blueprint("live", __name__)
    url = settings.effective_app_database_url
    feed = LiveFeed(url)

    @blueprint.get("/api/live")
    def live():
        with db.pooled_cursor(url) as cur:
            jurisdiction = request_jurisdiction(cur)
        # subscribed before the snapshot is read: nothing falls between the two
        subscriber = feed.subscribe()
        try:
            with db.pooled_cursor(url) as cur:
                snapshot = live_snapshot(cur, jurisdiction)
        except BaseException:
            feed.unsubscribe(subscriber)
            raise

        def stream():
            try:
                yield "retry: 2000\n" + _event("snapshot", snapshot)
                ends = time.monotonic() + STREAM_S
                while time.monotonic() < ends:
                    try:
                        event, data = subscriber.get(timeout=KEEPALIVE_S)
                    except queue.Empty:
                        yield ": keep-alive\n\n"
                        continue
                    if event == "end":
                        return
                    if event == "change":
                        data = [c for c in data if c.get("jurisdiction") == jurisdiction]
                        if not data:
                            continue
                    yield _event(event, data)
            finally:
                feed.unsubscribe(subscriber)

        return Response(stream_with_context(stream()), mimetype="text/event-stream",
                        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    return blueprint
