"""One import, start to end: read → CRS → fields → checks → one transaction → provenance.

Nothing is committed unless every feature passes (or is repaired, or left out on request):
the features are checked chunk by chunk and written inside one transaction, which any
rejection rolls back. The reject report lists every finding; a refused import is recorded in
``imports`` with status 'refused' (in a transaction of its own). Scans (images) take their own
path (importers/raster_import.py).
"""
from __future__ import annotations

import errno
import hashlib
import shutil
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg2
import psycopg2.errors

import layers
from gis import catalogue, db, published_layers
from gis import imports as sqlio
from gis.db import connect
from gis.errors import DimosError, ImportRefused, StorageFull
from gis.jurisdictions import jurisdiction_ids
from gis.roles import Principal
from importers import crs as crsmod
from importers.archives import ArchiveLimits
from importers.checks import check_geometries, municipality_area
from importers.fields import check_constants, column_plan, map_fields
from importers.raster_import import LAYER_ID as SCANS
from importers.raster_import import import_scan
from importers.rasters import is_raster
from importers.report import REJECTED, REPAIRED, SKIPPED, Finding, summary, write_report
from importers.sources import CHUNK_SIZE, ROW, SHAPEFILE_PARTS, file_kind, make_workdir, open_source
from importers.writer import ChunkWriter
from layers.model import Layer

MODES = ("append", "upsert", "replace")
#: the kernel's ways of saying there is no room (as dimos/app.py answers them: 507)
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
#: a streamed file of at least this many features, and at least BULK_SHARE of the features
#: already stored, is bulk loaded: the layer's indexes and keys are rebuilt, not updated row
#: by row (gis/imports.py, "bulk loads")
BULK_MIN_FEATURES = 50_000
BULK_SHARE = 0.5


@dataclass
class ImportOptions:
    path: Path
    layer_id: str
    crs: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    mode: str = "append"
    dry_run: bool = False
    jurisdiction: str | None = None
    source_layer: str | None = None
    source_layers: tuple[str, ...] = ()  # more than one: CAD layers of a DXF
    entity_types: tuple[str, ...] = ()  # DXF entity types to read (importers/dxf.py); () all
    encoding: str | None = None
    skip_outside: bool = False
    actor: str = "cli"
    fallback_report_dir: Path = Path(".dimos/imports")
    chunk_size: int = CHUNK_SIZE
    #: update the stored features' attributes by natural key; geometry kept (the file's only
    #: places the feature in the municipality), features not stored left out
    attributes_only: bool = False
    file_name: str | None = None  # the name to record (an upload's original name)
    #: where a scan's COG is made (the COG itself is stored in the database, migration 0027)
    raster_work_dir: Path = Path(".dimos/rasters")
    archive_limits: ArchiveLimits = field(default_factory=ArchiveLimits)  # what a zip may hold
    #: who imports over the web: the municipalities PostgreSQL lets the import write in
    #: (row-level security); None for the command line, which connects as the owner
    principal: Principal | None = None
    #: a layer to publish (importers/publish.py): its table and catalogue entry are made in
    #: the import's transaction, so a refused file leaves no layer behind
    new_layer: Layer | None = None


@dataclass
class ImportResult:
    import_id: int | None
    jurisdiction_id: str
    layer_id: str
    sha256: str
    source_crs: str | None = None
    read: int = 0
    counts: sqlio.Counts = field(default_factory=sqlio.Counts)
    repaired: int = 0
    skipped: int = 0
    report: Path | None = None
    already_imported: bool = False
    dry_run: bool = False
    road_vertices: int | None = None
    not_selected: int = 0  # DXF entities left out by --source-layer/--entity-types
    labels: int = 0  # DXF texts that became a polygon's label


def file_sha256(path: Path) -> str:
    """SHA-256 of the file; of a shapefile, of all its parts (the .shp alone is geometry only)."""
    parts = [path]
    if path.suffix.lower() == ".shp":
        parts = sorted((p for p in path.parent.glob(path.stem + ".*")
                        if p.suffix.lower() in SHAPEFILE_PARTS), key=lambda p: p.suffix.lower())
    digest = hashlib.sha256()
    for part in parts:
        with part.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _jurisdiction(cur, asked: str | None) -> str:
    known = jurisdiction_ids(cur)
    if asked:
        if asked not in known:
            raise ImportRefused(f"--jurisdiction {asked}: no such municipality; known: "
                                f"{', '.join(known) or 'none'}")
        return asked
    if len(known) != 1:
        raise ImportRefused("the database holds " + (f"{len(known)} municipalities ({', '.join(known)})"
                            if known else "no municipality") + ": say which with --jurisdiction")
    return known[0]


def _layer(url: str, layer_id: str) -> Layer:
    """The layer ``layer_id``: declared, or published (read from the database if this process
    has not seen it yet); ImportRefused naming the known ids otherwise."""
    try:
        return layers.get(layer_id)
    except KeyError:
        with connect(url) as conn, conn.cursor() as cur:
            catalogue.refresh(cur, force=True)
        conn.close()
    try:
        return layers.get(layer_id)
    except KeyError as exc:
        raise ImportRefused(f"{exc.args[0]}, {SCANS}") from None


def run_import(url: str, options: ImportOptions) -> ImportResult:
    """Import ``options.path`` into ``options.layer_id``; ImportRefused (nothing written) if not."""
    layer = options.new_layer or (_layer(url, options.layer_id) if options.layer_id != SCANS
                                  else None)
    if options.mode not in MODES:
        raise ImportRefused(f"--mode {options.mode}: one of {', '.join(MODES)}")
    if options.attributes_only and options.mode != "upsert":
        raise ImportRefused("--attributes-only updates stored features: use it with --mode upsert")
    path = Path(options.path)
    if not path.is_file():
        raise ImportRefused(f"{path}: no such file")
    if layer is not None and is_raster(path):
        raise ImportRefused(f"{path.name}: an image goes into --layer {SCANS}, not {layer.id}")
    if layer is None and not is_raster(path):
        raise ImportRefused(f"{path.name}: {SCANS} takes georeferenced images (.tif, .jpg, .png)")
    kind = "raster" if layer is None else file_kind(path)
    if layer is not None:
        check_constants(layer, options.constants)
    sha256 = file_sha256(path)
    conn = connect(url)
    workdir = make_workdir()
    try:
        if options.principal is not None:
            db.act_for_session(conn, options.principal)
        return _run(conn, layer, path, kind, sha256, workdir, options)
    except ImportRefused as error:
        # GDAL's and zipfile's words may name the unpacked copy: say the file the user gave
        error.message = error.message.replace(str(workdir), path.name)
        error.args = (error.message,)
        raise
    except (DimosError, psycopg2.Error):
        raise
    except OSError as exc:
        if exc.errno in DISK_FULL:  # unpacking a zip or writing the report: 507, not the file's fault
            raise StorageFull("the server's disk is full: nothing imported; try again later",
                              detail=repr(exc)) from None
        raise ImportRefused(f"{path.name}: nothing imported: dimos cannot read this file "
                            f"({exc.strerror or type(exc).__name__})", detail=repr(exc)) from None
    except Exception as exc:  # a value no check foresaw: refused with nothing written, never a
        # crash; the traceback goes to the log (the API) or DIMOS_DEBUG (the CLI), not the user
        raise ImportRefused(f"{path.name}: nothing imported: dimos cannot read a value of this "
                            f"file ({type(exc).__name__}); the server log has the detail",
                            detail=traceback.format_exc()) from None
    finally:
        conn.rollback()
        conn.close()
        shutil.rmtree(workdir, ignore_errors=True)


def _run(conn, layer, path: Path, kind: str, sha256: str, workdir: Path,
         options: ImportOptions) -> ImportResult:
    """The import proper, on an open connection (the caller rolls back and cleans up)."""
    with conn.cursor() as cur:
        jurisdiction_id = _jurisdiction(cur, options.jurisdiction)
        layer_id = layer.id if layer else SCANS
        result = ImportResult(None, jurisdiction_id, layer_id, sha256, dry_run=options.dry_run)
        done = sqlio.committed_import(cur, jurisdiction_id, layer_id, sha256, options.mode)
        # a layer of this id deleted after an import of this file: publishing imports it anew
        if done and not options.dry_run and options.new_layer is None:
            result.import_id, result.already_imported = done[0], True
            return result
        if kind == "raster":
            import_scan(cur, conn, options, result, path)
            return result
        _import_vectors(cur, conn, layer, path, kind, workdir, options, result)
        return result


def _import_vectors(cur, conn, layer, path: Path, kind: str, workdir: Path,
                    options: ImportOptions, result: ImportResult, streaming: bool = True) -> None:
    """Read, check and write a vector file; commits unless a dry run or refused.

    Appends and replaces of public-only layers stream: each checked chunk is written while
    the next is read (importers/writer.py), a large file with the layer's indexes and keys
    rebuilt at the end rather than updated row by row. When the database then refuses a
    repeated key,
    the file is imported again the careful way — staged whole, keys compared row by row — for
    the report. Upserts, layers with private fields and uploads through the web app (whose
    role row-level security confines: COPY into the table is refused) go the careful way.
    """
    if options.new_layer is not None:  # again after a rollback (the careful way, below)
        _create_layer(cur, layer, options.actor)
    streaming = streaming and options.mode in ("append", "replace") and not layer.private_fields
    streaming = streaming and not options.attributes_only and sqlio.copies_straight_into(cur, layer)
    if kind == "OSM":
        from importers.osm_import import osm_source

        source = osm_source(path, layer, workdir)
    else:
        chosen = [*([options.source_layer] if options.source_layer else []), *options.source_layers]
        if kind == "DXF":  # CAD layers: repeated or comma-separated
            chosen = [name.strip() for value in chosen for name in value.split(",") if name.strip()]
        source = open_source(path, workdir, encoding=options.encoding, limits=options.archive_limits,
                             cad_layers=tuple(chosen), entity_types=options.entity_types)
        result.not_selected, result.labels = source.not_selected, source.labels
    crs = crsmod.resolve_crs(path.name, source.crs, options.crs)
    result.source_crs = crsmod.describe(crs)
    plan = column_plan(layer, source.columns, options.mapping, options.constants, path.name,
                       attributes_only=options.attributes_only)
    updating = [f.name for f in layer.public_fields
                if (plan.get(f.name) or f.name in options.constants) and f.name not in layer.natural_key]
    if options.attributes_only and not updating:
        raise ImportRefused(f"{path.name}: --attributes-only with nothing to update: map a field "
                            "besides the natural key")
    area = municipality_area(sqlio.boundary(cur, result.jurisdiction_id))
    _start(cur, layer, options, result, source.path.name)
    writer = suspended = None
    if streaming:
        if options.mode == "replace":
            result.counts.deleted = sqlio.delete_rows(cur, layer, result.jurisdiction_id)
        if _worth_a_bulk_load(cur, layer, source.features):
            suspended = sqlio.suspend_keys_and_indexes(cur, layer)
        writer = ChunkWriter(cur, layer, result.jurisdiction_id, result.import_id)
        sink = writer.put
    else:
        def sink(values, geometries, rows):
            sqlio.copy_rows(cur, layer, values, geometries, rows)
    try:
        findings = _stage(layer, source, crs, plan, options, result, area, sink)
    finally:
        error = _close(writer, result)
    if error is None and suspended is not None and not any(f.outcome == REJECTED for f in findings):
        error = _restore(cur, layer, suspended)
    if error is not None and not any(f.outcome == REJECTED for f in findings):
        conn.rollback()
        if isinstance(error, psycopg2.errors.UniqueViolation):
            result.read, result.counts = 0, sqlio.Counts()
            return _import_vectors(cur, conn, layer, path, kind, workdir, options, result,
                                   streaming=False)
        _refuse_constraint(path, error)
    result.repaired = len({f.row for f in findings if f.outcome == REPAIRED})
    result.skipped = len({f.row for f in findings if f.outcome == SKIPPED})
    if findings:
        result.report = write_report(path, options.fallback_report_dir, findings)
    rejected = [f for f in findings if f.outcome == REJECTED]
    if rejected:
        conn.rollback()
        _refuse(conn, options, result, path, findings, rejected)
    if result.read - result.skipped == 0:
        conn.rollback()
        raise ImportRefused(f"{path.name}: nothing to import ({result.read} features read, "
                            f"{result.skipped} outside the municipality)")
    if options.attributes_only:
        _update_attributes(cur, layer, path, options, result, findings, updating)
    elif writer is None:
        _write(cur, conn, layer, path, options, result, findings)
    if layer.id == "roads":
        from gis.routing import build_topology

        result.road_vertices = build_topology(cur, result.jurisdiction_id)
    sqlio.finish_import(cur, result.import_id, "committed", result.counts, 0, result.repaired,
                        result.skipped, str(result.report) if result.report else None)
    sqlio.audit_import(cur, result.import_id)
    if options.dry_run:
        conn.rollback()
        result.import_id = None
    else:
        conn.commit()


def _create_layer(cur, layer, actor: str) -> None:
    """A published layer's table and catalogue entry, in the import's transaction."""
    try:
        published_layers.create_tables(cur, layer)
        published_layers.insert_entry(cur, layer, actor)
    except (psycopg2.errors.DuplicateTable, psycopg2.errors.UniqueViolation):
        raise ImportRefused(f"--id {layer.id}: a layer of that id was published meanwhile") from None


def _write(cur, conn, layer, path: Path, options: ImportOptions, result: ImportResult,
           findings: list[Finding]) -> None:
    """Write the staged rows. The unique index finds repeated keys at no extra cost; only
    when it objects are the keys looked at row by row, for the report."""
    db.savepoint(cur, "import_write")
    try:
        result.counts = sqlio.write_staged(cur, layer, result.jurisdiction_id, result.import_id,
                                           options.mode)
        return
    except (psycopg2.errors.UniqueViolation, psycopg2.errors.CardinalityViolation) as exc:
        db.rollback_to(cur, "import_write")
        keys = _key_findings(cur, layer, options, result)
        error = exc
    except (psycopg2.IntegrityError, psycopg2.DataError) as exc:
        keys, error = [], exc
    if not keys:  # a rule the checks above do not mirror (a constraint of the table)
        conn.rollback()
        _refuse_constraint(path, error)
    findings += keys
    result.report = write_report(path, options.fallback_report_dir, findings)
    conn.rollback()
    _refuse(conn, options, result, path, findings, [f for f in findings if f.outcome == REJECTED])


def _update_attributes(cur, layer, path: Path, options: ImportOptions, result: ImportResult,
                       findings: list[Finding], fields: list[str]) -> None:
    """Update the stored features' ``fields``; staged keys not stored are left out, reported."""
    field_name = ",".join(layer.natural_key)
    absent = [Finding(row, field_name, f"no stored feature with key {'/'.join(key)}: left out "
                      "(--attributes-only adds nothing)", outcome=SKIPPED)
              for row, key in sqlio.keys_not_stored(cur, layer, result.jurisdiction_id)]
    result.counts = sqlio.update_attributes(cur, layer, result.jurisdiction_id, result.import_id,
                                            fields)
    if absent:
        findings += absent
        result.skipped += len(absent)
        result.report = write_report(path, options.fallback_report_dir, findings)


def _close(writer: ChunkWriter | None, result: ImportResult) -> psycopg2.Error | None:
    """Let the writer finish; its database error, if it met one."""
    if writer is None:
        return None
    try:
        result.counts.added = writer.close()
    except psycopg2.Error as exc:
        return exc
    return None


def _worth_a_bulk_load(cur, layer, features: int) -> bool:
    """Whether rebuilding the layer's indexes and keys beats updating them row by row."""
    if features < BULK_MIN_FEATURES:
        return False  # small files never lock the layer
    return features >= BULK_SHARE * sqlio.stored_rows(cur, layer)


def _restore(cur, layer, suspended: sqlio.Suspended) -> psycopg2.Error | None:
    """Rebuild what a bulk load dropped; the database's error (a repeated key), if any."""
    try:
        sqlio.restore_keys_and_indexes(cur, layer, suspended)
    except psycopg2.Error as exc:
        return exc
    return None


def _refuse_constraint(path: Path, error: psycopg2.Error) -> None:
    diag = error.diag
    raise ImportRefused(f"{path.name}: nothing imported: the database refused a feature "
                        f"({diag.constraint_name or diag.message_primary})", detail=str(error)) from None


def _key_findings(cur, layer, options: ImportOptions, result: ImportResult) -> list[Finding]:
    """A finding for every natural key repeated in the file or (append) already stored."""
    field_name = ",".join(layer.natural_key)
    found = [Finding(row, field_name, f"duplicate key: {'/'.join(key)} is also row {first}")
             for row, key, first in sqlio.duplicate_keys_in_file(cur, layer)]
    if options.mode == "append":
        found += [Finding(row, field_name, f"duplicate key: {'/'.join(key)} is already stored "
                                           "(use --mode upsert to update it)")
                  for row, key in sqlio.keys_already_stored(cur, layer, result.jurisdiction_id)]
    return found


def _start(cur, layer, options: ImportOptions, result: ImportResult, file_name: str) -> None:
    """The import's provenance row and staging table, in the writing transaction."""
    # a bulk load is one recorded event (the imports row), not a million audit rows
    db.act_as(cur, options.actor, audit=False)
    result.import_id = sqlio.start_import(cur, {
        "jurisdiction_id": result.jurisdiction_id, "file_name": options.file_name or file_name,
        "sha256": result.sha256, "layer_id": layer.id, "mode": options.mode, "actor": options.actor,
        "source_crs": result.source_crs, "started_at": datetime.now(UTC), "status": "committed"})
    sqlio.create_staging(cur, layer)


def _stage(layer, source, crs, plan, options, result, area, sink) -> list[Finding]:
    """Read, convert and check every chunk, handing the good rows to ``sink``; every finding."""
    findings: list[Finding] = []
    for chunk in source.chunks(options.chunk_size):
        result.read += len(chunk)
        chunk = crsmod.to_storage(chunk, crs)
        values, field_findings = map_fields(layer, chunk, plan, options.constants)
        rows = chunk[ROW].to_numpy()
        geometries, keep, geometry_findings = check_geometries(
            layer, chunk.geometry.to_numpy(), rows, area, options.skip_outside,
            place_only=options.attributes_only)
        findings += field_findings + geometry_findings
        if any(f.outcome == REJECTED for f in findings):
            continue  # the import will be refused: keep checking, stop staging
        sink(values[keep], geometries[keep], rows[keep])
    _note_all_outside(findings, result)
    return findings


def _note_all_outside(findings: list[Finding], result: ImportResult) -> None:
    outside = [f for f in findings if f.reason.startswith("outside the municipality")]
    if outside and len(outside) == result.read and result.read:
        findings[findings.index(outside[0])] = Finding(
            outside[0].row, outside[0].field,
            outside[0].reason + f" (every feature is: is the CRS right? read as {result.source_crs})",
            outside[0].outcome)


def _refuse(conn, options, result, path, findings, rejected) -> None:
    """Record the refused import (its own transaction) and raise the one-line message."""
    first = sorted(rejected, key=lambda f: f.row)[0]
    if not options.dry_run:
        with conn.cursor() as cur:
            result.import_id = sqlio.start_import(cur, {
                "jurisdiction_id": result.jurisdiction_id, "file_name": options.file_name or path.name,
                "sha256": result.sha256, "layer_id": result.layer_id, "mode": options.mode,
                "actor": options.actor, "source_crs": result.source_crs,
                "started_at": datetime.now(UTC), "status": "refused"})
            sqlio.finish_import(cur, result.import_id, "refused", sqlio.Counts(),
                                len({f.row for f in rejected}), result.repaired, result.skipped,
                                str(result.report))
        conn.commit()
    error = ImportRefused(
        f"{path.name}: nothing imported: {summary(findings)} rejected; first: row {first.row}, "
        f"{first.field}: {first.reason}; every rejection is listed in {result.report}")
    error.findings = findings  # the HTTP upload answers with them
    raise error


__all__ = ["ImportOptions", "ImportResult", "run_import"]
