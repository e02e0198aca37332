"""A gateway writes only its own municipality's sensors, and only readings inside the months
kept: over HTTP (`POST /api/sensors/readings`), against the real server and database.

Two municipalities: the demo's rethymno and "sensorton" (tests/test_sensors.py's ``town``).
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import requests

from gis import db, sensors
from tests import test_sensors as sensorton
from tests.helpers import dimos, rows, token
from tests.test_sensors import J, readings_of, ts

# the fixtures: sensorton's bays, car park and AP, registered; a bay, car park and AP of each
# test's own in it
town, own = sensorton.town, sensorton.own

PARTITIONS = """
SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'sensor_readings'
"""


def post(live_server, bearer, batch):
    return requests.post(f"{live_server}/api/sensors/readings", json=batch, timeout=30,
                         headers={"Authorization": f"Bearer {bearer}"})


def partitions(url) -> set[str]:
    return {name for (name,) in rows(url, PARTITIONS)}


def stored_at(url, sensor_id, at) -> bool:
    return any(r[0] == datetime.fromisoformat(at) for r in readings_of(url, sensor_id))


def test_a_gateway_of_one_municipality_may_not_write_another_s_sensors(demo_url, live_server,
                                                                     own):
    rethymno = token(demo_url, "gw-hostile-rethymno", "gateway", "rethymno")
    at = ts(3)
    # naming the other municipality: the whole batch is refused
    answer = post(live_server, rethymno, {"jurisdiction_id": J, "readings": [
        {"sensor_id": own.sensor, "ts": at, "occupied": True}]})
    assert answer.status_code == 403, answer.text
    assert "rethymno" in answer.json()["description"] and J in answer.json()["description"]
    # not naming it: the batch is its own municipality's, where sensorton's sensor is not:
    # refused whole, naming the sensor and its municipality
    answer = post(live_server, rethymno, {"readings": [
        {"sensor_id": own.sensor, "ts": at, "occupied": True}]})
    assert answer.status_code == 403, answer.text
    assert f"readings[0]: sensor {own.sensor!r} of {J}" in answer.json()["description"]
    assert not stored_at(demo_url, own.sensor, at)
    # sensorton's own gateway may
    sensorton_gateway = token(demo_url, "gw-hostile-sensorton", "gateway", J)
    answer = post(live_server, sensorton_gateway, {"jurisdiction_id": J, "readings": [
        {"sensor_id": own.sensor, "ts": at, "occupied": True}]})
    assert answer.status_code == 200 and answer.json()["rejected"] == [], answer.text
    assert stored_at(demo_url, own.sensor, at)


def test_a_gateway_token_must_name_its_municipality_and_old_ones_are_refused(demo_url,
                                                                            live_server, own):
    # without --jurisdiction: the server's only municipality, or a refusal naming them all
    known = [j for (j,) in rows(demo_url, "SELECT id FROM jurisdictions ORDER BY id")]
    dimos("token", "revoke", "gw-only-town", url=demo_url)
    made = dimos("token", "create", "gw-only-town", "--role", "gateway", url=demo_url)
    if len(known) == 1:
        assert made.returncode == 0 and f"(gateway of {known[0]})" in made.stderr, made.stderr
        dimos("token", "revoke", "gw-only-town", url=demo_url)
    else:
        assert made.returncode == 1 and made.stdout == ""
        assert made.stderr.startswith("dimos: error: --jurisdiction:")
        assert all(j in made.stderr for j in known)
    wrong = dimos("token", "create", "gw-nowhere", "--role", "gateway", "--jurisdiction",
                  "atlantis", url=demo_url)
    assert wrong.returncode == 1 and "'atlantis' unknown" in wrong.stderr
    # a gateway token issued before tokens had a municipality (migration 0015 gives it none)
    old = token(demo_url, "gw-hostile-old", "gateway", "rethymno")
    conn = db.connect(demo_url)
    with conn, conn.cursor() as cur:
        cur.execute("DELETE FROM memberships WHERE token_id = (SELECT id FROM api_tokens "
                    "WHERE name = 'gw-hostile-old' AND revoked_at IS NULL)")
    conn.close()
    at = ts(4)
    answer = post(live_server, old, {"jurisdiction_id": J, "readings": [
        {"sensor_id": own.sensor, "ts": at, "occupied": True}]})
    assert answer.status_code == 403
    assert "dimos token create gw-hostile-old --role gateway --jurisdiction" in \
        answer.json()["description"]
    assert not stored_at(demo_url, own.sensor, at)
    # staff of the sensors' municipality may write them (of another: 403,
    # tests/test_municipality_matrix.py)
    staff = token(demo_url, "staff-hostile-writes", "staff", J)
    answer = post(live_server, staff, {"jurisdiction_id": J, "readings": [
        {"sensor_id": own.sensor, "ts": at, "occupied": True}]})
    assert answer.status_code == 200 and answer.json()["rejected"] == [], answer.text
    assert stored_at(demo_url, own.sensor, at)


def test_a_reading_from_2001_is_refused_and_makes_no_partition(demo_url, live_server, own,
                                                              settings):
    gateway = token(demo_url, "gw-hostile-old-readings", "gateway", J)
    before = partitions(demo_url)
    now = datetime.now(UTC)
    oldest = sensors.oldest_kept_month(now, settings.sensor_retention_months)
    just_before = (oldest - timedelta(seconds=1)).isoformat()
    inside = ts(5)
    # one reading a month from 2001 on: each would have made a partition of its own
    monthly = [{"sensor_id": own.lot, "ts": f"{2001 + n // 12}-{n % 12 + 1:02d}-15T12:00:00Z",
                "free": 3} for n in range(300)]
    answer = post(live_server, gateway, {"jurisdiction_id": J, "readings": [
        {"sensor_id": own.sensor, "ts": "2001-01-05T08:00:00Z", "occupied": True},
        {"sensor_id": own.sensor, "ts": 978_681_600, "occupied": True},  # 2001-01-05, epoch seconds
        {"sensor_id": own.sensor, "ts": just_before, "occupied": True},
        {"sensor_id": own.sensor, "ts": inside, "occupied": True},
        *monthly]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    refused = {r["at"]: r for r in body["rejected"]}
    for at in ("readings[0]", "readings[1]", "readings[2]"):
        assert refused[at]["outcome"] == "too_old", refused.get(at)
        assert "DIMOS_SENSOR_RETENTION_MONTHS" in refused[at]["reason"]
    old_months = [m for m in monthly if m["ts"] < oldest.isoformat()]
    assert len(refused) == 3 + len(old_months)
    assert body["stored"] + body["stale"] == 1 + len(monthly) - len(old_months)
    assert stored_at(demo_url, own.sensor, inside)
    made = partitions(demo_url) - before
    assert not any(name.startswith("sensor_readings_2001") for name in partitions(demo_url))
    # only months inside [oldest kept, now + the future allowed]
    allowed = {sensors.partition_name(oldest)}
    month = oldest
    while month <= now:
        allowed.add(sensors.partition_name(month))
        month = sensors.next_month(month)
    allowed.add(sensors.partition_name(sensors.month_start(
        now + timedelta(seconds=settings.sensor_max_future_s))))
    assert made <= allowed, made - allowed


def test_a_hostile_batch_body_is_a_400_not_a_crash(demo_url, live_server, town):
    gateway = token(demo_url, "gw-hostile-body", "gateway", J)
    url = f"{live_server}/api/sensors/readings"
    headers = {"Authorization": f"Bearer {gateway}", "Content-Type": "application/json"}
    for body, says in ((b'{"readings": ' + b"[" * 100_000, "nested"),
                       (b'{"readings": [{"sensor_id": "TS-A", "ts": NaN, "occupied": true}]}',
                        "NaN"),
                       (b'{"readings": [{"sensor_id": "TS-A", "ts": 1e999}]}', "too large"),
                       (b'\xff{"readings": []}', "UTF-8"),
                       (b'{"readings": [' + b'{"sensor_id": "x"},' * 200_000 + b"{}]}", "bytes")):
        answer = requests.post(url, data=body, headers=headers, timeout=30)
        assert answer.status_code == 400, (says, answer.status_code, answer.text[:200])
        assert says in answer.json()["description"], answer.json()
