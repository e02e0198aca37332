"""Traffic counts of the cameras at the junctions: a camera's day hour by hour against the usual
flow of each hour for that weekday, and the counts per interval and lane for export.

The counts come through the sensor pipeline (gis/sensors.py): each reading the vehicles of an
interval, per approach and lane in its ``detail``; the hourly aggregates hold each hour's sum.
A day's hours not yet aggregated (the current ones) are summed from the raw readings.
"""
from __future__ import annotations

from datetime import date

from gis.errors import InvalidParameter, NotFound
from gis.local_time import TIME_ZONE
from gis.sensors import USUAL_WEEKS

#: the longest period one export covers (the raw readings of every camera)
MAX_EXPORT_DAYS = 31

CAMERA_SQL = """
SELECT s.id, t.camera_id, t.name FROM traffic_cameras t
JOIN sensors s ON s.kind = 'camera' AND s.feature_id = t.id
WHERE t.jurisdiction_id = %(j)s AND t.camera_id = %(camera)s
"""

# the local day's hours (23 or 25 on the days the clocks change)
DAY_SQL = """
WITH bounds AS (
  SELECT %(day)s::date::timestamp AT TIME ZONE %(tz)s AS starts,
         (%(day)s::date + 1)::timestamp AT TIME ZONE %(tz)s AS ends),
hours AS (
  SELECT hour FROM bounds, generate_series(starts, ends - interval '1 hour', interval '1 hour')
    AS hour),
counted AS (
  SELECT hour, value_sum FROM sensor_hourly, bounds
  WHERE sensor = %(sensor)s AND hour >= starts AND hour < ends AND value_sum IS NOT NULL),
raw AS (
  SELECT date_trunc('hour', observed_at) AS hour, sum(value) AS vehicles
  FROM sensor_readings, bounds
  WHERE sensor = %(sensor)s AND observed_at >= starts AND observed_at < ends
  GROUP BY 1),
usual AS (
  SELECT extract(hour FROM hour AT TIME ZONE %(tz)s) AS local_hour, round(avg(value_sum)) AS mean
  FROM sensor_hourly, bounds
  WHERE sensor = %(sensor)s AND value_sum IS NOT NULL
    AND hour >= starts - make_interval(weeks => %(weeks)s) AND hour < starts
    AND extract(isodow FROM hour AT TIME ZONE %(tz)s) = extract(isodow FROM %(day)s::date)
  GROUP BY 1)
SELECT to_char(h.hour AT TIME ZONE %(tz)s, 'HH24:MI'), coalesce(c.value_sum, r.vehicles)::int,
       u.mean::int
FROM hours h
LEFT JOIN counted c ON c.hour = h.hour
LEFT JOIN raw r ON r.hour = h.hour
LEFT JOIN usual u ON u.local_hour = extract(hour FROM h.hour AT TIME ZONE %(tz)s)
ORDER BY h.hour
"""

COUNTS_SQL = """
SELECT t.camera_id, r.observed_at, (r.detail ->> 'interval_s')::int, lane.key, lane.value::int
FROM sensor_readings r
JOIN sensors s ON s.id = r.sensor AND s.kind = 'camera'
JOIN traffic_cameras t ON t.id = s.feature_id
CROSS JOIN LATERAL jsonb_each_text(r.detail -> 'lanes') AS lane
WHERE s.jurisdiction_id = %(j)s AND (%(camera)s::text IS NULL OR t.camera_id = %(camera)s)
  AND r.observed_at >= (%(start)s::date::timestamp AT TIME ZONE %(tz)s)
  AND r.observed_at < ((%(end)s::date + 1)::timestamp AT TIME ZONE %(tz)s)
ORDER BY t.camera_id, r.observed_at, lane.key
"""
COUNTS_COLUMNS = ("camera_id", "interval_start", "interval_s", "lane", "vehicles")


def _camera(cur, jurisdiction: str, camera_id: str) -> tuple[int, str, str]:
    cur.execute(CAMERA_SQL, {"j": jurisdiction, "camera": camera_id})
    found = cur.fetchone()
    if found is None:
        raise NotFound(f"camera_id: no traffic camera {camera_id[:40]!r} in {jurisdiction}")
    return found


def camera_day(cur, jurisdiction: str, camera_id: str, day: date) -> dict:
    """A camera's local day: each hour's vehicles (None: none counted) and the usual number for
    that hour and weekday (the mean of the weeks before; None: no history)."""
    sensor, ident, name = _camera(cur, jurisdiction, camera_id)
    cur.execute(DAY_SQL, {"sensor": sensor, "day": day.isoformat(), "tz": TIME_ZONE,
                          "weeks": USUAL_WEEKS})
    return {"camera_id": ident, "name": name, "date": day.isoformat(), "time_zone": TIME_ZONE,
            "usual_weeks": USUAL_WEEKS,
            "hours": [{"hour": hour, "vehicles": vehicles, "usual": usual}
                      for hour, vehicles, usual in cur.fetchall()]}


def interval_counts(cur, jurisdiction: str, start: date, end: date,
                    camera_id: str | None = None) -> list[tuple]:
    """Every counted interval and lane of a municipality's cameras (or one camera) over the
    local dates ``start``–``end``, both included: rows of ``COUNTS_COLUMNS``."""
    if end < start:
        raise InvalidParameter(f"end: {end} is before start ({start})")
    if (end - start).days >= MAX_EXPORT_DAYS:
        raise InvalidParameter(f"end: at most {MAX_EXPORT_DAYS} days from start")
    if camera_id is not None:
        _camera(cur, jurisdiction, camera_id)
    cur.execute(COUNTS_SQL, {"j": jurisdiction, "camera": camera_id, "start": start.isoformat(),
                             "end": end.isoformat(), "tz": TIME_ZONE})
    return [(camera, observed.isoformat(), interval, lane, vehicles)
            for camera, observed, interval, lane, vehicles in cur.fetchall()]
