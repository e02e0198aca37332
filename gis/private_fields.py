"""A layer's private fields (``<layer>_private``) for features already selected: what a staff
export of personal data adds to the public record, one municipality at a time."""
from __future__ import annotations

from psycopg2 import sql

from layers.model import Layer

#: private fields that are credentials, not data: never exported, whoever asks
#: (``submission_token`` answers GET tokens/{token} for the app that filed the request)
CREDENTIALS = frozenset({"submission_token"})


def exported_private_fields(layer: Layer) -> list[str]:
    """The names of ``layer``'s private fields an export of personal data carries."""
    return [f.name for f in layer.private_fields if f.name not in CREDENTIALS]


def private_values(cur, layer: Layer, jurisdiction_id: str,
                   feature_ids: list[int]) -> dict[int, dict]:
    """Feature id → its private fields, for the features of ``jurisdiction_id`` among
    ``feature_ids`` (a feature with no private row is absent). Row-level security keeps the
    private table to the transaction's municipalities whatever is asked."""
    names = exported_private_fields(layer)
    if not names or not feature_ids:
        return {}
    query = sql.SQL("SELECT feature_id, {} FROM {} WHERE jurisdiction_id = %s "
                    "AND feature_id = ANY(%s)").format(
        sql.SQL(", ").join(sql.Identifier(name) for name in names),
        sql.Identifier(layer.private_table))
    cur.execute(query, (jurisdiction_id, [int(i) for i in feature_ids]))
    return {row[0]: dict(zip(names, row[1:], strict=True)) for row in cur.fetchall()}
