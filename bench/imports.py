"""Import speed: `dimos import` of a GeoPackage of permit points against `ogr2ogr -f PostgreSQL`
(COPY mode) on the same file, in the same run, each into its own scratch database.

    python -m bench.imports [--rows 1000000]

A third run appends the same file with ogr2ogr into the `building_permits` table itself, whose
constraints, indexes and triggers dimos writes through and a bare ogr2ogr table lacks.

The GeoPackage (points inside the municipality of Rethymno, EPSG:2100, the attributes of a
building permit) is generated once and cached under .dimos/bench/. Reports wall time, the
ratio to ogr2ogr (target ≤ 1.2) and each process's peak resident memory (target < 1 GB).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gis import db, migrate
from settings import Settings

ROOT = Path(__file__).resolve().parents[1]
KALLIKRATIS = ROOT / "data" / "sources" / "boundaries" / "crete_municipalities_kallikratis_wgs84.geojson"
RETHYMNO_YPES = "9318"
TARGET_RATIO = 1.2
TARGET_RSS_MB = 1024
SEED = 7301
TYPES = np.array(["new_building", "addition", "demolition", "legalisation", "renovation"])
STATUSES = np.array(["issued", "completed", "expired", "revoked"])
STREETS = np.array(["Αρκαδίου", "Κουντουριώτη", "Γερακάρη", "Ηγουμένου Γαβριήλ", "Εθνικής Αντιστάσεως",
                    "Μελισσηνού", "Παλαιολόγου", "Σανθαρών"])


@dataclass
class Run:
    tool: str
    seconds: float
    peak_rss_mb: float
    rows: int


def permits_file(rows: int, folder: Path) -> Path:
    """The cached GeoPackage of ``rows`` permit points (generated on first use)."""
    import geopandas as gpd
    import shapely

    from importers.boundaries import read_municipality

    path = folder / f"permits_{rows}.gpkg"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    _, land = read_municipality(KALLIKRATIS, RETHYMNO_YPES)
    inner = land.buffer(-50)  # clear of the coast: every point is inside by a margin
    shapely.prepare(inner)
    minx, miny, maxx, maxy = inner.bounds
    xs, ys = np.empty(0), np.empty(0)
    while len(xs) < rows:
        x = rng.uniform(minx, maxx, rows)
        y = rng.uniform(miny, maxy, rows)
        inside = shapely.contains_xy(inner, x, y)
        xs, ys = np.concatenate([xs, x[inside]]), np.concatenate([ys, y[inside]])
    xs, ys = xs[:rows], ys[:rows]
    numbers = np.arange(1, rows + 1)
    days = rng.integers(0, 365 * 40, rows)
    frame = gpd.GeoDataFrame({
        "permit_number": [f"P-{n}" for n in numbers],
        "issue_date": (np.datetime64("1986-01-01") + days.astype("timedelta64[D]")).astype(str),
        "permit_type": TYPES[rng.integers(0, len(TYPES), rows)],
        "status": STATUSES[rng.integers(0, len(STATUSES), rows)],
        "kaek": [f"{n:012d}" for n in rng.integers(10 ** 11, 10 ** 12 - 1, rows)],
        "address": [f"{s} {n}" for s, n in zip(STREETS[rng.integers(0, len(STREETS), rows)],
                                                rng.integers(1, 200, rows))],
        "built_area_m2": rng.uniform(20, 900, rows).round(1),
        "floors": rng.integers(0, 6, rows),
    }, geometry=gpd.points_from_xy(xs, ys), crs=2100)
    partial = path.with_suffix(".partial.gpkg")
    frame.to_file(partial, driver="GPKG", engine="pyogrio", layer="permits")
    partial.rename(path)
    return path


def _timed(command: list[str], env: dict) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one child process; raises if it fails.

    The peak is sampled from /proc every 20 ms: the child's own ru_maxrss would count this
    process's memory at fork (Linux), which is large once the GeoPackage has been generated.
    """
    started = time.perf_counter()
    with tempfile.TemporaryFile() as output:
        child = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        peak_kb = 0
        while child.poll() is None:
            peak_kb = max(peak_kb, _rss_kb(child.pid))
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        if child.returncode != 0:
            output.seek(0)
            raise RuntimeError(f"{command[0]} failed: "
                               f"{output.read().decode(errors='replace')[-2000:]}")
    return seconds, peak_kb / 1024


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _scratch(settings: Settings, name: str) -> str:
    server = db.with_database(settings.effective_database_url, "postgres")
    db.drop_database(server, name)
    db.create_database(server, name)
    return db.with_database(server, name)


def _prepare_dimos_database(url: str) -> None:
    from gis.load import upsert_jurisdiction
    from importers.boundaries import read_municipality

    migrate.upgrade(url)
    name, land = read_municipality(KALLIKRATIS, RETHYMNO_YPES)
    conn = db.connect(url)
    with conn, conn.cursor() as cur:
        upsert_jurisdiction(cur, {"id": "rethymno", "name_el": name, "name_en": "Rethymno",
                                  "ypes_code": RETHYMNO_YPES, "elstat_code": "7301", "boundary": land})
    conn.close()


def _prepare_ogr_database(url: str) -> None:
    conn = db.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    conn.close()


def _pg_connection_string(url: str) -> str:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    parts = {"dbname": u.database, "host": u.host, "port": u.port, "user": u.username,
             "password": u.password}
    return "PG:" + " ".join(f"{k}={v}" for k, v in parts.items() if v)


def _count(url: str, table: str) -> int:
    conn = db.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(f"SELECT count(*) FROM {table}")  # a constant table name of this module
            return cur.fetchone()[0]
    finally:
        conn.close()


# ogr2ogr appending into the layer's own table: the same constraints, indexes and triggers
# as dimos writes through (audit off, as for dimos' bulk load), i.e. the floor for that table
APPEND_SQL = ("SELECT 'rethymno' AS jurisdiction_id, permit_number, issue_date, permit_type, "
              "status, kaek, address, built_area_m2, floors, geom FROM permits")
DATABASES = ("dimos_bench_import", "dimos_bench_ogr2ogr", "dimos_bench_ogr2ogr_append")


def run(rows: int, keep: bool = False) -> list[Run]:
    settings = Settings()
    path = permits_file(rows, settings.state_dir / "bench")
    dimos_url, ogr_url, append_url = (_scratch(settings, name) for name in DATABASES)
    try:
        _prepare_dimos_database(dimos_url)
        _prepare_dimos_database(append_url)
        _prepare_ogr_database(ogr_url)
        env = {**os.environ, "DATABASE_URL": dimos_url}
        dimos = [str(Path(sys.executable).parent / "dimos"), "import", str(path),
                 "--layer", "building_permits", "--jurisdiction", "rethymno"]
        copy = ["--config", "PG_USE_COPY", "YES", "-gt", "65536"]
        ogr = ["ogr2ogr", "-f", "PostgreSQL", _pg_connection_string(ogr_url), str(path),
               "-nln", "permits", "-lco", "GEOMETRY_NAME=geom", "-lco", "FID=id",
               "-lco", "SPATIAL_INDEX=GIST", *copy]
        append = ["ogr2ogr", "-f", "PostgreSQL", _pg_connection_string(append_url), str(path),
                  "-append", "-nln", "building_permits", "-dialect", "SQLite", "-sql", APPEND_SQL,
                  *copy]
        append_env = {**env, "PGOPTIONS": "-c dimos.audit=off"}
        results = []
        for tool, command, url, table, tool_env in (
                ("ogr2ogr", ogr, ogr_url, "permits", env),
                ("dimos import", dimos, dimos_url, "building_permits", env),
                ("ogr2ogr→table", append, append_url, "building_permits", append_env)):
            seconds, rss = _timed(command, tool_env)
            results.append(Run(tool, seconds, rss, _count(url, table)))
        return results
    finally:
        if not keep:
            server = db.with_database(settings.effective_database_url, "postgres")
            for name in DATABASES:
                db.drop_database(server, name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.imports", description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    args = parser.parse_args(argv)
    results = run(args.rows, args.keep)
    ogr, dimos, append = results
    print(f"{'tool':<14}{'rows':>10}{'seconds':>10}{'peak RSS MB':>13}")
    for r in results:
        print(f"{r.tool:<14}{r.rows:>10}{r.seconds:>10.2f}{r.peak_rss_mb:>13.0f}")
    ratio = dimos.seconds / ogr.seconds
    ok_time, ok_rss = ratio <= TARGET_RATIO, dimos.peak_rss_mb < TARGET_RSS_MB
    print(f"dimos/ogr2ogr time {ratio:.2f}× (target ≤ {TARGET_RATIO}×: {'met' if ok_time else 'missed'}); "
          f"dimos peak RSS {dimos.peak_rss_mb:.0f} MB (target < {TARGET_RSS_MB}: "
          f"{'met' if ok_rss else 'missed'})")
    print(f"dimos/ogr2ogr into the same constrained table (no checks, no report, no provenance): "
          f"{dimos.seconds / append.seconds:.2f}×")
    return 0 if dimos.rows == ogr.rows == append.rows == args.rows else 1


if __name__ == "__main__":
    sys.exit(main())
