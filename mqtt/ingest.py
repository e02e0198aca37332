"""`dimos sensors ingest`: the MQTT subscriber that stores readings and keeps current state.

QoS 1 with a persistent session and manual acknowledgement: a reading is acknowledged to the
broker only after the transaction that stores it has committed, so neither a worker crash nor
a broker restart loses a reading the broker accepted (a redelivery is stored once). A bad
message is counted, logged and acknowledged: whatever its bytes, reading it is one bounded
step (``sensors.parse_mqtt``), and a message that still makes reading fail is refused, never
a crash (the broker would hand the same message to the restarted worker, forever). A database
outage makes the worker wait and retry the same batch.

Several workers share the load (`dimos sensors ingest --name N`, a name each): named workers
subscribe as one shared-subscription group, and the broker hands each reading to one of them.
Mosquitto counts a stopped worker's persistent session in the group: its share waits there, and
is stored when a worker of its name is back (as are the readings it had received and not yet
acknowledged when it died). A worker taken away for good is retired (``--retire``): what its
session holds is stored, then the session ends and the others get its share. Readings of one
sensor may reach different workers in any order: the state keeps the newest
(``gis.sensors``), whoever stores it. An unnamed worker (the one beside `dimos serve`)
subscribes alone and receives every reading.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
import psycopg2

from gis import db, sensors
from gis.errors import DatabaseUnavailable, SetupError
from servers import broker_accounts
from settings import Settings

log = logging.getLogger("dimos.sensors")

TOPICS = "dimos/+/+/+"
CLIENT_ID = "dimos-ingest"
#: named workers subscribe in this group (MQTT 5's shared subscriptions, which Mosquitto
#: offers to 3.1.1 clients too), so N workers split the readings instead of each storing all
SHARED_TOPICS = f"$share/{CLIENT_ID}/{TOPICS}"
RETIRE_QUIET_S = 2.0  # a retiring worker's session is drained once nothing came for this long
FLUSH_S = 0.1  # how often pending readings are written (latency floor)
SWEEP_S = 30.0  # how often silent sensors are looked for
AGGREGATE_S = 900.0  # how often the last hours' aggregates are recounted
RETRY_S = 1.0
LOG_EVERY_S = 10.0  # at most one log line per rejection reason per this long


def is_change_topic(topic: str) -> bool:
    """``dimos/<jurisdiction>/changes/<layer>``: the feature changes mqtt/changes.py publishes,
    which ``TOPICS`` matches too (the project's broker does not deliver them to the ingest)."""
    parts = topic.split("/")
    return len(parts) == 4 and parts[0] == "dimos" and parts[2] == "changes"


def reading_topic(message: mqtt.MQTTMessage) -> str:
    """The message's topic as text (MQTT topics are UTF-8: the broker checks; never trust it)."""
    return message._topic.decode("utf-8", "replace") if isinstance(
        message._topic, bytes) else str(message._topic)


class RejectionLog:
    """Logs each rejection reason at most once per ``LOG_EVERY_S`` (a broken device floods)."""

    def __init__(self):
        self._last: dict[str, float] = {}
        self._skipped: dict[str, int] = defaultdict(int)

    def log(self, rejection: sensors.Rejection) -> None:
        now = time.monotonic()
        if now - self._last.get(rejection.outcome, -LOG_EVERY_S) < LOG_EVERY_S:
            self._skipped[rejection.outcome] += 1
            return
        skipped = self._skipped.pop(rejection.outcome, 0)
        self._last[rejection.outcome] = now
        log.warning("reading refused (%s) at %s: %s%s", rejection.outcome, rejection.where,
                    rejection.reason, f" (and {skipped} more since the last line)" if skipped else "")


def client_id_for(name: str | None) -> str:
    """The broker client id of the worker called ``name`` (its persistent session's key)."""
    return f"{CLIENT_ID}-{name}" if name else CLIENT_ID


class IngestWorker:
    """Stores the readings the broker hands it; ``shared``: as one of the group's workers."""

    def __init__(self, settings: Settings, client_id: str = CLIENT_ID, shared: bool = False):
        self.settings = settings
        self.url = settings.effective_app_database_url
        self.client_id = client_id
        self.topics, self._other_topics = (SHARED_TOPICS, TOPICS) if shared else (TOPICS,
                                                                                SHARED_TOPICS)
        self._retiring = False
        self._last_message = time.monotonic()
        self._pending: list[tuple[int, mqtt.MQTTMessage]] = []
        self._lock = threading.Lock()
        self._generation = 0  # bumped on each (re)connection: acks go to the live session only
        self._stop = threading.Event()
        self.registry = sensors.Registry()
        self.known_months: set[datetime] = set()
        self.sweep_s = SWEEP_S
        self.rejections = RejectionLog()
        self.stored = 0  # readings this worker has stored (its share of the group's)
        self.connected = threading.Event()
        self.client = self._client()

    def _client(self) -> mqtt.Client:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=self.client_id,
                             clean_session=False, manual_ack=True)
        client.username_pw_set(*broker_accounts.credentials(self.settings,
                                                             broker_accounts.INGEST))
        client.max_inflight_messages_set(5000)
        client.reconnect_delay_set(min_delay=1, max_delay=5)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        client.on_unsubscribe = self._on_unsubscribe
        return client

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            log.warning("broker refused the connection: %s", reason_code)
            return
        with self._lock:
            self._generation += 1
            # unacknowledged messages of the old session come again: drop our copies
            self._pending.clear()
            self._last_message = time.monotonic()
        if self._retiring:  # nothing new: only what the session holds comes
            client.unsubscribe([self.topics, self._other_topics])
        else:
            client.subscribe(self.topics, qos=1)
            # the same session under the other mode (named, unnamed) would keep both
            client.unsubscribe(self._other_topics)
        log.info("connected to the broker (session %s)",
                 "resumed" if flags.session_present else "new")

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        # readings published from now on reach us, also while we are away (persistent session)
        self.connected.set()
        log.info("subscribed to %s as %s", self.topics, self.client_id)

    def _on_unsubscribe(self, client, userdata, mid, reason_codes, properties):
        if self._retiring:
            self.connected.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self.connected.clear()
        if not self._stop.is_set():
            log.warning("broker connection lost (%s); reconnecting", reason_code)

    def _on_message(self, client, userdata, message):
        with self._lock:
            self._pending.append((self._generation, message))
            self._last_message = time.monotonic()

    def run(self, duration_s: float | None = None) -> None:
        """Serve until stopped (or for ``duration_s``)."""
        host, port = self.settings.mqtt_address
        while not self._stop.is_set():  # the database may still be starting
            try:
                self._load_registry()
                break
            except DatabaseUnavailable as exc:
                log.warning("%s; retrying in %.0f s", exc.message, RETRY_S)
                self._stop.wait(RETRY_S)
        self.client.connect_async(host, port, keepalive=30)
        self.client.loop_start()
        log.info("ingesting readings from mqtt://%s:%s into %s", host, port,
                 db.describe_url(self.url))
        deadline = None if duration_s is None else time.monotonic() + duration_s
        # the sweep has a thread and a connection of its own: an hour's aggregation at full load
        # takes seconds, and readings must not wait behind it
        sweeper = threading.Thread(target=self._sweep_loop, name="dimos-sweep", daemon=True)
        sweeper.start()
        conn = None
        try:
            while not self._stop.is_set() and (deadline is None or time.monotonic() < deadline):
                started = time.monotonic()
                try:
                    conn = conn if conn is not None and not conn.closed else db.connect(self.url)
                    self._flush(conn)
                except (psycopg2.OperationalError, psycopg2.InterfaceError,
                        DatabaseUnavailable) as exc:
                    log.warning("database unavailable, retrying in %.0f s: %s", RETRY_S,
                                str(exc).strip().splitlines()[0] if str(exc).strip() else exc)
                    if conn is not None:
                        conn.close()
                    conn = None
                    self._stop.wait(RETRY_S)
                    continue
                self._stop.wait(max(0.0, FLUSH_S - (time.monotonic() - started)))
        finally:
            # disconnect first: the acknowledgements queued before it go out with it
            self.client.disconnect()
            self.client.loop_stop()
            if conn is not None:
                conn.close()

    def stop(self) -> None:
        self._stop.set()

    def retire(self, quiet_s: float = RETIRE_QUIET_S, timeout_s: float = 30.0) -> int:
        """Take this worker out of the group for good: store what its session holds (its share
        queued while it was away), then end the session. The readings stored."""
        self._retiring = True
        runner = threading.Thread(target=self.run, name="dimos-retire", daemon=True)
        runner.start()
        if not self.connected.wait(timeout_s):
            self.stop()
            runner.join()
            raise SetupError(f"the broker at {self.settings.mqtt_address[0]}:"
                             f"{self.settings.mqtt_address[1]} did not answer in {timeout_s:g} s")
        while True:
            with self._lock:
                drained = not self._pending and time.monotonic() - self._last_message > quiet_s
            if drained:
                break
            time.sleep(0.1)
        self.stop()  # after the batch being stored: its acknowledgements go out on disconnect
        runner.join()
        self._end_session()
        log.info("retired %s: %d readings of its session stored", self.client_id, self.stored)
        return self.stored

    def _end_session(self) -> None:
        """A clean connection under the worker's id: the broker drops its persistent session,
        and with it the worker's place in the group."""
        ended = threading.Event()
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=self.client_id,
                             clean_session=True)
        client.username_pw_set(*broker_accounts.credentials(self.settings,
                                                             broker_accounts.INGEST))
        client.on_connect = lambda c, userdata, flags, reason_code, properties: ended.set()
        client.connect(*self.settings.mqtt_address, keepalive=30)
        client.loop_start()
        try:
            ended.wait(10)
        finally:
            client.disconnect()
            client.loop_stop()

    def _load_registry(self) -> None:
        conn = db.connect(self.url)
        try:
            with conn, conn.cursor() as cur:
                self.registry.load(cur)
        finally:
            conn.close()

    def _flush(self, conn) -> None:
        with self._lock:
            batch, self._pending = self._pending[:sensors.MAX_BATCH], self._pending[sensors.MAX_BATCH:]
            generation = self._generation
        if not batch:
            return
        window = sensors.TimeWindow.around(datetime.now(UTC), self.settings.sensor_retention_months,
                                           self.settings.sensor_max_future_s)
        readings, refused = [], []
        for _, message in batch:
            if is_change_topic(reading_topic(message)):
                continue  # a broker of the operator's let a feature change through: not a reading
            reading = self._read(message, window)
            if isinstance(reading, sensors.Rejection):
                refused.append(reading)
            else:
                readings.append((reading_topic(message), reading))
        try:
            try:
                self._store(conn, readings, refused)
            except (psycopg2.DataError, psycopg2.IntegrityError, psycopg2.ProgrammingError):
                # a value the checks let through and the database refused: store the rest
                # one by one and count the culprits, rather than stall on them forever
                log.exception("a batch of %d readings failed; storing them one by one",
                              len(readings))
                self._store_one_by_one(conn, readings, refused)
        except BaseException:
            # not stored: keep the batch for the next try (the broker still holds it too)
            with self._lock:
                if generation == self._generation:
                    self._pending[:0] = batch
            raise
        for message_generation, message in batch:
            if message_generation == generation and message.qos > 0:
                self.client.ack(message.mid, message.qos)

    def _read(self, message: mqtt.MQTTMessage,
              window: sensors.TimeWindow) -> sensors.Reading | sensors.Rejection:
        """The message's reading, or why it is refused. Reading touches nothing but the
        message, so whatever goes wrong here is the message's fault: refused, not raised."""
        topic = reading_topic(message)
        try:
            return sensors.parse_mqtt(topic, message.payload, window)
        except sensors.RejectedReading as exc:
            return sensors.Rejection(exc.outcome, topic, str(exc))
        except Exception:  # a case the parser does not foresee: log it once, keep going
            log.exception("a message on %s could not be read", topic[:200])
            return sensors.Rejection("malformed", topic, "payload: could not be read")

    def _store(self, conn, readings, refused) -> sensors.BatchResult:
        with conn, conn.cursor() as cur:
            # the municipalities the batch's topics name (the broker confines each gateway to
            # its own): PostgreSQL lets the batch touch their bays, car parks and APs only
            db.act_in(cur, {reading.jurisdiction for _, reading in readings})
            result = sensors.store_readings(cur, self.registry, readings,
                                            self.settings.sensor_battery_low_pct,
                                            self.known_months, refused)
            sensors.notify_changes(cur, result.changes)
        for rejection in result.rejections:
            self.rejections.log(rejection)
        self.stored += result.counts["stored"] + result.counts["stale"]
        return result

    def _store_one_by_one(self, conn, readings, refused) -> None:
        failed = []
        for where, reading in readings:
            try:
                self._store(conn, [(where, reading)], [])
            except (psycopg2.DataError, psycopg2.IntegrityError, psycopg2.ProgrammingError) as exc:
                failed.append(sensors.Rejection("malformed", where, str(exc).splitlines()[0]))
        if failed and len(failed) == len(readings):
            # nothing at all goes in: our fault, not the devices'. Keep (and retry) the batch
            raise DatabaseUnavailable(f"every reading of the batch failed: {failed[0].reason}")
        self._store(conn, [], refused + failed)

    def _sweep_loop(self) -> None:
        conn, aggregated = None, 0.0
        while not self._stop.wait(self.sweep_s):
            try:
                conn = conn if conn is not None and not conn.closed else db.connect(self.url)
                aggregate = time.monotonic() - aggregated >= AGGREGATE_S
                self._sweep(conn, aggregate)
                if aggregate:
                    aggregated = time.monotonic()
            except (psycopg2.Error, DatabaseUnavailable) as exc:
                log.warning("sweep failed, trying again later: %s", str(exc).strip()[:200])
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()

    def _sweep(self, conn, aggregate: bool) -> None:
        now = datetime.now(UTC)
        with conn, conn.cursor() as cur:
            db.act_in(cur, "*")  # dimos's own sweep: every municipality's silent sensors
            changes = sensors.mark_silent(cur, self.settings.sensor_silent_after_s)
            sensors.notify_changes(cur, changes)
        if aggregate:
            with conn, conn.cursor() as cur:
                db.act_in(cur, "*")
                # the last three whole hours: late readings fold in
                sensors.aggregate_hours(cur, now - timedelta(hours=3), now)
        if changes:
            log.info("%d bays/car parks/APs silent for over %d s: now unknown", len(changes),
                     self.settings.sensor_silent_after_s)
