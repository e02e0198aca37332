"""Sliding-window rate limits kept in PostgreSQL (so every worker counts the same hits).

One row per accepted hit; a hit is refused when the last ``window_s`` seconds already hold
``limit`` of them, and the wait is until the oldest of those leaves the window. Unlike clock
minutes, a burst at :59 and another at :01 are counted together.
"""
from __future__ import annotations

import math
import random

LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))"
RECENT_SQL = """
SELECT EXTRACT(EPOCH FROM at + make_interval(secs => %(window)s) - clock_timestamp())
FROM rate_limit_hits
WHERE client = %(client)s AND bucket = %(bucket)s
  AND at > clock_timestamp() - make_interval(secs => %(window)s)
ORDER BY at
"""
HIT_SQL = "INSERT INTO rate_limit_hits (client, bucket, at) VALUES (%s, %s, clock_timestamp())"
PRUNE_SQL = "DELETE FROM rate_limit_hits WHERE at < clock_timestamp() - interval '10 minutes'"


def hit(cur, client: str, bucket: str, limit: int, window_s: int = 60) -> int | None:
    """Count one hit of ``client`` on ``bucket``; None when allowed, else the whole seconds
    to wait until one is (the hit is then not counted: waiting is what frees the client)."""
    # one transaction at a time per client and bucket: two workers cannot both take the last
    cur.execute(LOCK_SQL, (f"{bucket} {client}",))
    cur.execute(RECENT_SQL, {"client": client, "bucket": bucket, "window": window_s})
    leaving = [float(row[0]) for row in cur.fetchall()]  # seconds until each hit leaves
    if len(leaving) >= limit:
        return max(1, math.ceil(leaving[len(leaving) - limit]))
    cur.execute(HIT_SQL, (client, bucket))
    if random.random() < 0.01:
        cur.execute(PRUNE_SQL)
    return None
