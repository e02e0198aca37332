"""`dimos changes relay`: publish the outbox of feature changes as CloudEvents on the broker.

The row triggers of migration 0021 write each committed change of a layer's features to
``feature_changes`` (gis/changes.py) and NOTIFY; this relay wakes up, publishes each as a
CloudEvent 1.0 (JSON, structured mode) on ``dimos/<jurisdiction>/changes/<collection>`` with
QoS 1, and marks the rows published in the same transaction once the broker has acknowledged
every message (PUBACK). A broker or database that is down makes it wait and try the same rows
again: delivery is at least once, and a repeat carries the same CloudEvent ``id``.

Only the catalogue's public fields are published (a layer's table has no personal data, and
what else a row may hold is left out too).
"""
from __future__ import annotations

import json
import logging
import select
import threading
import time

import paho.mqtt.client as mqtt
import psycopg2
import psycopg2.extensions

import layers
from gis import catalogue, changes, db
from gis.errors import DatabaseUnavailable, DimosError
from layers.model import Layer
from servers import broker_accounts
from settings import Settings

log = logging.getLogger("dimos.changes")

CLIENT_ID = "dimos-changes-relay"
BATCH = 500
POLL_S = 5.0  # a NOTIFY wakes the relay at once; this is the fallback
PUBACK_WAIT_S = 10.0
RETRY_S = 1.0
PRUNE_EVERY_S = 3600.0
EVENT_TYPE = "gr.dimos.feature.{operation}"


def collection_of(table: str, geometry_type: str | None) -> Layer | None:
    """The published collection a row of ``table`` with ``geometry_type`` belongs to."""
    for layer in layers.collections():
        if layer.table == table and layer.geometry_filter in (None, geometry_type):
            return layer
    return None


def change_topic(jurisdiction: str, collection_id: str) -> str:
    return f"dimos/{jurisdiction}/changes/{collection_id}"


def cloud_event(change: changes.Change, layer: Layer, public_url: str) -> dict:
    """The CloudEvent (1.0, JSON structured mode) of one change: the feature as the OGC API
    serves it (public fields only, CRS84), or, for a delete, its id."""
    event = {
        "specversion": "1.0",
        "id": change.event_id,
        "source": f"{public_url.rstrip('/')}/ogc/collections/{layer.id}",
        "type": EVENT_TYPE.format(operation=change.operation),
        "time": change.changed_at.isoformat(),
        "subject": str(change.feature_id),
        "datacontenttype": "application/json",
        "jurisdiction": change.jurisdiction,
    }
    if change.feature is None:
        event["data"] = {"id": change.feature_id}
        return event
    columns = change.feature["properties"]
    event["datacontenttype"] = "application/geo+json"
    event["data"] = {"type": "Feature", "id": change.feature_id,
                     "geometry": change.feature["geometry"],
                     "properties": {f.name: columns.get(f.name) for f in layer.public_fields}}
    return event


class BrokerUnavailable(DimosError):
    """The broker did not acknowledge the changes (down, or refusing the relay)."""

    status = 503


class ChangeRelay:
    """Publishes the outbox until stopped; one per server (the database lets one publish)."""

    def __init__(self, settings: Settings, client_id: str = CLIENT_ID):
        self.settings = settings
        self.url = settings.effective_app_database_url
        self.public_url = settings.effective_public_url
        self.published = 0
        self.connected = threading.Event()
        self._stop = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
        self.client.username_pw_set(*broker_accounts.credentials(settings, broker_accounts.RELAY))
        self.client.max_inflight_messages_set(BATCH)
        self.client.reconnect_delay_set(min_delay=1, max_delay=5)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            log.warning("broker refused the change relay: %s", reason_code)
            return
        self.connected.set()
        log.info("change relay connected to the broker")

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self.connected.clear()
        if not self._stop.is_set():
            log.warning("broker connection lost (%s); reconnecting", reason_code)

    def stop(self) -> None:
        self._stop.set()

    def run(self, duration_s: float | None = None) -> None:
        """Publish until stopped (or for ``duration_s``)."""
        host, port = self.settings.mqtt_address
        self.client.connect_async(host, port, keepalive=30)
        self.client.loop_start()
        log.info("relaying feature changes from %s to mqtt://%s:%s", db.describe_url(self.url),
                 host, port)
        deadline = None if duration_s is None else time.monotonic() + duration_s
        listener = conn = None
        pruned = 0.0
        try:
            while not self._stop.is_set() and (deadline is None or time.monotonic() < deadline):
                try:
                    if listener is None or listener.closed:
                        listener = self._listener()
                    conn = conn if conn is not None and not conn.closed else db.connect(self.url)
                    if not self.connected.wait(RETRY_S):
                        continue
                    if time.monotonic() - pruned >= PRUNE_EVERY_S:
                        self._prune(conn)
                        pruned = time.monotonic()
                    if self.publish_pending(conn) == BATCH:
                        continue  # more are waiting
                    self._wait_for_notify(listener, deadline)
                except (psycopg2.OperationalError, psycopg2.InterfaceError, DatabaseUnavailable,
                        BrokerUnavailable) as exc:
                    log.warning("changes not relayed, retrying in %.0f s: %s", RETRY_S,
                                str(exc).strip().splitlines()[0] if str(exc).strip() else exc)
                    for c in (conn, listener):
                        if c is not None and isinstance(exc, psycopg2.Error):
                            c.close()
                    self._stop.wait(RETRY_S)
        finally:
            self.client.disconnect()
            self.client.loop_stop()
            for c in (conn, listener):
                if c is not None:
                    c.close()

    def _listener(self):
        listener = db.connect(self.url)
        listener.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
        db.listen(listener, changes.CHANNEL)
        return listener

    def _wait_for_notify(self, listener, deadline: float | None) -> None:
        wait = POLL_S if deadline is None else max(0.0, min(POLL_S, deadline - time.monotonic()))
        select.select([listener], [], [], wait)
        listener.poll()
        listener.notifies.clear()

    def _prune(self, conn) -> None:
        with conn, conn.cursor() as cur:
            db.act_in(cur, "*")
            changes.prune_published(cur)

    def publish_pending(self, conn) -> int:
        """Publish one batch of pending changes and mark them; how many were published."""
        with conn, conn.cursor() as cur:
            db.act_in(cur, "*")  # dimos's own worker: every municipality's changes
            if not changes.take_relay_turn(cur):
                return 0  # another server's relay is publishing
            catalogue.refresh(cur)  # a layer published since: its changes have a topic
            pending = changes.pending_changes(cur, BATCH)
            sent = [self._publish(change) for change in pending]
            for info in sent:
                if info is not None:
                    try:
                        info.wait_for_publish(PUBACK_WAIT_S)
                    except (RuntimeError, ValueError) as exc:
                        raise BrokerUnavailable(f"a change was not published: {exc}") from None
                    if not info.is_published():
                        # rolled back: the rows stay pending and go again
                        raise BrokerUnavailable("the broker did not acknowledge a change")
            changes.mark_published(cur, [change.id for change in pending])
        self.published += len(pending)
        return len(pending)

    def _publish(self, change: changes.Change) -> mqtt.MQTTMessageInfo | None:
        layer = collection_of(change.table, change.geometry_type)
        if layer is None:  # a table the catalogue no longer publishes: nothing to tell
            return None
        event = cloud_event(change, layer, self.public_url)
        info = self.client.publish(change_topic(change.jurisdiction, layer.id),
                                   json.dumps(event, ensure_ascii=False, default=str), qos=1)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise BrokerUnavailable(f"publishing a change failed: {mqtt.error_string(info.rc)}")
        return info
