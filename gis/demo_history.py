"""The demo's past and its paid parking.

A week of sensor aggregates, so the staff view's charts have a history on the first day: bays
and car parks fuller by day and in the evening (the old town's restaurants), weekend mornings
quieter, WiFi busiest at noon and at night; each sensor a little apart from the others, each
hour a little apart from the curve; the junctions' traffic peaking in the morning and the
evening, summer weekends busier and winter ones quieter. Deterministic (a hash of the sensor
and the hour, no random state), and never over an hour the sensors themselves aggregated. And
the sessions the drivers paid: most occupied paying bays have one running, so the wardens'
list holds the few that do not (PAID_SHARE).
"""
from __future__ import annotations

DAYS = 7
READINGS_PER_HOUR = 12  # a reading every 5 minutes
#: the share of drivers in a paying bay who paid (the simulator's too)
PAID_SHARE = 0.95

# the share occupied, and the clients of an access point, by local hour 0–23
BAY_CURVE = (0.35, 0.30, 0.28, 0.27, 0.27, 0.30, 0.40, 0.55, 0.70, 0.80, 0.86, 0.90,
             0.90, 0.85, 0.78, 0.72, 0.74, 0.80, 0.86, 0.90, 0.92, 0.88, 0.70, 0.50)
AP_CURVE = (2, 1, 1, 0, 0, 0, 1, 3, 6, 9, 11, 13, 14, 13, 11, 10, 10, 12, 15, 17, 16, 12, 7, 4)
# vehicles an hour through a town junction, by local hour 0–23 (the simulator's too)
TRAFFIC_CURVE = (120, 70, 50, 40, 40, 80, 250, 700, 1100, 950, 850, 880, 950, 900, 820, 800,
                 880, 1000, 950, 800, 600, 450, 300, 200)
#: weekends: busier in the tourist months (June–September), quieter the rest of the year
SUMMER_MONTHS = (6, 7, 8, 9)
SUMMER_WEEKEND, WINTER_WEEKEND = 1.25, 0.8

HISTORY_SQL = """
WITH hours AS (
  SELECT hour, extract(hour FROM hour AT TIME ZONE 'Europe/Athens')::int AS local_hour,
         extract(isodow FROM hour AT TIME ZONE 'Europe/Athens') >= 6 AS weekend,
         extract(month FROM hour AT TIME ZONE 'Europe/Athens')::int = ANY(%(summer)s) AS summer
  FROM generate_series(date_trunc('hour', now()) - make_interval(days => %(days)s),
                       date_trunc('hour', now()) - interval '1 hour', interval '1 hour') AS hour),
shaped AS (
  SELECT s.id AS sensor, s.kind, h.hour, l.capacity,
         %(bay_curve)s::float8[] AS bay_curve, %(ap_curve)s::float8[] AS ap_curve, h.local_hour,
         %(traffic_curve)s::float8[] AS traffic_curve, h.weekend, h.summer,
         (abs(hashtext(s.sensor_id)) %% 200 - 100) / 1000.0 AS sensor_bias,
         (abs(hashint8(s.id * 1000003 + extract(epoch FROM h.hour)::bigint)) %% 160 - 80) / 1000.0
           AS hour_noise
  FROM sensors s CROSS JOIN hours h
  LEFT JOIN parking_lots l ON s.kind = 'lot' AND l.id = s.feature_id
  WHERE s.jurisdiction_id = %(j)s),
share AS (
  SELECT *, greatest(0.02, least(0.99, bay_curve[local_hour + 1] + sensor_bias + hour_noise
           + CASE WHEN weekend AND local_hour < 12 THEN -0.15
                  WHEN weekend AND local_hour >= 19 THEN 0.05 ELSE 0 END)) AS occupied_share,
         greatest(0, ap_curve[local_hour + 1] * (1 + 5 * sensor_bias) * (1 + 3 * hour_noise)
           * CASE WHEN weekend THEN 1.2 ELSE 1 END) AS clients,
         round(traffic_curve[local_hour + 1] * (1 + 3 * sensor_bias) * (1 + hour_noise)
           * CASE WHEN NOT weekend THEN 1 WHEN summer THEN %(summer_weekend)s
                  ELSE %(winter_weekend)s END) AS vehicles
  FROM shaped)
INSERT INTO sensor_hourly (sensor, hour, jurisdiction_id, readings, occupied, value_avg, value_max,
                           value_sum)
SELECT sensor, hour, %(j)s, %(readings)s,
       CASE kind WHEN 'bay' THEN round(%(readings)s * occupied_share)::int ELSE 0 END,
       CASE kind WHEN 'lot' THEN round((capacity * (1 - occupied_share))::numeric, 1)
                 WHEN 'ap' THEN round(clients::numeric, 1)
                 WHEN 'camera' THEN round((vehicles / %(readings)s)::numeric, 1) END,
       CASE kind WHEN 'lot' THEN least(capacity, ceil(capacity * (1.05 - occupied_share)))::int
                 WHEN 'ap' THEN ceil(clients * 1.5)::int
                 WHEN 'camera' THEN ceil(vehicles / %(readings)s * 1.4)::int END,
       CASE kind WHEN 'camera' THEN vehicles::bigint END
FROM share
ON CONFLICT (sensor, hour) DO NOTHING
"""


def add_demo_history(cur, jurisdiction: str, days: int = DAYS) -> int:
    """Hourly aggregates of a municipality's sensors for the ``days`` before this hour (rows
    added; an hour already aggregated is kept as it is)."""
    cur.execute(HISTORY_SQL, {"j": jurisdiction, "days": days, "readings": READINGS_PER_HOUR,
                              "bay_curve": list(BAY_CURVE), "ap_curve": list(AP_CURVE),
                              "traffic_curve": list(TRAFFIC_CURVE), "summer": list(SUMMER_MONTHS),
                              "summer_weekend": SUMMER_WEEKEND,
                              "winter_weekend": WINTER_WEEKEND})
    return cur.rowcount


# each occupied paying bay (PAID_SHARE of them, by a hash of its id) paid from when it was
# taken until 1–3 hours from now; no plate (the demo holds nobody's)
PAYMENTS_SQL = """
INSERT INTO parking_sessions (jurisdiction_id, session_ref, bay_id, plate, starts_at, ends_at)
SELECT b.jurisdiction_id, 'demo-' || b.bay_id, b.bay_id, NULL,
       least(coalesce(b.state_since, now()), now()),
       now() + make_interval(mins => 60 + abs(hashtext(b.bay_id || 'stay')) %% 120)
FROM parking_bays b
WHERE b.jurisdiction_id = %(j)s AND b.occupancy_state = 'occupied' AND b.tariff_eur_h > 0
  AND b.bay_type = 'regular' AND abs(hashtext(b.bay_id)) %% 1000 < %(paid)s * 1000
ON CONFLICT ON CONSTRAINT parking_sessions_natural_key DO UPDATE
  SET starts_at = excluded.starts_at, ends_at = excluded.ends_at
"""


def add_demo_payments(cur, jurisdiction: str) -> int:
    """A running paid session for most occupied paying bays of a municipality (rows added)."""
    cur.execute(PAYMENTS_SQL, {"j": jurisdiction, "paid": PAID_SHARE})
    return cur.rowcount
