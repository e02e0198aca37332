"""Sensor readings: checked, stored once, and turned into the current state of bays, car parks,
access points and traffic cameras in the same transaction (so a query never scans history for
"the latest").

A reading is (jurisdiction, sensor id, time, fields). Bays send ``occupied`` (bool), car parks
``free`` (spaces), access points ``up`` (bool) and ``clients``, traffic cameras the vehicles of
an interval per approach and lane (``interval_s`` and ``N1``, ``E2``…, ``ts`` its start); any
may send ``battery`` (%). A camera's flow now is set against the usual flow of the hour and
weekday (its hourly aggregates of the last weeks) on the camera's feature.
A reading older than the sensor's newest goes into history without touching the current
state; the same (sensor, time) twice is stored once. A reading from outside the window of
months kept (``TimeWindow``) is refused before it can make a partition of its own.
"""
from __future__ import annotations

import json
import math
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from psycopg2 import sql

from gis import bounded_json
from gis.errors import Forbidden
from gis.local_time import TIME_ZONE
from gis.schema import READINGS_PARTITION_PREFIX

#: the fields each kind of sensor sends, and the public state they turn into
KIND_LAYERS = {"bay": "parking_bays", "lot": "parking_lots", "ap": "wifi_access_points",
               "camera": "traffic_cameras"}
MAX_BATCH = 5000
#: one reading over MQTT is a flat JSON object of a few fields: ~100 bytes
MAX_PAYLOAD_BYTES = 4096
#: a camera counts per approach (the junction's arm: N, E, S, W) and lane: N1, N2, E1…
LANE_PATTERN = re.compile(r"^[NESW][1-9]$")
MIN_INTERVAL_S, MAX_INTERVAL_S = 60, 3600
#: a lane carries at most about one vehicle a second (~2,000 an hour in practice)
MAX_LANE_VEHICLES_PER_S = 1.0
#: the usual flow of an hour is the mean of the same local hour and weekday over these weeks
USUAL_WEEKS = 8
#: the flow now against the usual: below this share lighter than usual, above it heavier
LIGHT_BELOW, HEAVY_ABOVE = 0.7, 1.3

#: ``too_old``: before the months kept; ``wrong_jurisdiction``: the topic names another
#: municipality than the one the sensor is registered in
OUTCOMES = ("stored", "duplicate", "stale", "unknown_sensor", "malformed", "future", "too_old",
            "wrong_jurisdiction")

# The registry follows the layers: sensors of removed features go, new ones come, a sensor
# moved to another bay keeps its row (and its history)
UNREGISTER_SQL = """
DELETE FROM sensors s WHERE s.jurisdiction_id = %(j)s AND NOT EXISTS (
  SELECT 1 FROM parking_bays b WHERE s.kind = 'bay' AND b.jurisdiction_id = %(j)s
    AND b.sensor_id = s.sensor_id
  UNION ALL
  SELECT 1 FROM parking_lots l WHERE s.kind = 'lot' AND l.jurisdiction_id = %(j)s
    AND l.lot_id = s.sensor_id
  UNION ALL
  SELECT 1 FROM wifi_access_points a WHERE s.kind = 'ap' AND a.jurisdiction_id = %(j)s
    AND a.ap_id = s.sensor_id
  UNION ALL
  SELECT 1 FROM traffic_cameras t WHERE s.kind = 'camera' AND t.jurisdiction_id = %(j)s
    AND t.camera_id = s.sensor_id)
"""

REGISTER_SQL = """
INSERT INTO sensors (jurisdiction_id, sensor_id, kind, feature_id)
SELECT jurisdiction_id, sensor_id, 'bay', id FROM parking_bays
WHERE sensor_id IS NOT NULL AND jurisdiction_id = %(j)s
UNION ALL
SELECT jurisdiction_id, lot_id, 'lot', id FROM parking_lots WHERE jurisdiction_id = %(j)s
UNION ALL
SELECT jurisdiction_id, ap_id, 'ap', id FROM wifi_access_points WHERE jurisdiction_id = %(j)s
UNION ALL
SELECT jurisdiction_id, camera_id, 'camera', id FROM traffic_cameras WHERE jurisdiction_id = %(j)s
ON CONFLICT ON CONSTRAINT sensors_natural_key DO UPDATE
  SET kind = excluded.kind, feature_id = excluded.feature_id
  WHERE (sensors.kind, sensors.feature_id) IS DISTINCT FROM (excluded.kind, excluded.feature_id)
"""

REGISTRY_SQL = """
SELECT s.jurisdiction_id, s.sensor_id, s.id, s.kind, l.capacity
FROM sensors s LEFT JOIN parking_lots l ON s.kind = 'lot' AND l.id = s.feature_id
"""
# Changes when sensors are removed or added (new rows get new ids): a registry holding row ids
# of removed sensors would store readings under them
REGISTRY_VERSION_SQL = "SELECT count(*), coalesce(max(id), 0) FROM sensors"

# Two workers of a shared subscription may store readings of one sensor at once. Each takes its
# sensors' rows first (in id order: no deadlock), so the statement below starts with a snapshot
# holding the other's commit: its test "has the bay's state changed" reads the bay as the other
# left it. Without it, a newer reading whose worker waited on the sensor row compared against
# the bay before the older reading's update, found no change, and the older state stayed.
LOCK_SENSORS_SQL = "SELECT id FROM sensors WHERE id = ANY(%(sensor)s) ORDER BY id FOR UPDATE"

# One statement: store the new readings, move each sensor's current state forward when a
# reading is newer, and carry changes into the public layers. Public state changes come back
# for the live map.
STORE_SQL = """
WITH incoming AS (
  SELECT DISTINCT ON (sensor, observed_at) *
  FROM unnest(%(sensor)s::bigint[], %(observed_at)s::timestamptz[], %(state)s::text[],
              %(value)s::int[], %(battery)s::float8[], %(detail)s::text[]::jsonb[])
       AS t(sensor, observed_at, state, value, battery_pct, detail)
  ORDER BY sensor, observed_at
), stored AS (
  INSERT INTO sensor_readings (sensor, observed_at, state, value, battery_pct, detail)
  SELECT sensor, observed_at, state, value, battery_pct, detail FROM incoming
  ON CONFLICT DO NOTHING
  RETURNING sensor, observed_at, state, value, battery_pct, detail
), newest AS (
  SELECT DISTINCT ON (sensor) * FROM stored ORDER BY sensor, observed_at DESC
), current AS (
  UPDATE sensors s SET observed_at = n.observed_at, state = n.state, value = n.value,
                       battery_pct = coalesce(n.battery_pct, s.battery_pct), detail = n.detail
  FROM newest n
  WHERE s.id = n.sensor AND (s.observed_at IS NULL OR s.observed_at < n.observed_at)
  RETURNING s.id, s.kind, s.feature_id, s.observed_at, s.state, s.value, s.battery_pct, s.detail
), bays AS (
  UPDATE parking_bays b
  SET occupancy_state = c.state,
      state_since = CASE WHEN b.occupancy_state = c.state THEN b.state_since ELSE c.observed_at END,
      battery_low = c.battery_pct < %(battery_low)s
  FROM current c
  WHERE c.kind = 'bay' AND b.id = c.feature_id
    AND b.occupancy_state <> 'closed'  -- closed by staff: the sensor does not reopen it
    AND (b.occupancy_state IS DISTINCT FROM c.state
         OR b.battery_low IS DISTINCT FROM (c.battery_pct < %(battery_low)s))
  RETURNING 'parking_bays' AS layer, b.jurisdiction_id, b.bay_id AS id, b.occupancy_state AS state,
            NULL::int AS value, b.state_since AS since, b.battery_low
), lots AS (
  UPDATE parking_lots l SET free_spaces = c.value, updated_at = c.observed_at
  FROM current c
  WHERE c.kind = 'lot' AND l.id = c.feature_id
  RETURNING 'parking_lots', l.jurisdiction_id, l.lot_id, NULL::text, l.free_spaces, l.updated_at,
            NULL::boolean
), aps AS (
  UPDATE wifi_access_points a
  SET status = c.state, clients_now = c.value,
      status_since = CASE WHEN a.status = c.state THEN a.status_since ELSE c.observed_at END
  FROM current c
  WHERE c.kind = 'ap' AND a.id = c.feature_id
    AND (a.status IS DISTINCT FROM c.state OR a.clients_now IS DISTINCT FROM c.value)
  RETURNING 'wifi_access_points', a.jurisdiction_id, a.ap_id, a.status, a.clients_now,
            a.status_since, NULL::boolean
), flows AS (
  -- vehicles an hour now, and the mean of the same local hour and weekday in the last weeks
  SELECT c.feature_id, c.observed_at,
         round(c.value * 3600.0 / (c.detail ->> 'interval_s')::numeric)::int AS flow,
         (SELECT round(avg(h.value_sum))::int FROM sensor_hourly h
          WHERE h.sensor = c.id AND h.value_sum IS NOT NULL
            AND h.hour >= c.observed_at - make_interval(weeks => %(usual_weeks)s)
            AND h.hour < date_trunc('hour', c.observed_at)
            AND extract(isodow FROM h.hour AT TIME ZONE %(tz)s)
                = extract(isodow FROM c.observed_at AT TIME ZONE %(tz)s)
            AND extract(hour FROM h.hour AT TIME ZONE %(tz)s)
                = extract(hour FROM c.observed_at AT TIME ZONE %(tz)s)) AS usual
  FROM current c WHERE c.kind = 'camera'
), cameras AS (
  UPDATE traffic_cameras t
  SET flow_veh_h = f.flow, usual_veh_h = f.usual, counted_at = f.observed_at,
      flow_level = CASE WHEN f.usual IS NULL OR f.usual = 0 THEN 'unknown'
                        WHEN f.flow < %(light_below)s * f.usual THEN 'below_usual'
                        WHEN f.flow > %(heavy_above)s * f.usual THEN 'above_usual'
                        ELSE 'as_usual' END
  FROM flows f
  WHERE t.id = f.feature_id
  RETURNING 'traffic_cameras', t.jurisdiction_id, t.camera_id, t.flow_level, t.flow_veh_h,
            t.counted_at, NULL::boolean
)
SELECT 'count'::text, NULL::text, NULL::text, NULL::text, (SELECT count(*) FROM stored)::int,
       NULL::timestamptz, NULL::boolean
-- the statement sees sensors as they were before it: readings not newer are history only
UNION ALL SELECT 'stale', NULL, NULL, NULL,
  (SELECT count(*) FROM stored st JOIN sensors s ON s.id = st.sensor
   WHERE st.observed_at <= s.observed_at)::int, NULL, NULL
UNION ALL SELECT * FROM bays UNION ALL SELECT * FROM lots UNION ALL SELECT * FROM aps
UNION ALL SELECT * FROM cameras
"""

COUNT_SQL = """
INSERT INTO sensor_ingest_counts (outcome, count)
SELECT * FROM unnest(%s::text[], %s::bigint[])
ON CONFLICT (outcome) DO UPDATE SET count = sensor_ingest_counts.count + excluded.count
"""

# Sensors silent too long: their bay, car park, AP or camera's flow is no longer known
SILENT_SQL = """
WITH silent AS (
  SELECT kind, feature_id FROM sensors
  WHERE observed_at < now() - make_interval(secs => %(after_s)s)
), bays AS (
  UPDATE parking_bays b SET occupancy_state = 'unknown', state_since = now()
  FROM silent s WHERE s.kind = 'bay' AND b.id = s.feature_id
    AND b.occupancy_state NOT IN ('unknown', 'closed')
  RETURNING 'parking_bays' AS layer, b.jurisdiction_id, b.bay_id AS id,
            b.occupancy_state AS state, NULL::int AS value, b.state_since AS since,
            b.battery_low
), lots AS (
  UPDATE parking_lots l SET free_spaces = NULL, updated_at = now()
  FROM silent s WHERE s.kind = 'lot' AND l.id = s.feature_id AND l.free_spaces IS NOT NULL
  RETURNING 'parking_lots', l.jurisdiction_id, l.lot_id, NULL::text, NULL::int, l.updated_at,
            NULL::boolean
), aps AS (
  UPDATE wifi_access_points a SET status = 'unknown', clients_now = NULL, status_since = now()
  FROM silent s WHERE s.kind = 'ap' AND a.id = s.feature_id AND a.status <> 'unknown'
  RETURNING 'wifi_access_points', a.jurisdiction_id, a.ap_id, a.status, NULL::int,
            a.status_since, NULL::boolean
), cameras AS (
  UPDATE traffic_cameras t SET flow_veh_h = NULL, flow_level = 'unknown', counted_at = now()
  FROM silent s WHERE s.kind = 'camera' AND t.id = s.feature_id
    AND t.flow_level IS DISTINCT FROM 'unknown'
  RETURNING 'traffic_cameras', t.jurisdiction_id, t.camera_id, t.flow_level, NULL::int,
            t.counted_at, NULL::boolean
)
SELECT * FROM bays UNION ALL SELECT * FROM lots UNION ALL SELECT * FROM aps
UNION ALL SELECT * FROM cameras
"""

# Whole hours, recounted from the raw readings (so late readings are folded in on the next run)
AGGREGATE_SQL = """
INSERT INTO sensor_hourly (sensor, hour, jurisdiction_id, readings, occupied, value_avg,
                           value_max, value_sum)
SELECT r.sensor, date_trunc('hour', r.observed_at), s.jurisdiction_id, count(*),
       count(*) FILTER (WHERE r.state IN ('occupied', 'down')), avg(r.value), max(r.value),
       CASE WHEN s.kind = 'camera' THEN sum(r.value) END
FROM sensor_readings r JOIN sensors s ON s.id = r.sensor
WHERE r.observed_at >= %(start)s AND r.observed_at < %(end)s
GROUP BY r.sensor, date_trunc('hour', r.observed_at), s.jurisdiction_id, s.kind
ON CONFLICT (sensor, hour) DO UPDATE
  SET readings = excluded.readings, occupied = excluded.occupied,
      value_avg = excluded.value_avg, value_max = excluded.value_max,
      value_sum = excluded.value_sum
"""

PARTITIONS_SQL = """
SELECT c.relname FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
WHERE p.relname = 'sensor_readings' ORDER BY c.relname
"""

COUNTS_SQL = "SELECT outcome, count FROM sensor_ingest_counts ORDER BY outcome"


@dataclass(frozen=True)
class Reading:
    """A reading as received: not yet checked against the registry."""

    jurisdiction: str
    sensor_id: str
    observed_at: datetime
    fields: dict
    kind: str | None = None  # from the MQTT topic; HTTP readings take the registry's


@dataclass(frozen=True)
class Rejection:
    outcome: str  # one of OUTCOMES
    where: str  # topic or batch position
    reason: str


@dataclass
class BatchResult:
    counts: Counter = field(default_factory=Counter)
    changes: list[dict] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


class RejectedReading(ValueError):
    def __init__(self, outcome: str, reason: str):
        super().__init__(reason)
        self.outcome = outcome


@dataclass(frozen=True)
class TimeWindow:
    """The times a client's reading may carry: from the first month still kept (raw months
    before it are dropped by ``drop_old_partitions``) to a little ahead of the server's clock.
    Partitions are made only for months inside it."""

    oldest: datetime
    newest: datetime
    retention_months: int
    max_future_s: float

    @classmethod
    def around(cls, now: datetime, retention_months: int, max_future_s: float) -> "TimeWindow":
        return cls(oldest_kept_month(now, retention_months),
                   now + timedelta(seconds=max_future_s), retention_months, max_future_s)


def parse_time(value, window: TimeWindow) -> datetime:
    """An ISO 8601 time with zone, or epoch seconds, inside ``window``."""
    if isinstance(value, bool) or value is None:
        raise RejectedReading("malformed", "ts: give an ISO 8601 time with zone or epoch seconds")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise RejectedReading("malformed", "ts: not a finite number")
        try:
            observed = datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            raise RejectedReading("malformed", f"ts: {value:.20g} is not a time") from None
    elif isinstance(value, str):
        try:
            observed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise RejectedReading("malformed", f"ts: {value[:40]!r} is not ISO 8601") from None
        if observed.tzinfo is None:
            raise RejectedReading("malformed", "ts: give the time zone (e.g. Z)")
        if abs(observed.utcoffset()) > timedelta(hours=14):
            raise RejectedReading("malformed", "ts: no time zone is that far from UTC")
    else:
        raise RejectedReading("malformed", "ts: give an ISO 8601 time with zone or epoch seconds")
    if observed > window.newest:
        raise RejectedReading("future", f"ts: {observed.isoformat()} is ahead of the server's "
                                        f"clock by more than {window.max_future_s:g} s")
    if observed < window.oldest:
        raise RejectedReading("too_old", f"ts: {observed.isoformat()} is before "
                                         f"{window.oldest:%Y-%m-%d}: readings are kept "
                                         f"{window.retention_months} months "
                                         "(DIMOS_SENSOR_RETENTION_MONTHS)")
    return observed


def parse_mqtt(topic: str, payload: bytes, window: TimeWindow) -> Reading:
    """A reading from ``dimos/<jurisdiction>/<bay|lot|ap|camera>/<sensor id>`` and its JSON payload
    (a flat object of at most ``MAX_PAYLOAD_BYTES``)."""
    parts = topic.split("/")
    if len(parts) != 4 or parts[0] != "dimos" or parts[2] not in KIND_LAYERS or not parts[3]:
        raise RejectedReading("malformed", "topic: expected dimos/<jurisdiction>/"
                                           f"<{'|'.join(KIND_LAYERS)}>/<id>")
    try:
        body = bounded_json.loads(payload, max_bytes=MAX_PAYLOAD_BYTES, max_depth=1)
    except bounded_json.JsonRefused as exc:
        raise RejectedReading("malformed", str(exc)) from None
    body = _fields(body, "payload")
    return Reading(parts[1], parts[3], parse_time(body.pop("ts", None), window), body,
                   kind=parts[2])


def parse_item(jurisdiction: str, item, window: TimeWindow) -> Reading:
    """A reading of an HTTP batch: ``{"sensor_id": ..., "ts": ..., <fields>}`` (already read by
    ``bounded_json``)."""
    body = _fields(item, "reading")
    sensor_id = body.pop("sensor_id", None)
    if not isinstance(sensor_id, str) or not sensor_id.strip():
        raise RejectedReading("malformed", "sensor_id: missing")
    return Reading(jurisdiction, sensor_id, parse_time(body.pop("ts", None), window), body)


def _fields(body, what: str) -> dict:
    """A reading's fields: a JSON object of numbers, true/false, text or null (nothing nested:
    no field of a reading is a list or an object)."""
    if not isinstance(body, dict):
        raise RejectedReading("malformed", f"{what}: expected a JSON object")
    for name, value in body.items():
        if isinstance(value, (dict, list)):
            raise RejectedReading("malformed", f"{name[:40]}: expected a number, true/false or "
                                               "text, not a list or object")
    return dict(body)


def _bool(fields: dict, name: str) -> bool:
    value = fields.get(name)
    if not isinstance(value, bool):
        raise RejectedReading("malformed", f"{name}: expected true or false")
    return value


def _count(fields: dict, name: str, required: bool, maximum: int | None = None) -> int | None:
    value = fields.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
        raise RejectedReading("malformed", f"{name}: expected a whole number ≥ 0")
    if maximum is not None and value > maximum:
        raise RejectedReading("malformed", f"{name}: {value} is more than the capacity {maximum}")
    return value


def _battery(fields: dict) -> float | None:
    value = fields.get("battery")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
        raise RejectedReading("malformed", "battery: expected a percentage 0–100")
    return float(value)


def _traffic_counts(fields: dict) -> tuple[int, dict]:
    """(vehicles, detail) of a camera's interval: ``interval_s`` and a count per lane."""
    interval = _count(fields, "interval_s", required=True)
    if not MIN_INTERVAL_S <= interval <= MAX_INTERVAL_S:
        raise RejectedReading("malformed", f"interval_s: {interval} outside "
                                           f"{MIN_INTERVAL_S}–{MAX_INTERVAL_S} seconds")
    lanes = sorted(name for name in fields if LANE_PATTERN.match(name))
    others = sorted(set(fields) - set(lanes) - {"interval_s", "battery"})
    if others:
        raise RejectedReading("malformed", f"{others[0][:40]}: not a lane (N1, E2, S1, W3…) "
                                           "nor interval_s")
    if not lanes:
        raise RejectedReading("malformed", "lanes: give each lane's vehicles, as N1, E2, S1…")
    most = math.ceil(interval * MAX_LANE_VEHICLES_PER_S)
    counts = {}
    for lane in lanes:
        counts[lane] = _count(fields, lane, required=True)
        if counts[lane] > most:
            raise RejectedReading("malformed", f"{lane}: {counts[lane]} vehicles is more than a "
                                               f"lane carries in {interval} s")
    return sum(counts.values()), {"interval_s": interval, "lanes": counts}


def state_of(kind: str, fields: dict,
             capacity: int | None) -> tuple[str | None, int | None, dict | None]:
    """(state, value, detail) of a reading of this kind of sensor."""
    if kind == "bay":
        return ("occupied" if _bool(fields, "occupied") else "free"), None, None
    if kind == "lot":
        return None, _count(fields, "free", required=True, maximum=capacity), None
    if kind == "camera":
        return None, *_traffic_counts(fields)
    return ("up" if _bool(fields, "up") else "down"), _count(fields, "clients", required=False), None


class Registry:
    """The sensors known to the database: (jurisdiction, sensor id) → (row id, kind, capacity)."""

    #: unknown sensors make the registry reload, at most this often (a flood of bad ids must
    #: not turn into a query per batch)
    RELOAD_S = 10.0

    def __init__(self):
        self._sensors: dict[tuple[str, str], tuple[int, str, int | None]] = {}
        self._jurisdictions: dict[str, list[str]] = {}
        self._loaded_at: float | None = None
        self._version: tuple[int, int] | None = None

    def load(self, cur) -> int:
        cur.execute(REGISTRY_VERSION_SQL)
        self._version = cur.fetchone()
        cur.execute(REGISTRY_SQL)
        self._sensors = {(j, s): (row_id, kind, cap) for j, s, row_id, kind, cap in cur.fetchall()}
        self._jurisdictions = {}
        for j, s in sorted(self._sensors):
            self._jurisdictions.setdefault(s, []).append(j)
        self._loaded_at = time.monotonic()
        return len(self._sensors)

    def refresh(self, cur, readings: list[tuple[str, Reading]]) -> None:
        """Load once, again when sensors were removed or added (a municipality's bays
        re-imported), and when a reading names a sensor added since (a new bay)."""
        if self._loaded_at is not None:
            cur.execute(REGISTRY_VERSION_SQL)  # ~700 rows' primary key: cheap per batch
            if cur.fetchone() != self._version:
                self._loaded_at = None
        if self._loaded_at is None or (
                time.monotonic() - self._loaded_at > self.RELOAD_S
                and any(self.get(r.jurisdiction, r.sensor_id) is None for _, r in readings)):
            self.load(cur)

    def get(self, jurisdiction: str, sensor_id: str):
        return self._sensors.get((jurisdiction, sensor_id))

    def jurisdictions_of(self, sensor_id: str) -> list[str]:
        """The municipalities that have a sensor with this id (ids are theirs: may repeat)."""
        return self._jurisdictions.get(sensor_id, [])

    def __len__(self) -> int:
        return len(self._sensors)


#: how many foreign sensors a refusal names (a batch holds up to MAX_BATCH)
FOREIGN_NAMED = 10


def check_own_sensors(cur, registry: Registry, readings: list[tuple[str, Reading]]) -> None:
    """Forbidden, naming them, when any reading is for a sensor of another municipality than
    the batch's (and none of its own of that id): a gateway's batch is its own municipality's
    or nothing of it is stored (no partial write). Unknown sensors are left to store_readings,
    which rejects them one by one."""
    registry.refresh(cur, readings)
    foreign: dict[str, tuple[str, list[str]]] = {}
    for where, reading in readings:
        elsewhere = registry.jurisdictions_of(reading.sensor_id)
        if registry.get(reading.jurisdiction, reading.sensor_id) is None and elsewhere:
            foreign.setdefault(reading.sensor_id, (where, elsewhere))
    if not foreign:
        return
    jurisdiction = readings[0][1].jurisdiction
    named = "; ".join(f"{where}: sensor {sensor_id[:40]!r} of {', '.join(elsewhere)}"
                      for sensor_id, (where, elsewhere) in list(foreign.items())[:FOREIGN_NAMED])
    more = len(foreign) - FOREIGN_NAMED
    raise Forbidden(f"this batch is {jurisdiction}'s, but {len(foreign)} of its sensors belong to "
                    f"another municipality ({named}{f'; and {more} more' if more > 0 else ''}): "
                    f"nothing of it was stored; send each municipality's readings with its "
                    f"own gateway")


def register_sensors(cur, jurisdiction: str) -> int:
    """Make the sensor registry match the bays, car parks and APs of a municipality."""
    cur.execute(UNREGISTER_SQL, {"j": jurisdiction})
    cur.execute(REGISTER_SQL, {"j": jurisdiction})
    cur.execute("SELECT count(*) FROM sensors WHERE jurisdiction_id = %s", (jurisdiction,))
    return cur.fetchone()[0]


def month_start(moment: datetime) -> datetime:
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def oldest_kept_month(now: datetime, keep_months: int) -> datetime:
    """The first day of the oldest month of raw readings kept ``keep_months`` back from now."""
    start = month_start(now)
    for _ in range(keep_months):
        start = month_start(start - timedelta(days=1))
    return start


def next_month(start: datetime) -> datetime:
    return datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)


def partition_name(start: datetime) -> str:
    return f"{READINGS_PARTITION_PREFIX}{start:%Y%m}"


def ensure_partitions(cur, months: set[datetime]) -> None:
    """Monthly partitions of the readings for these months (first days, UTC), made once: by
    the owner's function (migration 0016), for the app's role may not create tables."""
    for start in sorted(months):
        cur.execute("SELECT dimos_readings_partition(%s)", (start,))


def store_readings(cur, registry: Registry, readings: list[tuple[str, Reading]],
                   battery_low_pct: float, known_months: set[datetime],
                   refused: list[Rejection] = ()) -> BatchResult:
    """Check each (where, reading) against the registry and store the good ones in one
    statement; count them and ``refused`` (readings that did not parse) by outcome. The caller
    commits. ``known_months`` remembers partitions already made."""
    registry.refresh(cur, readings)
    result = BatchResult(rejections=list(refused))
    rows = {"sensor": [], "observed_at": [], "state": [], "value": [], "battery": [], "detail": []}
    for where, reading in readings:
        sensor = registry.get(reading.jurisdiction, reading.sensor_id)
        elsewhere = registry.jurisdictions_of(reading.sensor_id)
        if sensor is None and elsewhere:
            # a gateway writes its own municipality's sensors only, whatever the broker allows
            result.rejections.append(Rejection(
                "wrong_jurisdiction", where,
                f"sensor {reading.sensor_id!r} belongs to {', '.join(elsewhere)}, not "
                f"{reading.jurisdiction!r}"))
            continue
        if sensor is None or (reading.kind is not None and reading.kind != sensor[1]):
            result.rejections.append(Rejection(
                "unknown_sensor", where,
                f"no {reading.kind or 'sensor'} {reading.sensor_id!r} in {reading.jurisdiction!r}"))
            continue
        row_id, kind, capacity = sensor
        try:
            state, value, detail = state_of(kind, reading.fields, capacity)
            battery = _battery(reading.fields)
        except RejectedReading as exc:
            result.rejections.append(Rejection(exc.outcome, where, str(exc)))
            continue
        for name, item in (("sensor", row_id), ("observed_at", reading.observed_at),
                           ("state", state), ("value", value), ("battery", battery),
                           ("detail", None if detail is None else json.dumps(detail))):
            rows[name].append(item)
    result.counts.update(r.outcome for r in result.rejections)
    if rows["sensor"]:
        months = {month_start(t) for t in rows["observed_at"]} - known_months
        if months:
            ensure_partitions(cur, months)
            known_months |= months
        # the readings are their own history: no audit row per bay update
        cur.execute("SET LOCAL dimos.audit = 'off'")
        cur.execute(LOCK_SENSORS_SQL, {"sensor": sorted(set(rows["sensor"]))})
        cur.execute(STORE_SQL, {**rows, "battery_low": battery_low_pct, "tz": TIME_ZONE,
                                "usual_weeks": USUAL_WEEKS, "light_below": LIGHT_BELOW,
                                "heavy_above": HEAVY_ABOVE})
        for layer, jurisdiction, feature, state, value, since, battery_low in cur.fetchall():
            if layer == "count":
                stored = value
            elif layer == "stale":
                stale = value
            else:
                result.changes.append(_change(layer, jurisdiction, feature, state, value, since,
                                              battery_low))
        result.counts["stored"] += stored - stale
        result.counts["stale"] += stale  # stored too, as history
        result.counts["duplicate"] += len(rows["sensor"]) - stored
    counts = {k: v for k, v in result.counts.items() if v}
    if counts:
        cur.execute(COUNT_SQL, (list(counts), list(counts.values())))
    return result


def _change(layer, jurisdiction, feature, state, value, since, battery_low) -> dict:
    change = {"layer": layer, "jurisdiction": jurisdiction, "id": feature,
              "since": since.isoformat() if since else None}
    if layer == "parking_bays":
        change.update(state=state, battery_low=battery_low)
    elif layer == "parking_lots":
        change.update(free_spaces=value)
    elif layer == "traffic_cameras":
        change.update(flow_level=state, flow_veh_h=value)
    else:
        change.update(status=state, clients_now=value)
    return change


def mark_silent(cur, silent_after_s: int) -> list[dict]:
    """Bays, car parks, APs and cameras' flows whose sensor has been silent too long become
    unknown."""
    cur.execute("SET LOCAL dimos.audit = 'off'")
    cur.execute(SILENT_SQL, {"after_s": silent_after_s})
    return [_change(*row) for row in cur.fetchall()]


def aggregate_hours(cur, start: datetime, end: datetime) -> int:
    """Recount the hourly aggregates of [start, end) (whole hours) from the raw readings."""
    start = start.replace(minute=0, second=0, microsecond=0)
    end = end.replace(minute=0, second=0, microsecond=0)
    if end <= start:
        return 0
    cur.execute(AGGREGATE_SQL, {"start": start, "end": end})
    return cur.rowcount


def drop_old_partitions(cur, keep_months: int, now: datetime) -> list[str]:
    """Drop whole months of raw readings older than ``keep_months`` (aggregated first)."""
    cutoff = oldest_kept_month(now, keep_months)
    cur.execute(PARTITIONS_SQL)
    dropped = []
    for (name,) in cur.fetchall():
        suffix = name.removeprefix(READINGS_PARTITION_PREFIX)
        if len(suffix) != 6 or not suffix.isdigit():
            continue
        start = datetime(int(suffix[:4]), int(suffix[4:]), 1, tzinfo=UTC)
        if next_month(start) <= cutoff:
            aggregate_hours(cur, start, next_month(start))
            cur.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(name)))
            dropped.append(name)
    return dropped


def notify_changes(cur, changes: list[dict], chunk: int = 40) -> None:
    """Tell the web workers (LISTEN on LIVE_CHANNEL) what changed; delivered at commit."""
    for i in range(0, len(changes), chunk):
        cur.execute("SELECT pg_notify(%s, %s)", (LIVE_CHANNEL, json.dumps(changes[i:i + chunk])))


def ingest_counts(cur) -> dict[str, int]:
    cur.execute(COUNTS_SQL)
    return dict(cur.fetchall())


#: every partition of a partitioned table (the monthly sensor readings), dropped before a
#: restore recreates them
DROP_PARTITIONS_SQL = """
DO $$
DECLARE partition regclass;
BEGIN
  FOR partition IN SELECT i.inhrelid::regclass FROM pg_inherits i
                   JOIN pg_class parent ON parent.oid = i.inhparent
                   WHERE parent.relkind = 'p' LOOP
    EXECUTE format('DROP TABLE %s', partition);
  END LOOP;
END $$"""


SIMULATED_SENSORS_SQL = """
SELECT s.jurisdiction_id, s.kind, s.sensor_id, coalesce(l.capacity, 0),
       coalesce(b.occupancy_state = 'occupied', false), b.bay_id,
       coalesce(b.tariff_eur_h > 0 AND b.bay_type = 'regular', false)
FROM sensors s
LEFT JOIN parking_lots l ON s.kind = 'lot' AND l.id = s.feature_id
LEFT JOIN parking_bays b ON s.kind = 'bay' AND b.id = s.feature_id
WHERE %(j)s::text IS NULL OR s.jurisdiction_id = %(j)s
ORDER BY s.kind, s.sensor_id
"""


def simulated_sensors(cur, jurisdiction: str | None) -> list[tuple]:
    """(municipality, kind, sensor id, capacity, occupied, bay id, paying bay) of every sensor
    the simulator drives."""
    cur.execute(SIMULATED_SENSORS_SQL, {"j": jurisdiction})
    return cur.fetchall()


SENSORS_HEARD_SQL = """
SELECT kind, count(*), count(observed_at), max(observed_at) FROM sensors GROUP BY kind ORDER BY kind
"""


def sensors_heard(cur) -> list[tuple]:
    """(kind, sensors, heard from, newest reading) per kind of sensor, for `dimos sensors status`."""
    cur.execute(SENSORS_HEARD_SQL)
    return cur.fetchall()


#: the LISTEN/NOTIFY channel the web workers' live feeds (dimos/live.py) listen on
LIVE_CHANNEL = "dimos_live"

LIVE_SNAPSHOT_SQL = """
SELECT json_build_object(
  'parking_bays', (SELECT coalesce(json_agg(json_build_object(
      'id', bay_id, 'state', occupancy_state, 'since', state_since, 'battery_low', battery_low)
      ORDER BY bay_id), '[]') FROM parking_bays WHERE jurisdiction_id = %(j)s),
  'parking_lots', (SELECT coalesce(json_agg(json_build_object(
      'id', lot_id, 'free_spaces', free_spaces, 'capacity', capacity, 'since', updated_at)
      ORDER BY lot_id), '[]') FROM parking_lots WHERE jurisdiction_id = %(j)s),
  'wifi_access_points', (SELECT coalesce(json_agg(json_build_object(
      'id', ap_id, 'status', status, 'clients_now', clients_now, 'since', status_since)
      ORDER BY ap_id), '[]') FROM wifi_access_points WHERE jurisdiction_id = %(j)s),
  'traffic_cameras', (SELECT coalesce(json_agg(json_build_object(
      'id', camera_id, 'flow_level', flow_level, 'flow_veh_h', flow_veh_h,
      'usual_veh_h', usual_veh_h, 'since', counted_at)
      ORDER BY camera_id), '[]') FROM traffic_cameras WHERE jurisdiction_id = %(j)s))
"""


def live_snapshot(cur, jurisdiction: str) -> dict:
    """The live layers' current state in a municipality: what a live feed starts from."""
    cur.execute(LIVE_SNAPSHOT_SQL, {"j": jurisdiction})
    return cur.fetchone()[0]

