"""A feature's version: a hash of its stored public state (municipality, public properties,
geometry), so any change by any path (the OGC API, an import, the CLI) changes it, and a write
that stores the same values does not. No column to keep up: bulk loads pay nothing. An editable
layer's features also carry the time of their last change (``modified_at``, migration 0026),
the timestamp variant of optimistic locking."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from psycopg2 import sql

from layers.model import Layer

STATE_SQL = "SELECT md5(ROW({columns})::text), {modified} FROM {table} WHERE id = %s"


@dataclass(frozen=True)
class FeatureState:
    """What a conditional write compares: the stored version (the ETag) and, for an editable
    layer, when the feature last changed (Last-Modified, whole seconds)."""

    version: str
    modified_at: datetime | None


def feature_state(cur, layer: Layer, feature_id: int) -> FeatureState | None:
    """Feature ``feature_id`` as the caller's transaction sees it; None if there is none."""
    columns = ["jurisdiction_id", *(f.name for f in layer.public_fields), "geom"]
    cur.execute(sql.SQL(STATE_SQL).format(
        columns=sql.SQL(", ").join(map(sql.Identifier, columns)),
        modified=sql.Identifier("modified_at") if layer.editable else sql.SQL("NULL"),
        table=sql.Identifier(layer.table)), (int(feature_id),))
    row = cur.fetchone()
    return FeatureState(*row) if row else None

