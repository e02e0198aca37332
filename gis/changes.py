"""The outbox of feature changes (table ``feature_changes``, filled by the row triggers of
migration 0021): what the relay has still to publish, marking it published, pruning it.

One relay publishes at a time (a transaction-scoped advisory lock), so two servers on one
database neither publish a change twice nor out of order.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

#: the NOTIFY channel the trigger signals at each commit that wrote changes
CHANNEL = "dimos_feature_changes"
#: published changes are kept this long (for an operator's look), then pruned
KEEP_PUBLISHED_DAYS = 7

RELAY_LOCK_SQL = "SELECT pg_try_advisory_xact_lock(hashtext('dimos feature changes relay'))"
PENDING_SQL = """
SELECT id, event_id::text, jurisdiction_id, table_name, feature_id, geometry_type, operation,
       feature, changed_at
FROM feature_changes WHERE published_at IS NULL ORDER BY id LIMIT %s
"""
MARK_PUBLISHED_SQL = "UPDATE feature_changes SET published_at = clock_timestamp() WHERE id = ANY(%s)"
PRUNE_SQL = """
DELETE FROM feature_changes
WHERE published_at < clock_timestamp() - make_interval(days => %s)
"""


@dataclass(frozen=True)
class Change:
    """One feature change as the trigger recorded it."""

    id: int
    event_id: str
    jurisdiction: str
    table: str
    feature_id: int
    geometry_type: str | None
    operation: str  # created, updated, deleted
    feature: dict | None  # {"geometry": GeoJSON in CRS84, "properties": columns}; None: deleted
    changed_at: datetime


def take_relay_turn(cur) -> bool:
    """True if this transaction is the one relay publishing now (held until it ends)."""
    cur.execute(RELAY_LOCK_SQL)
    return cur.fetchone()[0]


def pending_changes(cur, limit: int) -> list[Change]:
    """The oldest ``limit`` changes not yet published, in the order they were written."""
    cur.execute(PENDING_SQL, (int(limit),))
    return [Change(*row) for row in cur.fetchall()]


def mark_published(cur, ids: list[int]) -> None:
    cur.execute(MARK_PUBLISHED_SQL, (list(ids),))


def prune_published(cur, keep_days: int = KEEP_PUBLISHED_DAYS) -> int:
    """Delete changes published more than ``keep_days`` ago; how many."""
    cur.execute(PRUNE_SQL, (int(keep_days),))
    return cur.rowcount
