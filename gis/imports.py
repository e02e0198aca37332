"""SQL of file imports: provenance rows, the staging table, key checks and the final write.

One import is one transaction. Appends and replaces of public-only layers COPY the checked
features straight into the layer's table (its unique key finds repeated keys; a large file
rebuilds the indexes and keys at the end: "bulk loads" below). Otherwise, and to report
repeated keys row by row, the features are COPYed into a temporary staging table, their natural
keys checked (inside the file and against the stored rows), then written into the layer by
``INSERT … SELECT`` or ``INSERT … ON CONFLICT`` (upsert). Every identifier comes from the layer
catalogue and goes through ``sql.Identifier``.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pandas as pd
import psycopg2.errors
import pyarrow as pa
import pyarrow.csv as pacsv
import shapely
from psycopg2 import sql

from gis import copy_binary
from layers.model import Layer

STAGING = sql.Identifier("import_staging")
ROW_NO = "row_no"

BOUNDARY_SQL = "SELECT ST_AsBinary(boundary) FROM jurisdictions WHERE id = %s"
COMMITTED_SQL = """
SELECT id, finished_at, added, updated FROM imports
WHERE jurisdiction_id = %s AND layer_id = %s AND sha256 = %s AND mode = %s AND status = 'committed'
ORDER BY id DESC LIMIT 1
"""
START_SQL = """
INSERT INTO imports (jurisdiction_id, file_name, sha256, layer_id, mode, actor, source_crs,
                     started_at, status)
VALUES (%(jurisdiction_id)s, %(file_name)s, %(sha256)s, %(layer_id)s, %(mode)s, %(actor)s,
        %(source_crs)s, %(started_at)s, %(status)s)
RETURNING id
"""
FINISH_SQL = """
UPDATE imports SET finished_at = clock_timestamp(), status = %(status)s, added = %(added)s,
    updated = %(updated)s, unchanged = %(unchanged)s, deleted = %(deleted)s,
    rejected = %(rejected)s, repaired = %(repaired)s, skipped = %(skipped)s, report = %(report)s
WHERE id = %(id)s
"""


RECENT_SQL = """
SELECT coalesce(json_agg(json_build_object(
    'id', id, 'jurisdiction', jurisdiction_id, 'file_name', file_name, 'sha256', sha256,
    'layer', layer_id, 'mode', mode, 'actor', actor, 'source_crs', source_crs,
    'started_at', started_at, 'finished_at', finished_at, 'status', status, 'added', added,
    'updated', updated, 'unchanged', unchanged, 'deleted', deleted, 'rejected', rejected,
    'repaired', repaired, 'skipped', skipped) ORDER BY id DESC), '[]'::json)
FROM (SELECT * FROM imports WHERE (%(layer)s::text IS NULL OR layer_id = %(layer)s)
        AND (%(jurisdictions)s::text[] IS NULL OR jurisdiction_id = ANY(%(jurisdictions)s))
      ORDER BY id DESC LIMIT %(limit)s) AS recent
"""


@dataclass
class Counts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0


def boundary(cur, jurisdiction_id: str):
    """The municipality's land polygon (shapely, EPSG:2100), or None if there is no such one."""
    cur.execute(BOUNDARY_SQL, (jurisdiction_id,))
    row = cur.fetchone()
    return shapely.from_wkb(bytes(row[0])) if row else None


def committed_import(cur, jurisdiction_id: str, layer_id: str, sha256: str, mode: str):
    """(id, finished_at, added, updated) of the same file's committed import, or None."""
    cur.execute(COMMITTED_SQL, (jurisdiction_id, layer_id, sha256, mode))
    return cur.fetchone()


def recent_imports(cur, layer_id: str | None = None, limit: int = 100,
                   jurisdictions: list[str] | None = None) -> list[dict]:
    """The latest imports (newest first), of one layer or all, of the ``jurisdictions``
    (None: every municipality)."""
    cur.execute(RECENT_SQL, {"layer": layer_id, "limit": int(limit),
                             "jurisdictions": jurisdictions})
    return cur.fetchone()[0]


def start_import(cur, record: dict) -> int:
    """Insert the provenance row of an import; its id."""
    cur.execute(START_SQL, record)
    return cur.fetchone()[0]


def finish_import(cur, import_id: int, status: str, counts: Counts, rejected: int, repaired: int,
                  skipped: int, report: str | None) -> None:
    cur.execute(FINISH_SQL, {"id": import_id, "status": status, **vars(counts),
                             "rejected": rejected, "repaired": repaired, "skipped": skipped,
                             "report": report})


def _ids(names) -> sql.Composable:
    return sql.SQL(", ").join(map(sql.Identifier, names))


def create_staging(cur, layer: Layer) -> None:
    """A temporary table shaped like the layer's public and private columns (dropped at commit)."""
    public = [sql.SQL("l.{}").format(sql.Identifier(f.name)) for f in layer.public_fields]
    private = [sql.SQL("p.{}").format(sql.Identifier(f.name)) for f in layer.private_fields]
    source = sql.SQL("{} AS l").format(sql.Identifier(layer.table))
    if private:
        source = sql.SQL("{} CROSS JOIN {} AS p").format(source, sql.Identifier(layer.private_table))
    # geometry of any type: an attributes-only update stages points for a polygon layer
    cur.execute(sql.SQL("CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT 0::integer AS {}, {}, "
                        "l.geom::geometry AS geom FROM {} WITH NO DATA").format(
        STAGING, sql.Identifier(ROW_NO), sql.SQL(", ").join(public + private), source))


def _copy_text(value):
    """A PostgreSQL text[] literal for a list; other values as they are."""
    if isinstance(value, list):
        return "{" + ",".join('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'
                              for v in value) + "}"
    return value


def copy_rows(cur, layer: Layer, frame: pd.DataFrame, geometries, rows) -> int:
    """COPY one checked chunk (layer fields, storage-CRS geometries, row numbers) into staging."""
    data = _copy_frame(layer, frame, geometries)
    data.insert(0, ROW_NO, rows)
    return _copy(cur, STAGING, data)


@dataclass
class CopyData:
    """A chunk ready for COPY: its columns, their format (binary, or csv) and the stream."""

    columns: list[str]
    format: str
    stream: io.IOBase
    rows: int


COPY_FORMATS = {"binary": sql.SQL("binary"), "csv": sql.SQL("csv")}


def layer_copy_data(layer: Layer, frame: pd.DataFrame, geometries, jurisdiction_id: str,
                    import_id: int) -> CopyData:
    """A checked chunk as COPY data of the layer table's columns: binary (the server need not
    parse the values again), or CSV for a type copy_binary does not encode. Built apart from
    the COPY, so that Python builds the next chunk's while PostgreSQL reads this one."""
    columns = ["jurisdiction_id", "import_id", *(f.name for f in layer.fields), "geom"]
    try:
        stream = io.BytesIO(_binary(layer, frame, geometries, jurisdiction_id, import_id))
        return CopyData(columns, "binary", stream, len(frame))
    except copy_binary.Unsupported:
        data = _copy_frame(layer, frame, geometries)
        data.insert(0, "import_id", import_id)
        data.insert(0, "jurisdiction_id", jurisdiction_id)
        return CopyData(columns, "csv", _csv(data), len(data))


def _binary(layer: Layer, frame: pd.DataFrame, geometries, jurisdiction_id: str,
            import_id: int) -> bytes:
    rows = len(frame)
    return copy_binary.encode([
        copy_binary.constant_column(jurisdiction_id, "text", rows),
        copy_binary.constant_column(import_id, "bigint", rows),
        *(copy_binary.column(f.type, frame[f.name]) for f in layer.fields),
        copy_binary.geometry_column(geometries, layer.srid)])


def copies_straight_into(cur, layer: Layer) -> bool:
    """Whether COPY may write the layer's table itself: PostgreSQL refuses COPY FROM on a
    table whose row-level security applies to the connection's role (the web app's
    dimos_app), which then stages and INSERTs, as the policies allow."""
    cur.execute("SELECT NOT row_security_active(%s::regclass)", (layer.table,))
    return cur.fetchone()[0]


def copy_into_layer(cur, layer: Layer, data: CopyData) -> int:
    """COPY a chunk straight into the layer's table (a repeated key raises UniqueViolation, a
    broken table rule IntegrityError); how many rows."""
    cur.copy_expert(sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT {})").format(
        sql.Identifier(layer.table), _ids(data.columns), COPY_FORMATS[data.format]).as_string(cur),
        data.stream)
    return data.rows


def _copy_frame(layer: Layer, frame: pd.DataFrame, geometries) -> pd.DataFrame:
    """The layer's fields and ``geom`` (hex EWKB) of a checked chunk, as COPY reads them."""
    names = [f.name for f in layer.fields]
    data = frame[names].copy()
    for f in layer.fields:
        if f.type == "text[]":
            data[f.name] = data[f.name].map(_copy_text, na_action="ignore")
    data["geom"] = pd.arrays.ArrowExtensionArray(hex_ewkb(geometries, layer.srid))
    return data


def _copy(cur, table: sql.Identifier, data: pd.DataFrame) -> int:
    cur.copy_expert(sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
        table, _ids(data.columns)).as_string(cur), _csv(data))
    return len(data)


# each byte's two hex digits, as one 16-bit word (native order: the digits stay in order)
_HEX_PAIRS = np.frombuffer(b"".join(f"{b:02X}".encode() for b in range(256)), dtype=np.uint16)


def hex_ewkb(geometries: np.ndarray, srid: int) -> pa.Array:
    """Hex EWKB of each geometry with ``srid`` (PostGIS reads it as geometry text input).

    2D points (a permit, a bus stop: the files with a million rows) are encoded with numpy,
    ~20 times faster than GEOS' writer; anything else goes through GEOS.
    """
    geometries = np.asarray(geometries, dtype=object)
    coordinates = copy_binary.points_coordinates(geometries)
    if coordinates is None:
        return pa.array(shapely.to_wkb(shapely.set_srid(geometries, srid), hex=True,
                                       include_srid=True), type=pa.string())
    records = copy_binary.point_records(coordinates, srid)
    raw = records.view(np.uint8).reshape(len(records), records.dtype.itemsize)
    text = _HEX_PAIRS[raw].view(np.uint8)
    offsets = np.arange(0, text.size + 1, text.shape[1], dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), len(records),
                                 [None, pa.py_buffer(offsets), pa.py_buffer(text)])


def _csv(data: pd.DataFrame) -> io.IOBase:
    """``data`` as CSV for COPY: NULL unquoted-empty, an empty string quoted (``""``).

    pyarrow's writer is C++ and lets go of the GIL (the import's reader thread runs meanwhile).
    """
    buffer = io.BytesIO()
    pacsv.write_csv(pa.Table.from_pandas(data, preserve_index=False), buffer,
                    pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    buffer.seek(0)
    return buffer


def _key_match(layer: Layer, left: str, right: str) -> sql.Composable:
    return sql.SQL(" AND ").join(
        sql.SQL("{}.{} = {}.{}").format(sql.Identifier(left), sql.Identifier(k),
                                        sql.Identifier(right), sql.Identifier(k))
        for k in layer.natural_key)


def duplicate_keys_in_file(cur, layer: Layer) -> list[tuple[int, tuple, int]]:
    """(row, key, first row with that key) for every repeat of a natural key in the file."""
    keys = _ids(layer.natural_key)
    cur.execute(sql.SQL("""
        SELECT row_no, ARRAY[{keys}]::text[], first_row FROM (
            SELECT row_no, {keys}, min(row_no) OVER w AS first_row, row_number() OVER w AS n
            FROM {staging} WINDOW w AS (PARTITION BY {keys} ORDER BY row_no)) AS d
        WHERE n > 1 ORDER BY row_no""").format(keys=keys, staging=STAGING))
    return [(row, tuple(key), first) for row, key, first in cur.fetchall()]


def keys_already_stored(cur, layer: Layer, jurisdiction_id: str) -> list[tuple[int, tuple]]:
    """(row, key) of the file's features whose natural key the layer already holds."""
    cur.execute(sql.SQL("""
        SELECT s.row_no, ARRAY[{keys}]::text[] FROM {staging} AS s
        JOIN {table} AS l ON l.jurisdiction_id = %s AND {match} ORDER BY s.row_no""").format(
        keys=sql.SQL(", ").join(sql.SQL("s.{}").format(sql.Identifier(k)) for k in layer.natural_key),
        staging=STAGING, table=sql.Identifier(layer.table), match=_key_match(layer, "l", "s")),
        (jurisdiction_id,))
    return [(row, tuple(key)) for row, key in cur.fetchall()]


def delete_rows(cur, layer: Layer, jurisdiction_id: str) -> int:
    """Delete the municipality's features of the layer (mode replace); how many."""
    cur.execute(sql.SQL("DELETE FROM {} WHERE jurisdiction_id = %s").format(sql.Identifier(layer.table)),
                (jurisdiction_id,))
    return cur.rowcount


def insert_staged(cur, layer: Layer, jurisdiction_id: str, import_id: int) -> int:
    """Insert the staged features (a repeated key raises UniqueViolation); how many."""
    cur.execute(sql.SQL("INSERT INTO {table} (jurisdiction_id, import_id, {cols}, geom) "
                        "SELECT %(j)s, %(i)s, {cols}, geom FROM {staging}").format(
        table=sql.Identifier(layer.table), cols=_ids(f.name for f in layer.public_fields),
        staging=STAGING), {"j": jurisdiction_id, "i": import_id})
    return cur.rowcount


def upsert_staged(cur, layer: Layer, jurisdiction_id: str, import_id: int) -> Counts:
    """Insert new keys, update changed features, leave identical ones; the counts."""
    counts = Counts()
    table = sql.Identifier(layer.table)
    public = [f.name for f in layer.public_fields]
    changing = [name for name in public if name not in layer.natural_key] + ["geom"]
    cur.execute(sql.SQL("""
        INSERT INTO {table} (jurisdiction_id, import_id, {cols}, geom)
        SELECT %(j)s, %(i)s, {cols}, geom FROM {staging}
        ON CONFLICT (jurisdiction_id, {keys}) DO UPDATE SET {sets}, import_id = EXCLUDED.import_id
        WHERE ({old}) IS DISTINCT FROM ({new})
        RETURNING (xmax = 0)""").format(
        table=table, cols=_ids(public), staging=STAGING, keys=_ids(layer.natural_key),
        sets=sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c))
                                for c in changing),
        old=sql.SQL(", ").join(sql.SQL("{}.{}").format(table, sql.Identifier(c)) for c in changing),
        new=sql.SQL(", ").join(sql.SQL("EXCLUDED.{}").format(sql.Identifier(c)) for c in changing)),
        {"j": jurisdiction_id, "i": import_id})
    written = [row[0] for row in cur.fetchall()]
    counts.added = sum(written)
    counts.updated = len(written) - counts.added
    cur.execute(sql.SQL("SELECT count(*) FROM {}").format(STAGING))
    counts.unchanged = cur.fetchone()[0] - len(written)
    return counts


def keys_not_stored(cur, layer: Layer, jurisdiction_id: str) -> list[tuple[int, tuple]]:
    """(row, key) of the staged features whose natural key the layer does not hold."""
    cur.execute(sql.SQL("""
        SELECT s.row_no, ARRAY[{keys}]::text[] FROM {staging} AS s
        WHERE NOT EXISTS (SELECT 1 FROM {table} AS l WHERE l.jurisdiction_id = %s AND {match})
        ORDER BY s.row_no""").format(
        keys=sql.SQL(", ").join(sql.SQL("s.{}").format(sql.Identifier(k)) for k in layer.natural_key),
        staging=STAGING, table=sql.Identifier(layer.table), match=_key_match(layer, "l", "s")),
        (jurisdiction_id,))
    return [(row, tuple(key)) for row, key in cur.fetchall()]


def update_attributes(cur, layer: Layer, jurisdiction_id: str, import_id: int,
                      fields: list[str]) -> Counts:
    """Set ``fields`` of the stored features from the staged ones with the same natural key;
    geometry and every other field stay as stored."""
    table = sql.Identifier(layer.table)
    columns = [name for name in fields if name not in layer.natural_key]
    cur.execute(sql.SQL("""
        UPDATE {table} AS l SET ({cols}, import_id) = ({staged}, %(i)s)
        FROM {staging} AS s
        WHERE l.jurisdiction_id = %(j)s AND {match} AND ({old}) IS DISTINCT FROM ({staged})""").format(
        table=table, staging=STAGING, match=_key_match(layer, "l", "s"),
        cols=_ids(columns),
        staged=sql.SQL(", ").join(sql.SQL("s.{}").format(sql.Identifier(c)) for c in columns),
        old=sql.SQL(", ").join(sql.SQL("l.{}").format(sql.Identifier(c)) for c in columns)),
        {"i": import_id, "j": jurisdiction_id})
    updated = cur.rowcount
    cur.execute(sql.SQL("SELECT count(*) FROM {} AS s JOIN {} AS l ON l.jurisdiction_id = %s AND {}")
                .format(STAGING, table, _key_match(layer, "l", "s")), (jurisdiction_id,))
    return Counts(updated=updated, unchanged=cur.fetchone()[0] - updated)


def write_staged(cur, layer: Layer, jurisdiction_id: str, import_id: int, mode: str) -> Counts:
    """Write all the staged features into the layer (and its private table); the counts."""
    deleted = delete_rows(cur, layer, jurisdiction_id) if mode == "replace" else 0
    if mode == "upsert":
        counts = upsert_staged(cur, layer, jurisdiction_id, import_id)
    else:
        counts = Counts(added=insert_staged(cur, layer, jurisdiction_id, import_id))
    counts.deleted = deleted
    if layer.private_fields:
        _write_private(cur, layer, jurisdiction_id)
    return counts


def _write_private(cur, layer: Layer, jurisdiction_id: str) -> None:
    """The staged private fields, joined to their features by natural key."""
    private = [f.name for f in layer.private_fields]
    cur.execute(sql.SQL("""
        INSERT INTO {private_table} (feature_id, jurisdiction_id, {cols})
        SELECT l.id, l.jurisdiction_id, {staged} FROM {staging} AS s
        JOIN {table} AS l ON l.jurisdiction_id = %s AND {match}
        ON CONFLICT (feature_id) DO UPDATE SET {sets}""").format(
        private_table=sql.Identifier(layer.private_table), cols=_ids(private),
        staged=sql.SQL(", ").join(sql.SQL("s.{}").format(sql.Identifier(c)) for c in private),
        staging=STAGING, table=sql.Identifier(layer.table), match=_key_match(layer, "l", "s"),
        sets=sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c))
                                for c in private)), (jurisdiction_id,))


# --- bulk loads ------------------------------------------------------------------------------
# A file large relative to its layer loads faster into a table without its secondary indexes
# and foreign keys: per row, a GiST insert and two foreign-key lookups cost ~10 µs, while
# rebuilding them afterwards (a sorted GiST build, one join per key) costs ~3 s a million rows.
# The drop and the rebuild are in the import's transaction, so a refused or failed import
# leaves them as they were; meanwhile the layer is locked (ACCESS EXCLUSIVE) — readers wait
# for the commit. The primary key stays (ids come in order: cheap), and so do CHECK rules.
# Dropping the foreign keys also locks ``imports`` and ``jurisdictions`` against writes (SHARE
# ROW EXCLUSIVE): another import waits for this one's commit.

#: how long a bulk load waits for the locks it needs before it takes the ordinary path
BULK_LOCK_TIMEOUT = "2s"
#: memory for rebuilding the indexes (a million points sort in ~100 MB)
BULK_MAINTENANCE_WORK_MEM = "256MB"

SECONDARY_INDEXES_SQL = """
SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index AS i
JOIN pg_class AS c ON c.oid = i.indexrelid
WHERE i.indrelid = %s::regclass AND NOT i.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint AS k WHERE k.conindid = i.indexrelid)
ORDER BY c.relname
"""
# unique keys no other table's foreign key hangs on first (they find repeated keys: fail
# early), then the table's own foreign keys
DROPPABLE_CONSTRAINTS_SQL = """
SELECT k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint AS k
WHERE k.conrelid = %s::regclass
  AND (k.contype = 'f' OR (k.contype = 'u' AND NOT EXISTS (
      SELECT 1 FROM pg_constraint AS f WHERE f.contype = 'f' AND f.conindid = k.conindid)))
ORDER BY k.contype DESC, k.conname
"""
# the per-row audit trigger: an import's transaction turns it off (dimos.audit), yet each call
# still costs ~2 µs; disabled while the table is locked, enabled again before the commit
ROW_AUDIT_TRIGGERS_SQL = """
SELECT t.tgname FROM pg_trigger AS t JOIN pg_proc AS p ON p.oid = t.tgfoid
WHERE t.tgrelid = %s::regclass AND p.proname = 'dimos_audit' AND t.tgenabled <> 'D'
  AND NOT t.tgisinternal
ORDER BY t.tgname
"""


@dataclass
class Suspended:
    """What a bulk load dropped, with the catalogue's own definitions to rebuild it."""

    constraints: list[tuple[str, str]]  # (name, pg_get_constraintdef)
    indexes: list[tuple[str, str]]  # (name, pg_get_indexdef)
    triggers: list[str]  # the per-row audit, disabled


def stored_rows(cur, layer: Layer) -> int:
    """How many features the layer's table holds (every municipality)."""
    cur.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(layer.table)))
    return cur.fetchone()[0]


def suspend_keys_and_indexes(cur, layer: Layer) -> Suspended | None:
    """Drop the layer's secondary indexes, unique keys and foreign keys, and disable its
    per-row audit, for a bulk load; None (nothing changed) when the locks are not granted
    within BULK_LOCK_TIMEOUT, or the database role does not own the table."""
    cur.execute("SAVEPOINT bulk_load")
    cur.execute("SELECT current_setting('lock_timeout'), set_config('lock_timeout', %s, true)",
                (BULK_LOCK_TIMEOUT,))
    lock_timeout = cur.fetchone()[0]
    table = sql.Identifier(layer.table)
    try:
        cur.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(table))
        cur.execute(DROPPABLE_CONSTRAINTS_SQL, (layer.table,))
        constraints = cur.fetchall()
        cur.execute(SECONDARY_INDEXES_SQL, (layer.table,))
        indexes = cur.fetchall()
        cur.execute(ROW_AUDIT_TRIGGERS_SQL, (layer.table,))
        triggers = [name for name, in cur.fetchall()]
        for name, _ in constraints:
            cur.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(table, sql.Identifier(name)))
        for name, _ in indexes:
            cur.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
        for name in triggers:
            cur.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER {}").format(table, sql.Identifier(name)))
    except (psycopg2.errors.LockNotAvailable, psycopg2.errors.DeadlockDetected,
            psycopg2.errors.InsufficientPrivilege):  # a role that may write but not alter
        cur.execute("ROLLBACK TO SAVEPOINT bulk_load")  # the lock_timeout set above with it
        return None
    cur.execute("SELECT set_config('lock_timeout', %s, true)", (lock_timeout,))
    cur.execute("RELEASE SAVEPOINT bulk_load")
    return Suspended(constraints, indexes, triggers)


def restore_keys_and_indexes(cur, layer: Layer, suspended: Suspended) -> None:
    """Rebuild what :func:`suspend_keys_and_indexes` dropped (a repeated natural key raises
    UniqueViolation here, a dangling reference ForeignKeyViolation)."""
    cur.execute("SELECT set_config('maintenance_work_mem', %s, true)", (BULK_MAINTENANCE_WORK_MEM,))
    table = sql.Identifier(layer.table)
    for name in suspended.triggers:
        cur.execute(sql.SQL("ALTER TABLE {} ENABLE TRIGGER {}").format(table, sql.Identifier(name)))
    for name, definition in suspended.constraints:
        # the definition is the catalogue's own text for this constraint, not an input
        cur.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(table, sql.Identifier(name))
                    + sql.SQL(definition))
    for _, definition in suspended.indexes:
        cur.execute(sql.SQL(definition))


AUDIT_IMPORT_SQL = """
INSERT INTO audit_log (jurisdiction_id, actor, table_name, operation, row_id, before, after)
SELECT jurisdiction_id, actor, 'imports', 'INSERT', id, NULL, to_jsonb(imports) FROM imports
WHERE id = %s
"""


def audit_import(cur, import_id: int) -> None:
    """One audit row for a committed import (its features are not audited one by one: the
    ``imports`` row says who wrote what, and each feature carries its ``import_id``)."""
    cur.execute(AUDIT_IMPORT_SQL, (import_id,))
