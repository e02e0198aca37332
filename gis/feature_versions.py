"""A feature's version: a hash of its stored public state (municipality, public properties,
geometry), so any change by any path (the OGC API, an import, the CLI) changes it, and a write
that stores the same values does not. No column to keep up: bulk loads pay nothing."""
from __future__ import annotations

from psycopg2 import sql

from layers.model import Layer

VERSION_SQL = "SELECT md5(ROW({columns})::text) FROM {table} WHERE id = %s"


def feature_version(cur, layer: Layer, feature_id: int) -> str | None:
    """The version of feature ``feature_id`` as the caller's transaction sees it; None if none."""
    columns = ["jurisdiction_id", *(f.name for f in layer.public_fields), "geom"]
    cur.execute(sql.SQL(VERSION_SQL).format(
        columns=sql.SQL(", ").join(map(sql.Identifier, columns)),
        table=sql.Identifier(layer.table)), (int(feature_id),))
    row = cur.fetchone()
    return row[0] if row else None
