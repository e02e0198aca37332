"""The layers published as data: their catalogue entries and their tables (all SQL of it).

A published layer's table is made as a declared layer's is by the migrations: the columns and
constraints of gis/schema.py, then what migrations 0002, 0007, 0016, 0021 and 0026 give every
layer table (data version, audit trail, row-level security by municipality, change events,
modification times). Identifiers come from a checked specification (importers/publish.py,
layers/spec.py) and are quoted by psycopg2's ``sql.Identifier``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from psycopg2 import sql
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable, SetColumnComment, SetTableComment

from gis.app_role import APP_ROLE
from gis.schema import published_layer_tables
from layers.model import Field, Layer
from layers.spec import layer_from_spec, layer_to_spec

# with its time: a restored backup may bring back a number this process saw with other entries
VERSION_SQL = "SELECT version, changed_at FROM catalogue_version"
ENTRIES_SQL = ("SELECT id, spec, retired_at, created_at, updated_at, created_by "
               "FROM published_layers ORDER BY created_at, id")
ENTRY_SQL = ("SELECT id, spec, retired_at, created_at, updated_at, created_by "
             "FROM published_layers WHERE id = %s FOR UPDATE")
INSERT_SQL = "INSERT INTO published_layers (id, spec, created_by) VALUES (%s, %s, %s)"
UPDATE_SPEC_SQL = "UPDATE published_layers SET spec = %s, updated_at = now() WHERE id = %s"
RETIRE_SQL = ("UPDATE published_layers SET retired_at = CASE WHEN %s THEN now() END, "
              "updated_at = now() WHERE id = %s")
DELETE_SQL = "DELETE FROM published_layers WHERE id = %s"
AUDIT_SQL = ("INSERT INTO audit_log (jurisdiction_id, actor, table_name, operation, before, after) "
             "VALUES (NULL, %s, 'published_layers', %s, %s, %s)")
# the words PostgreSQL reserves (or reserves in places): no layer or field is named so
KEYWORDS_SQL = "SELECT word FROM pg_get_keywords() WHERE catcode <> 'U'"
TABLE_EXISTS_SQL = "SELECT to_regclass(%s) IS NOT NULL"

# what every layer table has (0002, 0007, 0021; 0026 for editable layers)
TRIGGERS = (
    "CREATE TRIGGER {note} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
    "FOR EACH STATEMENT EXECUTE FUNCTION dimos_note_layer_change()",
    "CREATE TRIGGER {audit} AFTER INSERT OR UPDATE OR DELETE ON {table} "
    "FOR EACH ROW EXECUTE FUNCTION dimos_audit()",
    "CREATE TRIGGER {change} AFTER INSERT OR UPDATE OR DELETE ON {table} "
    "FOR EACH ROW EXECUTE FUNCTION dimos_note_feature_change()",
)
MODIFIED_TRIGGER = ("CREATE TRIGGER {modified} BEFORE INSERT OR UPDATE ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION dimos_note_modified()")
# 0016: everyone reads the public table, only a municipality's principals its private one;
# writes only within the municipalities the transaction acts in
ACTS = "dimos_acts_in(jurisdiction_id)"
POLICIES = (
    "CREATE POLICY {read} ON {table} FOR SELECT USING ({readable})",
    f"CREATE POLICY {{insert}} ON {{table}} FOR INSERT WITH CHECK ({ACTS})",
    f"CREATE POLICY {{update}} ON {{table}} FOR UPDATE USING ({ACTS}) WITH CHECK ({ACTS})",
    f"CREATE POLICY {{delete}} ON {{table}} FOR DELETE USING ({ACTS})",
)


@dataclass(frozen=True)
class Entry:
    """A catalogue entry: the layer, and its life so far."""

    layer: Layer
    retired_at: datetime | None
    created_at: datetime
    updated_at: datetime
    created_by: str

    @property
    def retired(self) -> bool:
        return self.retired_at is not None


def _entry(row) -> Entry:
    return Entry(layer_from_spec(row[1]), row[2], row[3], row[4], row[5])


def catalogue_version(cur) -> tuple:
    cur.execute(VERSION_SQL)
    return cur.fetchone()


def entries(cur) -> list[Entry]:
    """Every published layer, retired ones too, in publishing order."""
    cur.execute(ENTRIES_SQL)
    return [_entry(row) for row in cur.fetchall()]


def entry_for_update(cur, layer_id: str) -> Entry | None:
    """The entry ``layer_id``, locked for the transaction; None if there is none."""
    cur.execute(ENTRY_SQL, (layer_id,))
    row = cur.fetchone()
    return _entry(row) if row else None


def sql_keywords(cur) -> set[str]:
    cur.execute(KEYWORDS_SQL)
    return {row[0] for row in cur.fetchall()}


def table_exists(cur, name: str) -> bool:
    cur.execute(TABLE_EXISTS_SQL, (sql.Identifier(name).as_string(cur),))
    return cur.fetchone()[0]


def _ddl(cur, statement) -> None:
    cur.execute(str(statement.compile(dialect=postgresql.dialect())))


#: each statement's named object: ``{table}_<suffix>``, as the migrations name them
NAME_SUFFIXES = {"note": "note_change", "audit": "audit", "change": "feature_change",
                 "modified": "modified", "read": "read", "insert": "insert", "update": "update",
                 "delete": "delete"}


def _named(statement: str, table: str) -> sql.Composed:
    return sql.SQL(statement).format(
        table=sql.Identifier(table),
        readable=sql.SQL(ACTS if table.endswith("_private") else "true"),
        **{key: sql.Identifier(f"{table}_{suffix}") for key, suffix in NAME_SUFFIXES.items()})


def create_tables(cur, layer: Layer) -> None:
    """The layer's table (and private table), with its triggers, policies and grants."""
    for table in published_layer_tables(layer):
        _ddl(cur, CreateTable(table))
        for index in table.indexes:
            _ddl(cur, CreateIndex(index))
        _ddl(cur, SetTableComment(table))
        for column in table.columns:
            if column.comment:
                _ddl(cur, SetColumnComment(column))
        statements = list(POLICIES)
        if table.name == layer.table:
            statements += TRIGGERS + ((MODIFIED_TRIGGER,) if layer.editable else ())
        cur.execute(sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(
            sql.Identifier(table.name)))
        for statement in statements:
            cur.execute(_named(statement, table.name))
        cur.execute(sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON {} TO {}").format(
            sql.Identifier(table.name), sql.Identifier(APP_ROLE)))


#: the catalogue's field types as PostgreSQL's (gis/schema.py's SQLAlchemy types, spelled out)
COLUMN_TYPES = {"text": "text", "integer": "integer", "bigint": "bigint",
                "real": "double precision", "boolean": "boolean", "date": "date",
                "timestamptz": "timestamp with time zone", "text[]": "text[]"}


def add_column(cur, layer: Layer, added: Field) -> None:
    """A new optional public field's column."""
    cur.execute(sql.SQL("ALTER TABLE {} ADD COLUMN {} {}").format(
        sql.Identifier(layer.table), sql.Identifier(added.name),
        sql.SQL(COLUMN_TYPES[added.type])))


def make_editable(cur, layer: Layer) -> None:
    """What an editable layer's table has besides (0026): each feature's modification time."""
    cur.execute(sql.SQL("ALTER TABLE {} ADD COLUMN modified_at timestamp with time zone "
                        "NOT NULL DEFAULT date_trunc('second', now())").format(
        sql.Identifier(layer.table)))
    cur.execute(_named(MODIFIED_TRIGGER, layer.table))


def drop_tables(cur, layer: Layer) -> None:
    """The layer's tables, gone (the private one first: it points at the public one)."""
    for table in reversed(published_layer_tables(layer)):
        cur.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(table.name)))


def _audit(cur, actor: str, operation: str, before: Layer | None, after: Layer | None) -> None:
    cur.execute(AUDIT_SQL, (actor, operation,
                            json.dumps(layer_to_spec(before)) if before else None,
                            json.dumps(layer_to_spec(after)) if after else None))


def insert_entry(cur, layer: Layer, actor: str) -> None:
    cur.execute(INSERT_SQL, (layer.id, json.dumps(layer_to_spec(layer)), actor))
    _audit(cur, actor, "PUBLISH", None, layer)


def update_entry(cur, before: Layer, after: Layer, actor: str) -> None:
    cur.execute(UPDATE_SPEC_SQL, (json.dumps(layer_to_spec(after)), after.id))
    _audit(cur, actor, "UPDATE", before, after)


def set_retired(cur, layer: Layer, retired: bool, actor: str) -> None:
    cur.execute(RETIRE_SQL, (retired, layer.id))
    _audit(cur, actor, "RETIRE" if retired else "RESTORE", layer, layer)


def delete_entry(cur, layer: Layer, actor: str) -> None:
    cur.execute(DELETE_SQL, (layer.id,))
    _audit(cur, actor, "DELETE", layer, None)
