"""README.md's figure for raw sensor readings: about 110 bytes each on disk, the (sensor, time)
key's index included (600 sensors at one a minute: ~315 million rows, ~35 GB a year).
Measured on a database of the test's own: 100 minutes of the demo's 600 bays."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dimos.demo import load_demo
from gis import db, migrate, sensors
from tests.helpers import rows


def test_a_stored_reading_takes_about_110_bytes_with_its_index(make_database, demo):
    url = make_database("dimos_reading_size")
    migrate.upgrade(url)
    load_demo(url, demo)
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    conn = db.connect(url)
    try:
        with conn, conn.cursor() as cur:
            registry = sensors.Registry()
            registry.load(cur)
            cur.execute("SELECT jurisdiction_id, sensor_id FROM sensors WHERE kind = 'bay'")
            bays = cur.fetchall()
            known: set[datetime] = set()
            for minute in range(100):
                batch = [(f"m{minute}-{n}", sensors.Reading(
                    j, sensor, start + timedelta(minutes=minute),
                    {"occupied": (minute + n) % 3 == 0, "battery": 80.0}))
                    for n, (j, sensor) in enumerate(bays)]
                sensors.store_readings(cur, registry, batch, 20, known)
    finally:
        conn.close()
    (count, size), = rows(url, "SELECT (SELECT count(*) FROM sensor_readings), "
                               "sum(pg_total_relation_size(inhrelid)) FROM pg_inherits "
                               "WHERE inhparent = 'sensor_readings'::regclass")
    assert count == 100 * len(bays) == 60_000
    assert 90 <= size / count <= 130, f"{size / count:.0f} bytes a reading"
