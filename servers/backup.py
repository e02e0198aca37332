"""Backups: pg_dump's custom format of the whole database (features, history, photos: the
photos are rows too), and a restore that either completes or leaves the database as it was."""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import psycopg2.errors

from gis.app_role import ensure_app_role
from gis.db import connect, end_other_sessions
from gis.errors import DimosError, InvalidParameter
from gis.sensors import DROP_PARTITIONS_SQL
from servers.cluster import PG_BIN

MARKER = "TABLE DATA public alembic_version"  # a dimos database holds its schema revision


class BackupFailed(DimosError):
    """pg_dump or pg_restore refused; the message carries their first line."""


def _run(args: list[str], what: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode != 0:
        first = (proc.stderr.strip().splitlines() or ["no message"])[0]
        raise BackupFailed(f"{what} failed: {first}", detail=proc.stderr)
    return proc


def _dump(url: str, target: Path, *options: str) -> int:
    """pg_dump's custom format to ``target`` (never left half written); its size in bytes."""
    target = Path(target)
    if target.exists():
        raise InvalidParameter(f"{target} exists; give a new file name")
    partial = target.with_name(target.name + ".partial")
    try:
        _run([str(PG_BIN / "pg_dump"), "--format=custom", "--compress=6", "--no-owner", *options,
              f"--file={partial}", f"--dbname={url}"], "pg_dump")
        partial.rename(target)  # a file under the final name is always complete
    finally:
        partial.unlink(missing_ok=True)
    return target.stat().st_size


def backup(url: str, target: Path) -> int:
    """Dump the database at ``url`` to ``target``; the file's size in bytes."""
    return _dump(url, target)


def backup_tables(url: str, target: Path, tables: list[str]) -> int:
    """Dump ``tables`` (rows, definitions, triggers, policies) to ``target``; its size in
    bytes (``pg_restore --table`` brings them back)."""
    return _dump(url, target, *(f"--table=public.{table}" for table in tables))


def restore(url: str, source: Path) -> None:
    """Replace the database at ``url`` with the dump ``source``, in one transaction."""
    source = Path(source)
    if not source.is_file():
        raise InvalidParameter(f"{source}: no such file")
    listing = subprocess.run([str(PG_BIN / "pg_restore"), "--list", str(source)],
                             capture_output=True, text=True)
    if listing.returncode != 0 or MARKER not in listing.stdout:
        raise InvalidParameter(f"{source}: not a dimos backup (pg_dump custom format with the "
                               "dimos schema)")
    # pg_restore --clean drops a partition's inherited key before the partition, which
    # PostgreSQL refuses ("cannot drop inherited constraint"): the partitions go first, in
    # the same transaction as the restore (psql --single-transaction), so a refused restore
    # leaves the database as it was. The script is written whole first: psql would commit a
    # script cut short by a failing pg_restore
    _ensure_app_role(url)  # the dump grants it its tables: a new server must have it first
    with tempfile.TemporaryDirectory(prefix="dimos-restore-") as folder:
        script = Path(folder) / "restore.sql"
        _run([str(PG_BIN / "pg_restore"), "--clean", "--if-exists", "--no-owner",
              f"--file={script}", str(source)], "pg_restore")
        _run([str(PG_BIN / "psql"), "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1",
              "--single-transaction", f"--command={DROP_PARTITIONS_SQL}", f"--file={script}",
              f"--dbname={url}"], "restore")
    _end_other_sessions(url)


def _end_other_sessions(url: str) -> None:
    """Running servers' sessions reconnect (gis/db.py END_OTHER_SESSIONS_SQL): a server that
    was serving during the restore answers from the restored database, not with 500s."""
    conn = connect(url)
    try:
        with conn, conn.cursor() as cur:
            end_other_sessions(cur)
    except psycopg2.errors.InsufficientPrivilege as exc:
        raise BackupFailed("restored; other sessions of the database could not be ended: "
                           "restart the servers using it", detail=str(exc)) from None
    finally:
        conn.close()


def _ensure_app_role(url: str) -> None:
    conn = connect(url)
    try:
        with conn, conn.cursor() as cur:
            ensure_app_role(cur)
    finally:
        conn.close()
