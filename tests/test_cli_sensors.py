"""`dimos sensors status` and `dimos sensors maintain`, the commands themselves, on a database
of the module's own with the demo's sensors: status counts the sensors heard from and the
readings by outcome; maintain recounts the hourly aggregates and drops raw months past
DIMOS_SENSOR_RETENTION_MONTHS, keeping the aggregates."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from gis import db, sensors
from tests.helpers import dimos, rows

OLD_MONTH = datetime(2020, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def database(make_database, demo_template) -> str:
    """A copy of the demo of this module's own: the commands change its readings."""
    return make_database("dimos_cli_sensors", template=demo_template)


def store(url: str, sensor_id: str, times: list[datetime]) -> None:
    conn = db.connect(url)
    try:
        with conn, conn.cursor() as cur:
            registry = sensors.Registry()
            registry.load(cur)
            sensors.store_readings(cur, registry, [
                (f"t{n}", sensors.Reading("rethymno", sensor_id, at, {"occupied": n % 2 == 0}))
                for n, at in enumerate(times)], 20, set())
    finally:
        conn.close()


def bay_sensors(url: str, how_many: int, silent: bool = False) -> list[str]:
    """Bay sensors of the demo; ``silent``: only ones never heard from yet."""
    return [sensor for sensor, in rows(
        url, "SELECT sensor_id FROM sensors WHERE kind = 'bay' AND (observed_at IS NULL OR NOT %s) "
             "ORDER BY sensor_id LIMIT %s", (silent, how_many))]


def status(url: str) -> tuple[int, int, dict[str, int]]:
    """`dimos sensors status` read back: bays, bays heard from, readings by outcome."""
    done = dimos("sensors", "status", url=url)
    assert done.returncode == 0, done.stderr
    bays, heard = map(int, re.search(r"^bay\s+(\d+) sensors,\s+(\d+) heard from", done.stdout,
                                     re.M).groups())
    outcomes = {name: int(count) for name, count in
                re.findall(r"^\s+(\w+)\s+(\d+)$", done.stdout, re.M)}
    return bays, heard, outcomes


def test_status_counts_the_sensors_heard_from_and_the_readings_by_outcome(database):
    bays, heard, outcomes = status(database)
    assert bays == 600
    first, second = bay_sensors(database, 2, silent=True)
    now = datetime.now(UTC)
    store(database, first, [now - timedelta(minutes=2), now - timedelta(minutes=1)])
    store(database, second, [now - timedelta(minutes=1)])
    store(database, second, [now - timedelta(minutes=1)])  # sent again: a duplicate
    _, heard_after, outcomes_after = status(database)
    assert heard_after == heard + 2
    assert outcomes_after.get("stored", 0) == outcomes.get("stored", 0) + 3
    assert outcomes_after.get("duplicate", 0) == outcomes.get("duplicate", 0) + 1


def test_maintain_recounts_hours_and_drops_months_past_retention(database):
    sensor, = bay_sensors(database, 1)
    recent = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    store(database, sensor, [OLD_MONTH + timedelta(minutes=10), recent + timedelta(minutes=5)])
    old = sensors.partition_name(OLD_MONTH)
    hourly = ("SELECT h.readings FROM sensor_hourly h JOIN sensors s ON s.id = h.sensor "
              "WHERE s.sensor_id = %s AND h.hour = %s")
    # an aggregate of that hour that the readings do not bear out (the demo's own history of it,
    # gis/demo_history.py, is one): maintain counts the hour again from the readings
    conn = db.connect(database)
    with conn, conn.cursor() as cur:
        cur.execute("""INSERT INTO sensor_hourly (sensor, hour, jurisdiction_id, readings, occupied)
                       SELECT id, %s, jurisdiction_id, 12, 6 FROM sensors WHERE sensor_id = %s
                       ON CONFLICT (sensor, hour) DO UPDATE SET readings = 12""",
                    (recent, sensor))
    conn.close()
    assert rows(database, hourly, (sensor, recent)) == [(12,)]
    done = dimos("sensors", "maintain", url=database)
    assert done.returncode == 0, done.stderr
    assert old in done.stdout, done.stdout
    assert rows(database, "SELECT to_regclass(%s)", (old,)) == [(None,)]
    assert rows(database, hourly, (sensor, recent)) == [(1,)]  # recounted by maintain
    assert rows(database, "SELECT to_regclass(%s) IS NOT NULL",
                (sensors.partition_name(recent),)) == [(True,)]
