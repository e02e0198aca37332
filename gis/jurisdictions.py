"""The municipalities this database holds (the Open311 API, the sensors' gateway and the
importers pick one by id, or take the only one)."""
from __future__ import annotations

IDS_SQL = "SELECT id FROM jurisdictions ORDER BY id"


def jurisdiction_ids(cur) -> list[str]:
    cur.execute(IDS_SQL)
    return [row[0] for row in cur.fetchall()]
