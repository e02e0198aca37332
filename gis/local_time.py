"""The municipalities' local time: their days, weeks and hours, and what "today" is for them.

A server runs on UTC; a planner in Rethymno at 01:00 on the 4th asks about the 4th, while UTC
is still on the 3rd.
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

TIME_ZONE = "Europe/Athens"
LOCAL_TIME = ZoneInfo(TIME_ZONE)


def local_today(now: datetime | None = None) -> date:
    """The municipalities' date at ``now`` (at this moment when absent)."""
    return (now or datetime.now(UTC)).astimezone(LOCAL_TIME).date()
