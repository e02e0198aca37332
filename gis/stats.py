"""The staff view's charts, each a table: its columns and rows are the chart's data and its CSV.

- ``occupancy``: the share of bays and of car-park spaces occupied, by hour of the week (local
  time), over the hourly aggregates of the sensors;
- ``requests``: requests per week (of filing) and category;
- ``time-to-close``: requests closed per week (of closing) and the median and 90th percentile
  of the hours they took;
- ``wifi``: the access points' connected clients per month: the network's mean and its peak hour.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gis.errors import InvalidParameter
from gis.local_time import TIME_ZONE

# the period's bounds are local dates, the end included
_PERIOD = """h.hour >= (%(start)s::date::timestamp AT TIME ZONE %(tz)s)
  AND h.hour < ((%(end)s::date + 1)::timestamp AT TIME ZONE %(tz)s)"""

OCCUPANCY_SQL = f"""
WITH hours AS (
  SELECT s.kind, h.hour AT TIME ZONE %(tz)s AS local, h.readings, h.occupied, h.value_avg,
         l.capacity
  FROM sensor_hourly h
  JOIN sensors s ON s.id = h.sensor AND s.kind IN ('bay', 'lot')
  LEFT JOIN parking_lots l ON s.kind = 'lot' AND l.id = s.feature_id
  WHERE h.jurisdiction_id = %(j)s AND {_PERIOD})
SELECT extract(isodow FROM local)::int AS weekday, extract(hour FROM local)::int AS hour,
       round(sum(occupied) FILTER (WHERE kind = 'bay')::numeric
             / nullif(sum(readings) FILTER (WHERE kind = 'bay'), 0), 3) AS bays_occupied,
       round((sum(capacity - value_avg) FILTER (WHERE kind = 'lot' AND value_avg IS NOT NULL)
             / nullif(sum(capacity) FILTER (WHERE kind = 'lot' AND value_avg IS NOT NULL), 0)
             )::numeric, 3) AS car_parks_occupied
FROM hours GROUP BY 1, 2 ORDER BY 1, 2
"""

REQUESTS_SQL = """
SELECT date_trunc('week', r.requested_at AT TIME ZONE %(tz)s)::date AS week, r.service_code,
       coalesce(CASE WHEN %(lang)s = 'en' THEN s.name_en ELSE s.name_el END, r.service_code)
         AS category,
       count(*) AS requests
FROM service_requests r
LEFT JOIN services s ON s.jurisdiction_id = r.jurisdiction_id AND s.service_code = r.service_code
WHERE r.jurisdiction_id = %(j)s
  AND r.requested_at >= (%(start)s::date::timestamp AT TIME ZONE %(tz)s)
  AND r.requested_at < ((%(end)s::date + 1)::timestamp AT TIME ZONE %(tz)s)
GROUP BY 1, 2, 3 ORDER BY 1, 2
"""

TIME_TO_CLOSE_SQL = """
SELECT date_trunc('week', closed_at AT TIME ZONE %(tz)s)::date AS week, count(*) AS closed,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - requested_at))
              / 3600)::numeric, 1) AS median_hours,
       round((percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - requested_at))
              / 3600)::numeric, 1) AS p90_hours
FROM service_requests
WHERE jurisdiction_id = %(j)s AND status = 'closed' AND closed_at IS NOT NULL
  AND closed_at >= (%(start)s::date::timestamp AT TIME ZONE %(tz)s)
  AND closed_at < ((%(end)s::date + 1)::timestamp AT TIME ZONE %(tz)s)
GROUP BY 1 ORDER BY 1
"""

WIFI_SQL = f"""
WITH network AS (
  SELECT h.hour, sum(h.value_avg) AS clients, count(*) AS access_points
  FROM sensor_hourly h JOIN sensors s ON s.id = h.sensor AND s.kind = 'ap'
  WHERE h.jurisdiction_id = %(j)s AND {_PERIOD} AND h.value_avg IS NOT NULL
  GROUP BY h.hour)
SELECT to_char(date_trunc('month', hour AT TIME ZONE %(tz)s), 'YYYY-MM') AS month,
       round(avg(clients)::numeric, 1) AS clients_mean,
       round(max(clients)::numeric, 1) AS clients_peak_hour,
       max(access_points) AS access_points
FROM network GROUP BY 1 ORDER BY 1
"""


@dataclass(frozen=True)
class Chart:
    name: str
    sql: str
    #: the period shown when none is asked: this many days back from today
    default_days: int


CHARTS = {chart.name: chart for chart in (
    Chart("occupancy", OCCUPANCY_SQL, 28),
    Chart("requests", REQUESTS_SQL, 12 * 7),
    Chart("time-to-close", TIME_TO_CLOSE_SQL, 12 * 7),
    Chart("wifi", WIFI_SQL, 365),
)}
#: a period longer than this is refused (the queries scan the aggregates of every sensor)
MAX_DAYS = 3 * 366


def chart(name: str) -> Chart:
    try:
        return CHARTS[name]
    except KeyError:
        raise InvalidParameter(f"chart: {name[:40]!r} unknown; the charts: "
                               + ", ".join(CHARTS)) from None


def check_period(start: date, end: date) -> None:
    if end < start:
        raise InvalidParameter(f"end: {end} is before start ({start})")
    if (end - start).days > MAX_DAYS:
        raise InvalidParameter(f"end: at most {MAX_DAYS} days after start")


def chart_table(cur, name: str, jurisdiction: str, start: date, end: date,
                lang: str = "el") -> tuple[list[str], list[tuple]]:
    """The columns and rows of chart ``name`` for a municipality, ``start``–``end`` (local
    dates, both included)."""
    check_period(start, end)
    cur.execute(chart(name).sql, {"j": jurisdiction, "start": start.isoformat(),
                                  "end": end.isoformat(), "tz": TIME_ZONE, "lang": lang})
    return [column.name for column in cur.description], cur.fetchall()
