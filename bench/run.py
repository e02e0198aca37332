"""`make bench`: dimos against tipg and stock pygeoapi on one database, in one run; prints a table.

Cases: (a) a bbox items query returning 100 features from `building_permits` grown to 1,000,000
points (dimos's `building_permit_sites` collection), (b) z14 and z16 vector tiles over Rethymno's
old town (and the raw ST_AsMVT query time of the same tiles), (c) dimos's `planning-report`
process. Each is timed sequentially and with 16 concurrent clients. Exit status 1 only when the
benchmark cannot run; a missed target is printed.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import mapbox_vector_tile
import psycopg2
import requests

import layers
from bench.data import BENCH_DATABASE, TARGET_ROWS, prepare_database
from bench.servers import (
    BenchError,
    Server,
    start_dimos,
    start_stock_pygeoapi,
    start_tipg,
    stop,
)
from gis.tiles import render_tile, tile_fields
from settings import Settings

CONCURRENCY = 16
WARMUP = 10
ROUNDS = 4  # each server's requests are timed in 4 interleaved chunks
RAW = "raw ST_AsMVT (SQL)"
#: dimos connected as the owner, whom the row-level security policies do not apply to: the
#: same benchmark "without the policies" (issue 17: within 5 % of it)
NO_RLS = "dimos (no RLS)"
#: the servers a run starts (--only picks some), by the key of ``servers``
SERVERS = ("dimos", "dimos-no-rls", "dimos-cache", "tipg", "pygeoapi-stock")
# Old town of Rethymno (CRS84): a 200 m × 200 m street-level view, ~9,000 permits once grown
BBOX = (24.4724, 35.3686, 24.4746, 35.3704)
LIMIT = 100
# dimos publishes the table's points as this collection (its polygons as building_permits);
# the benchmark table holds points only (bench/data.py), so it is the whole table, as the
# peers serve it.
DIMOS_COLLECTION = "building_permit_sites"
# Tiles over the old town (z, x, y): at z14 the town spans two tiles, at z16 its core four
TILES = {14: [(9305, 6469), (9306, 6469)],
         16: [(37222, 25876), (37223, 25876), (37222, 25877), (37223, 25877)]}
REPORT_INPUTS = {"inputs": {"location": {"type": "Point", "coordinates": [24.4735, 35.3695]},
                            "radius": 100}}
# Same for every server: a fresh connection per request (keep-alive against uvicorn costs
# ~40 ms a request with python-requests, measured here) and no compression (the same bytes for all).
HEADERS = {"Connection": "close", "Accept-Encoding": "identity"}


@dataclass
class Stats:
    median_ms: float
    p95_ms: float
    per_s: float
    n: int


@dataclass
class Row:
    case: str
    server: str
    sequential: Stats
    concurrent: Stats | None  # None: measured sequentially only (raw SQL)


def summarise(latencies: list[float], wall_s: float) -> Stats:
    ms = [s * 1000 for s in latencies]
    p95 = statistics.quantiles(ms, n=20, method="inclusive")[18]
    return Stats(round(statistics.median(ms), 2), round(p95, 2), round(len(ms) / wall_s, 1),
                 len(ms))


def _timed_chunk(call, indexes: range, threads: int) -> tuple[list[float], float]:
    started = time.perf_counter()
    if threads == 1:
        latencies = [call(i) for i in indexes]
    else:
        with ThreadPoolExecutor(threads) as pool:
            latencies = list(pool.map(call, indexes))
    return latencies, time.perf_counter() - started


def measure(calls: dict[str, object], n: int, sequential_only: set[str] = frozenset()
            ) -> dict[str, tuple[Stats, Stats | None]]:
    """Warm up each call, then time ``n`` sequential calls and 2n calls from CONCURRENCY
    threads per call, interleaved in ROUNDS so that a change in the machine's background
    load falls on every server alike. ``call(i)`` makes request i and returns its latency (s).
    """
    for call in calls.values():
        for i in range(WARMUP):
            call(i)
    results = {}
    for threads, total in ((1, n), (CONCURRENCY, 2 * n)):
        chunk = total // ROUNDS
        timings = {name: ([], 0.0) for name in calls}
        for r in range(ROUNDS):
            for name, call in calls.items():
                if threads > 1 and name in sequential_only:
                    continue
                latencies, wall = _timed_chunk(call, range(r * chunk, (r + 1) * chunk), threads)
                timings[name] = (timings[name][0] + latencies, timings[name][1] + wall)
        for name, (latencies, wall) in timings.items():
            stats = summarise(latencies, wall) if latencies else None
            results[name] = (stats, None) if threads == 1 else (results[name][0], stats)
    return results


def fetch(method: str, url: str, body: dict | None = None) -> requests.Response:
    try:
        response = requests.request(method, url, json=body, headers=HEADERS, timeout=120)
    except requests.RequestException as exc:
        raise BenchError(f"{method} {url}: {exc}") from None
    if response.status_code != 200 or not response.content:
        raise BenchError(f"{method} {url}: HTTP {response.status_code}, "
                         f"{len(response.content)} bytes: {response.text[:300]}")
    return response


def http_call(urls: list[str], method: str = "GET", body: dict | None = None):
    def call(i: int) -> float:
        started = time.perf_counter()
        fetch(method, urls[i % len(urls)], body)
        return time.perf_counter() - started
    return call


def raw_tile_call(database_url: str, z: int):
    """render_tile through psycopg2 on one connection: the tile's SQL time plus a round trip.
    The session is dimos's own (JIT off, gis/db.py): JIT would time the compiler, not the SQL."""
    conn = psycopg2.connect(database_url, options="-c jit=off")
    layer = layers.collection(DIMOS_COLLECTION)

    def call(i: int) -> float:
        x, y = TILES[z][i % len(TILES[z])]
        started = time.perf_counter()
        with conn.cursor() as cur:
            if not render_tile(cur, layer, z, x, y):
                raise BenchError(f"raw ST_AsMVT: tile {z}/{x}/{y} is empty")
        conn.rollback()
        return time.perf_counter() - started
    return call, conn


def bbox_param() -> str:
    return ",".join(str(v) for v in BBOX)


def _started(servers: dict[str, Server], urls: dict[str, tuple[str, object]]) -> dict:
    """{row name: what make(base URL) gives} for the servers of ``urls`` that were started."""
    return {row: make(servers[key].url) for row, (key, make) in urls.items() if key in servers}


def item_urls(servers: dict[str, Server]) -> dict[str, str]:
    bbox = f"limit={LIMIT}&bbox={bbox_param()}"

    def dimos(base: str) -> str:
        return f"{base}/ogc/collections/{DIMOS_COLLECTION}/items?f=json&{bbox}"

    return _started(servers, {
        "dimos": ("dimos", dimos),
        NO_RLS: ("dimos-no-rls", dimos),
        "tipg": ("tipg", lambda base: f"{base}/collections/public.building_permits/items"
                                      f"?f=geojson&{bbox}"),
        "pygeoapi-stock": ("pygeoapi-stock", lambda base: f"{base}/collections/building_permits"
                                                          f"/items?f=json&{bbox}"),
    })


def tile_urls(servers: dict[str, Server], z: int) -> dict[str, list[str]]:
    # dimos (OGC API Tiles via pygeoapi) takes row before column; tipg takes {z}/{x}/{y}.
    # tipg is asked for the attributes dimos's tiles carry, so both tiles hold the same data.
    fields = ",".join(tile_fields(layers.get("building_permits")))
    path = f"collections/{DIMOS_COLLECTION}/tiles/WebMercatorQuad"

    def dimos(base: str) -> list[str]:
        return [f"{base}/ogc/{path}/{z}/{y}/{x}?f=mvt" for x, y in TILES[z]]

    return _started(servers, {
        "dimos": ("dimos", dimos),
        NO_RLS: ("dimos-no-rls", dimos),
        "dimos (tile cache)": ("dimos-cache", dimos),
        "tipg": ("tipg", lambda base: [f"{base}/collections/public.building_permits/tiles/"
                                       f"WebMercatorQuad/{z}/{x}/{y}?properties={fields}"
                                       for x, y in TILES[z]]),
    })


def check_answers(servers: dict[str, Server]) -> list[str]:
    """Fail loudly unless every server answers what is measured; notes on what came back."""
    notes = []
    for name, url in item_urls(servers).items():
        features = fetch("GET", url).json()["features"]
        if len(features) != LIMIT:
            raise BenchError(f"{name}: the bbox query returned {len(features)} features, "
                             f"not {LIMIT}: {url}")
    notes.append(f"(a) every server returned {LIMIT} features for bbox {bbox_param()}")
    for z in TILES:
        for name, urls in tile_urls(servers, z).items():
            counts = []
            for url in urls:
                tile = mapbox_vector_tile.decode(fetch("GET", url).content)
                counts.append(sum(len(layer["features"]) for layer in tile.values()))
            if not all(counts):
                raise BenchError(f"{name}: an empty z{z} tile among {urls}")
            notes.append(f"(b) z{z} features per tile, {name}: {counts}")
    for name, url in report_urls(servers).items():
        report = fetch("POST", url, REPORT_INPUTS).json()
        notes.append(f"(c) planning-report, {name}: {len(report['zones'])} zones, "
                     f"{len(report['permits'])} permits within 100 m")
    return notes


def report_urls(servers: dict[str, Server]) -> dict[str, str]:
    def report(base: str) -> str:
        return f"{base}/ogc/processes/planning-report/execution"

    return _started(servers, {"dimos": ("dimos", report), NO_RLS: ("dimos-no-rls", report)})


def count_in_bbox(database_url: str) -> int:
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:
            # the bbox is CRS84 (lon, lat); the permits are stored in EPSG:2100
            cur.execute("SELECT count(*) FROM building_permits WHERE ST_Intersects(geom, "
                        "ST_Transform(ST_MakeEnvelope(%s, %s, %s, %s, 4326), 2100))", BBOX)
            return cur.fetchone()[0]
    finally:
        conn.close()


def run_cases(servers: dict[str, Server], database_url: str) -> list[Row]:
    rows = []

    def timed(case: str, calls: dict, n: int, sequential_only: set[str] = frozenset()) -> None:
        print(f"  {case}: {', '.join(calls)} …", flush=True)
        for server, stats in measure(calls, n, sequential_only).items():
            rows.append(Row(case, server, *stats))

    timed("(a) items bbox, 100 features",
          {name: http_call([url]) for name, url in item_urls(servers).items()}, 200)
    for z in TILES:
        calls = {name: http_call(urls) for name, urls in tile_urls(servers, z).items()}
        raw, conn = raw_tile_call(database_url, z)
        try:
            timed(f"(b) tile z{z}", {**calls, RAW: raw}, 100, {RAW})
        finally:
            conn.close()
    timed("(c) planning-report", {name: http_call([url], "POST", REPORT_INPUTS)
                                  for name, url in report_urls(servers).items()}, 200)
    return rows


@dataclass
class Target:
    case: str
    ratio: str
    mode: str
    value: float
    goal: str
    passed: bool


def _find(rows: list[Row], case: str, server: str) -> Row | None:
    return next((r for r in rows if r.case == case and r.server == server), None)


def targets(rows: list[Row]) -> list[Target]:
    """The issue's targets, on median latency, sequential and 16 concurrent."""
    out = []

    def add(case, ratio, num, den, goal_text, ok, modes=("sequential", "concurrent")):
        if num is None or den is None:  # a server this run did not start (--only)
            return
        for mode in modes:
            a, b = getattr(num, mode), getattr(den, mode)
            value = round(a.median_ms / b.median_ms, 2)
            out.append(Target(case, ratio, mode, value, goal_text, ok(value)))

    items = "(a) items bbox, 100 features"
    dimos, tipg, stock = (_find(rows, items, s) for s in ("dimos", "tipg", "pygeoapi-stock"))
    add(items, "dimos / tipg", dimos, tipg, "≤ 1.0", lambda v: v <= 1.0)
    add(items, "stock pygeoapi / dimos", stock, dimos, "≥ 3.0", lambda v: v >= 3.0)
    for z in TILES:
        case = f"(b) tile z{z}"
        dimos, tipg, raw = (_find(rows, case, s) for s in ("dimos", "tipg", RAW))
        add(case, "dimos / tipg", dimos, tipg, "≤ 1.0", lambda v: v <= 1.0)
        add(case, "dimos / raw SQL", dimos, raw, "≤ 1.5", lambda v: v <= 1.5, ("sequential",))
    # row-level security costs nothing measurable on the hot paths (issue 17)
    for case in (items, *(f"(b) tile z{z}" for z in TILES), "(c) planning-report"):
        add(case, f"dimos / {NO_RLS}", _find(rows, case, "dimos"), _find(rows, case, NO_RLS),
            "≤ 1.05", lambda v: v <= 1.05)
    return out


def render_table(rows: list[Row]) -> list[str]:
    head = (f"{'case':<30}{'server':<22}{'n':>5}{'seq med ms':>12}{'p95 ms':>9}{'req/s':>8}"
            f"{'c16 med ms':>12}{'p95 ms':>9}{'req/s':>8}")
    lines = [head, "-" * len(head)]
    for r in rows:
        s, c = r.sequential, r.concurrent
        conc = (f"{c.median_ms:>12.1f}{c.p95_ms:>9.1f}{c.per_s:>8.1f}" if c
                else f"{'—':>12}{'—':>9}{'—':>8}")
        lines.append(f"{r.case:<30}{r.server:<22}{s.n:>5}{s.median_ms:>12.1f}{s.p95_ms:>9.1f}"
                     f"{s.per_s:>8.1f}{conc}")
    return lines


def render_targets(found: list[Target]) -> list[str]:
    lines = ["targets (ratio of median latencies):"]
    for t in found:
        mode = "sequential" if t.mode == "sequential" else f"{CONCURRENCY} concurrent"
        lines.append(f"  {t.case:<30}{t.ratio:<24}{mode:<15}{t.value:>6.2f}  target {t.goal}  "
                     f"{'PASS' if t.passed else 'MISS'}")
    return lines


def write_results(folder: Path, context: dict, rows: list[Row], found: list[Target],
                  notes: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(
        {**context, "rows": [asdict(r) for r in rows], "targets": [asdict(t) for t in found],
         "checks": notes},
        indent=2, ensure_ascii=False))
    md = ["# dimos benchmark", ""] + [f"- {k}: {v}" for k, v in context.items()]
    md += ["", "| case | server | n | seq median ms | seq p95 ms | seq req/s | "
           f"{CONCURRENCY}-conc median ms | p95 ms | req/s |", "|---|---|--:|--:|--:|--:|--:|--:|--:|"]
    for r in rows:
        s, c = r.sequential, r.concurrent
        conc = f"{c.median_ms} | {c.p95_ms} | {c.per_s}" if c else "— | — | —"
        md.append(f"| {r.case} | {r.server} | {s.n} | {s.median_ms} | {s.p95_ms} | {s.per_s} "
                  f"| {conc} |")
    md += ["", "| case | ratio | mode | value | target | result |", "|---|---|---|--:|---|---|"]
    md += [f"| {t.case} | {t.ratio} | {t.mode} | {t.value} | {t.goal} | "
           f"{'PASS' if t.passed else 'MISS'} |" for t in found]
    md += ["", "Checked before timing:", ""] + [f"- {note}" for note in notes] + [""]
    (folder / "results.md").write_text("\n".join(md))


def start(name: str, database_url: str, folder: Path) -> Server:
    """Server ``name`` (one of SERVERS) on the benchmark database."""
    if name == "dimos":
        return start_dimos(database_url, folder)
    if name == "dimos-no-rls":  # the owner's URL for the web app: the policies do not apply
        return start_dimos(database_url, folder, name=name,
                           extra_env={"DIMOS_APP_DATABASE_URL": database_url})
    if name == "dimos-cache":
        return start_dimos(database_url, folder, tile_cache_mb=64, name=name)
    if name == "tipg":
        return start_tipg(database_url, folder)
    return start_stock_pygeoapi(database_url, folder)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--only", help=f"comma-separated servers to start (of {', '.join(SERVERS)})"
                                       "; the rows and targets of the others are left out")
    parser.add_argument("--database", default=BENCH_DATABASE,
                        help=f"the benchmark database's name (default {BENCH_DATABASE})")
    args = parser.parse_args(argv)
    args.servers = tuple(args.only.split(",")) if args.only else SERVERS
    unknown = set(args.servers) - set(SERVERS)
    if unknown or "dimos" not in args.servers:
        parser.error(f"--only: {', '.join(sorted(unknown)) or 'dimos is needed'}; "
                     f"choose among {', '.join(SERVERS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    load_before = os.getloadavg()[0]  # the machine may be shared: say how busy it was
    settings = Settings()
    servers: dict[str, Server] = {}
    try:
        database_url = prepare_database(settings.effective_database_url, args.database)
        with tempfile.TemporaryDirectory(prefix="dimos-bench-") as tmp:
            folder = Path(tmp)
            print(f"starting {', '.join(args.servers)} (2 workers each) …", flush=True)
            for name in args.servers:
                servers[name] = start(name, database_url, folder)
            notes = check_answers(servers)
            print("\n".join(notes), flush=True)
            rows = run_cases(servers, database_url)
    except BenchError as error:
        print(f"bench: error: {error}", file=sys.stderr)
        return 1
    finally:
        for server in servers.values():
            stop(server)
    found = targets(rows)
    context = {"rows in building_permits": f"{TARGET_ROWS:,}",
               "permits in the bbox": f"{count_in_bbox(database_url):,}",
               "bbox (CRS84)": bbox_param(),
               "tiles": "; ".join(f"z{z}: " + ", ".join(f"{x}/{y}" for x, y in t)
                                  for z, t in TILES.items()),
               "clients": f"python-requests, Connection: close, sequential and "
                          f"{CONCURRENCY} threads; {WARMUP} warm-up requests per row",
               "servers": "2 workers each; dimos tile cache off (but for the tile-cache row); "
                          f"{NO_RLS}: the web app connected as the owner",
               "load average (1 min) before / after": f"{load_before:.2f} / "
                                                       f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs",
               "duration_s": round(time.perf_counter() - started, 1)}
    text = ([f"{k}: {v}" for k, v in context.items()] + [""] + render_table(rows) + [""]
            + render_targets(found) + [""] + notes)
    print()
    print("\n".join(text))
    out = settings.state_dir / "bench"
    write_results(out, context, rows, found, notes)
    print(f"\nwritten to {out}/results.json and results.md; the whole run took "
          f"{context['duration_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
