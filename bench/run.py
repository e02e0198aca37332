"""`make bench`: dimos against MapServer, tipg and stock pygeoapi on one database, in one run.

Cases, each timed sequentially and with 16 concurrent clients, on `building_permits` grown to
1,000,000 points (dimos's `building_permit_sites` collection): items in a dense bbox (100 of
~9,000, a bbox of its own for every request), in a sparse bbox (all of a handful), page 1 and
the page after 500,000 features; vector tiles at z10, z12, z14 and z16 over Rethymno's old town
(and dimos's own tile SQL, the floor); dimos's `planning-report`; the same items cases on a copy
of the table whose ids follow space; a full copy by GDAL's ogr2ogr. Every row says the work
done (whether the answer carried a count, what a tile holds), and ratios are compared unrounded.
Exit status 1 only when the benchmark cannot run; a missed target is printed.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
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
from bench.data import (
    BENCH_DATABASE,
    SORTED_SUFFIX,
    TARGET_ROWS,
    prepare_database,
    prepare_sorted_database,
)
from bench.mapserver import start_mapserver
from bench.requests_of import DIMOS_COLLECTION, items_url, tile_url
from bench.servers import (
    BenchError,
    Server,
    start_dimos,
    start_stock_pygeoapi,
    start_tipg,
    stop,
)
from gis.tiles import render_tile
from settings import Settings

CONCURRENCY = 16
ROUNDS = 4  # each server's requests are timed in 4 interleaved chunks
RAW = "dimos's tile SQL (floor)"
#: dimos connected as the owner, whom the row-level security policies do not apply to: the
#: same benchmark "without the policies" (issue 17: within 5 % of it)
NO_RLS = "dimos (no RLS)"
#: the servers a run may start (--only picks some): key -> (row name, kind)
SERVERS = {
    "dimos": ("dimos", "dimos"),
    "dimos-no-count": ("dimos (no count)", "dimos"),
    "dimos-no-rls": (NO_RLS, "dimos"),
    "dimos-cache": ("dimos (tile cache)", "dimos"),
    "mapserver": ("MapServer", "mapserver"),
    "tipg": ("tipg", "tipg"),
    "pygeoapi-stock": ("pygeoapi", "pygeoapi"),
    "pygeoapi-stock-no-count": ("pygeoapi (no count)", "pygeoapi"),
}
#: the rows that are dimos (the others are its peers)
DIMOS_ROWS = {"dimos", "dimos (no count)", NO_RLS, "dimos (tile cache)"}
#: the servers started again on the copy whose ids follow space
SORTED_SERVERS = ("dimos", "dimos-no-count", "mapserver", "tipg", "pygeoapi-stock",
                  "pygeoapi-stock-no-count")
LIMIT = 100
# Old town of Rethymno (CRS84): a 200 m × 200 m street-level view, ~9,000 permits once grown
DENSE_BBOX = (24.4724, 35.3686, 24.4746, 35.3704)
# Every request's bbox is its own (moved east by 0.1 m × its number, up to 100 m), so no
# server answers a request, or counts it, from what it kept of an earlier one.
BBOX_STEP_DEG = 0.0000011
# A 180 m × 180 m box east of the town: 6 permits
SPARSE_BBOX = (24.528, 35.348, 24.530, 35.3496)
DEEP = 500_000
#: tiles over the old town (z, x, y), per zoom
TILES = {10: [(581, 404)], 12: [(2326, 1617)], 14: [(9305, 6469), (9306, 6469)],
         16: [(37222, 25876), (37223, 25876), (37222, 25877), (37223, 25877)]}
#: sequential requests per tile row (2n concurrent): a z10 tile of a million points is slow
TILE_REQUESTS = {10: 8, 12: 8, 14: 16, 16: 40}
REPORT_INPUTS = {"inputs": {"location": {"type": "Point", "coordinates": [24.4735, 35.3695]},
                            "radius": 100}}
# Same for every server: a fresh connection per request (keep-alive against uvicorn costs
# ~40 ms a request with python-requests, measured here) and no compression (the same bytes for all).
HEADERS = {"Connection": "close", "Accept-Encoding": "identity"}
#: ogr2ogr's full copies: Debian's GDAL 3.6 pages by 10 unless told
OGR_TIMEOUT_S = 180
#: kinds of server whose offset paging does not work (Debian's MapServer 8.0.0 ignores offset:
#: fixed in 8.0.1), left out of deep pages and full copies
NO_OFFSET = {"mapserver"}


@dataclass
class Stats:
    median_ms: float
    p95_ms: float
    rps: float
    n: int


@dataclass
class Row:
    case: str
    server: str
    work: str
    features: str
    sequential: Stats
    concurrent: Stats | None  # None: measured sequentially only


def summarise(latencies: list[float], wall_s: float) -> Stats:
    ms = [s * 1000 for s in latencies]
    p95 = statistics.quantiles(ms, n=20, method="inclusive")[18] if len(ms) > 1 else ms[0]
    return Stats(statistics.median(ms), p95, len(ms) / wall_s, len(ms))


def _timed_chunk(call, indexes: range, threads: int) -> tuple[list[float], float]:
    started = time.perf_counter()
    if threads == 1:
        latencies = [call(i) for i in indexes]
    else:
        with ThreadPoolExecutor(threads) as pool:
            latencies = list(pool.map(call, indexes))
    return latencies, time.perf_counter() - started


def measure(calls: dict[str, object], n: int, warmup: int,
            sequential_only: frozenset[str] = frozenset()) -> dict[str, tuple[Stats, Stats | None]]:
    """Warm up each call, then time ``n`` sequential calls and 2n calls from CONCURRENCY
    threads per call, interleaved in ROUNDS so that a change in the machine's background
    load falls on every server alike. ``call(i)`` makes request i and returns its latency (s);
    request numbers never repeat within a case, so a bbox of its own each time."""
    for call in calls.values():
        for i in range(warmup):
            call(10 ** 6 + i)
    results: dict[str, list] = {name: [None, None] for name in calls}
    offset = 0
    for mode, (threads, total) in enumerate(((1, n), (CONCURRENCY, 2 * n))):
        chunk = max(1, total // ROUNDS)
        timings = {name: ([], 0.0) for name in calls}
        for r in range(ROUNDS):
            for name, call in calls.items():
                if threads > 1 and name in sequential_only:
                    continue
                start = offset + r * chunk
                latencies, wall = _timed_chunk(call, range(start, start + chunk), threads)
                timings[name] = (timings[name][0] + latencies, timings[name][1] + wall)
        offset += ROUNDS * chunk
        for name, (latencies, wall) in timings.items():
            results[name][mode] = summarise(latencies, wall) if latencies else None
    return {name: (seq, conc) for name, (seq, conc) in results.items()}


def fetch(method: str, url: str, body: dict | None = None) -> requests.Response:
    try:
        response = requests.request(method, url, json=body, headers=HEADERS, timeout=300)
    except requests.RequestException as exc:
        raise BenchError(f"{method} {url}: {exc}") from None
    if response.status_code != 200 or not response.content:
        raise BenchError(f"{method} {url}: HTTP {response.status_code}, "
                         f"{len(response.content)} bytes: {response.text[:300]}")
    return response


def http_call(url_of, method: str = "GET", body: dict | None = None):
    """A call timing request i to ``url_of(i)``."""
    def call(i: int) -> float:
        started = time.perf_counter()
        fetch(method, url_of(i), body)
        return time.perf_counter() - started
    return call


def shifted(bbox: tuple, i: int) -> tuple:
    dx = BBOX_STEP_DEG * (i % 1000)
    return (bbox[0] + dx, bbox[1], bbox[2] + dx, bbox[3])


# --- items ---------------------------------------------------------------------------------

def _items_work(page: dict) -> str:
    return "counted" if page.get("numberMatched") is not None else "no count"


def items_case(servers: dict[str, tuple[Server, str]], case: str, make_url,
               expected: int | None, n: int, warmup: int = 10) -> list[Row]:
    """A case of items pages: ``make_url(server, kind, i)`` is request i's URL. Every server
    must answer the same number of features (``expected``, or the first server's) before
    timing; each row's work says whether its answers carried a count."""
    works, counts = {}, {}
    for name, (server, kind) in servers.items():
        page = fetch("GET", make_url(server, kind, 0)).json()
        counts[name], works[name] = len(page["features"]), _items_work(page)
    wanted = expected if expected is not None else next(iter(counts.values()))
    wrong = {name: count for name, count in counts.items() if count != wanted}
    if wrong:
        raise BenchError(f"{case}: servers returned other than {wanted} features: {wrong}")
    print(f"  {case}: {', '.join(servers)} …", flush=True)
    calls = {name: http_call(lambda i, s=server, k=kind: make_url(s, k, i))
             for name, (server, kind) in servers.items()}
    measured = measure(calls, n, warmup)
    return [Row(case, name, works[name], str(counts[name]), *measured[name]) for name in servers]


def cursor_after(server: Server, depth: int) -> str:
    """dimos's next link after ``depth`` features of the whole collection: the page reached by
    following next links from page 1 (taken from the page just before it, by offset)."""
    page = fetch("GET", items_url("dimos", server.url, LIMIT, offset=depth - LIMIT)).json()
    links = [link["href"] for link in page["links"] if link["rel"] == "next"]
    if not links or "cursor=" not in links[0]:
        raise BenchError(f"{server.name}: no cursor next link after {depth:,} features")
    return links[0]


def deep_url(server: Server, kind: str, cursors: dict[str, str]) -> str:
    if kind == "dimos":
        return cursors[server.name]
    return items_url(kind, server.url, LIMIT, offset=DEEP)


# --- tiles ---------------------------------------------------------------------------------

EVERY_PERMIT = "every permit in the tile, whole"
THINNED = "every permit: dots per pixel with dimos:count"

def tile_features(content: bytes) -> tuple[int, int]:
    """Features in a tile, and the permits they stand for (a thinned dot its dimos:count)."""
    tile = mapbox_vector_tile.decode(content)
    features = [f for layer in tile.values() for f in layer["features"]]
    return len(features), sum(int(f["properties"].get("dimos:count") or 1) for f in features)


def tile_work(kind: str, features: int, stands_for: int, in_tile: int) -> str:
    """What a tile holds: every permit in it (whole, or some as counted dots), or a cut."""
    if stands_for < in_tile:
        return f"cut: {features:,} of {in_tile:,}"
    if kind == "dimos" and stands_for != features:
        return THINNED
    return EVERY_PERMIT


def raw_tile_call(database_url: str, z: int):
    """dimos's tile SQL (gis.tiles.render_tile) through psycopg2 on one connection: what the
    server adds on top of its SQL. JIT is off for the database, as for every server."""
    conn = psycopg2.connect(database_url)
    layer = layers.collection(DIMOS_COLLECTION)

    def call(i: int) -> float:
        x, y = TILES[z][i % len(TILES[z])]
        started = time.perf_counter()
        with conn.cursor() as cur:
            if not render_tile(cur, layer, z, x, y):
                raise BenchError(f"{RAW}: tile {z}/{x}/{y} is empty")
        conn.rollback()
        return time.perf_counter() - started
    return call, conn


def permits_in_tile(database_url: str, z: int, x: int, y: int) -> int:
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:
            # exactly: the index's boxes are float4, and && counts points a little outside
            cur.execute("SELECT count(*) FROM building_permits, ST_TileEnvelope(%s, %s, %s) AS e "
                        "WHERE geom_mercator && e AND ST_Intersects(geom_mercator, e)", (z, x, y))
            return cur.fetchone()[0]
    finally:
        conn.close()


def tile_case(servers: dict[str, tuple[Server, str]], database_url: str, z: int) -> list[Row]:
    case = f"tile z{z}"
    in_tile = [permits_in_tile(database_url, z, x, y) for x, y in TILES[z]]
    urls, works, features = {}, {}, {}
    for name, (server, kind) in servers.items():
        tiles = [tile_url(kind, server.url, z, x, y) for x, y in TILES[z]]
        if None in tiles:
            continue
        found = [tile_features(fetch("GET", url).content) for url in tiles]
        if not all(count for count, _ in found):
            raise BenchError(f"{name}: an empty z{z} tile among {tiles}")
        urls[name] = tiles
        works[name] = tile_work(kind, found[0][0], found[0][1], in_tile[0])
        features[name] = "/".join(f"{count:,}" for count, _ in found)
    print(f"  {case}: {', '.join(urls)} … (permits in each tile: "
          f"{'/'.join(f'{n:,}' for n in in_tile)})", flush=True)
    raw, conn = raw_tile_call(database_url, z)
    try:
        calls = {name: http_call(lambda i, t=tiles: t[i % len(t)]) for name, tiles in urls.items()}
        measured = measure({**calls, RAW: raw}, TILE_REQUESTS[z], warmup=2,
                           sequential_only=frozenset({RAW}))
    finally:
        conn.close()
    rows = [Row(case, name, works[name], features[name], *measured[name]) for name in urls]
    rows.append(Row(case, RAW, "the same tile as dimos, one connection", "", *measured[RAW]))
    return rows


# --- ogr2ogr -------------------------------------------------------------------------------

def ogr_copy(url: str, layer: str, folder: Path, page_size: int | None) -> tuple[float | None, int]:
    """Seconds for Debian's ogr2ogr to copy an OGC API collection to a GeoPackage (None: not
    done within OGR_TIMEOUT_S), and the features copied."""
    out = folder / f"copy-{time.monotonic_ns()}.gpkg"
    args = ["ogr2ogr", "-f", "GPKG", str(out), f"OAPIF:{url}", layer]
    if page_size:
        args += ["-oo", f"PAGE_SIZE={page_size}"]
    started = time.perf_counter()
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=OGR_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return None, 0
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise BenchError(f"ogr2ogr {url} {layer}: {done.stderr[-400:]}")
    info = subprocess.run(["ogrinfo", "-so", "-al", str(out)], capture_output=True, text=True)
    copied = next((int(line.split(":")[1]) for line in info.stdout.splitlines()
                   if line.startswith("Feature Count:")), 0)
    out.unlink(missing_ok=True)
    return seconds, copied


def ogr_rows(servers: dict[str, tuple[Server, str]], folder: Path) -> list[Row]:
    rows = []
    dimos = servers["dimos"][0]
    print("  ogr2ogr copies …", flush=True)
    seconds, copied = ogr_copy(f"{dimos.url}/ogc", "service_requests", folder, None)
    rows.append(_ogr_row("ogr2ogr service_requests, 10 a page", "dimos", seconds, copied))
    for name in ("dimos", "tipg"):  # tipg: the fastest peer whose paging works
        if name not in servers:
            continue
        server, kind = servers[name]
        base = f"{server.url}/ogc" if kind == "dimos" else server.url
        layer = DIMOS_COLLECTION if kind == "dimos" else "public.building_permits"
        seconds, copied = ogr_copy(base, layer, folder, 1000)
        rows.append(_ogr_row("ogr2ogr 1,000,000 permits, 1,000 a page", name, seconds, copied))
    return rows


def _ogr_row(case: str, server: str, seconds: float | None, copied: int) -> Row:
    if seconds is None:
        stats = Stats(float("inf"), float("inf"), 0.0, 0)
        return Row(case, server, f"stopped after {OGR_TIMEOUT_S} s", "", stats, None)
    return Row(case, server, "full copy to GeoPackage", f"{copied:,}",
               Stats(seconds * 1000, seconds * 1000, copied / seconds, 1), None)


# --- targets -------------------------------------------------------------------------------

@dataclass
class Target:
    case: str
    ratio: str
    mode: str
    value: float
    goal: str
    passed: bool


def _row(rows: list[Row], case: str, server: str) -> Row | None:
    return next((r for r in rows if r.case == case and r.server == server), None)


def _fastest_peer(rows: list[Row], case: str, work: str | None, mode: str) -> Row | None:
    """The peer row of ``case`` with the lowest median in ``mode``, of ``work`` if given
    (a thinned dimos tile and a whole one both account for every permit)."""
    same = {work, THINNED} if work == EVERY_PERMIT else {work}
    peers = [r for r in rows if r.case == case and r.server not in DIMOS_ROWS
             and r.server != RAW and (work is None or r.work in same)
             and getattr(r, mode) is not None]
    return min(peers, key=lambda r: getattr(r, mode).median_ms, default=None)


def targets(rows: list[Row]) -> list[Target]:
    """The issue's targets, on median latency, unrounded."""
    out = []
    modes = ("sequential", "concurrent")

    def add(case, ratio, num: Row | None, den: Row | None, goal, ok, only=modes):
        for mode in only:
            a, b = (getattr(num, mode, None), getattr(den, mode, None))
            if a is None or b is None:
                continue
            value = a.median_ms / b.median_ms
            out.append(Target(case, ratio, mode, value, goal, ok(value)))

    cases = list(dict.fromkeys(r.case for r in rows))
    for case in cases:
        if case.startswith(("items", "tile")):
            for dimos in ("dimos", "dimos (no count)"):
                mine = _row(rows, case, dimos)
                if mine is None:
                    continue
                for mode in modes:
                    # the fastest peer doing the same work: on items, counted or not; on
                    # tiles, a tile that accounts for every permit in it (not one cut short)
                    peer = _fastest_peer(rows, case, mine.work if case.startswith("items")
                                         else EVERY_PERMIT, mode)
                    if peer is not None:
                        add(case, f"{dimos} / fastest peer ({peer.server}, {peer.work})", mine,
                            peer, "≤ 1.0", lambda v: v <= 1.0, (mode,))
                    cut = _fastest_peer(rows, case, None, mode)
                    if case.startswith("tile") and cut is not None and cut.work != EVERY_PERMIT:
                        add(case, f"{dimos} / {cut.server} ({cut.work}): other work", mine, cut,
                            "none", lambda v: True, (mode,))
        if case.startswith("tile"):
            add(case, "dimos / its SQL", _row(rows, case, "dimos"), _row(rows, case, RAW),
                "≤ 1.2", lambda v: v <= 1.2, ("sequential",))
        add(case, f"dimos / {NO_RLS}", _row(rows, case, "dimos"), _row(rows, case, NO_RLS),
            "≤ 1.05", lambda v: v <= 1.05)
    for dimos in ("dimos", "dimos (no count)"):
        add("items page after 500,000", f"{dimos}: deep page / page 1",
            _row(rows, "items page after 500,000", dimos), _row(rows, "items page 1", dimos),
            "≤ 1.5", lambda v: v <= 1.5)
    for case, limit_s in (("ogr2ogr service_requests, 10 a page", 3),
                          ("ogr2ogr 1,000,000 permits, 1,000 a page", 60)):
        row = _row(rows, case, "dimos")
        if row is not None:
            seconds = row.sequential.median_ms / 1000
            out.append(Target(case, "dimos seconds", "one run", seconds, f"≤ {limit_s}",
                              seconds <= limit_s))
    report = _row(rows, "planning-report", "dimos")
    if report is not None:
        out.append(Target("planning-report", "dimos p95 ms", "sequential",
                          report.sequential.p95_ms, "< 30", report.sequential.p95_ms < 30))
    return out


# --- output --------------------------------------------------------------------------------

def _ms(value: float) -> str:
    return "—" if value == float("inf") else f"{value:,.1f}"


def render_table(rows: list[Row]) -> list[str]:
    head = (f"{'case':<40}{'server':<22}{'work':<44}{'features':>16}{'seq med':>10}"
            f"{'p95':>9}{'req/s':>8}{'c16 med':>10}{'p95':>9}{'req/s':>8}")
    lines = [head, "-" * len(head)]
    for r in rows:
        s, c = r.sequential, r.concurrent
        conc = (f"{_ms(c.median_ms):>10}{_ms(c.p95_ms):>9}{c.rps:>8.1f}" if c
                else f"{'—':>10}{'—':>9}{'—':>8}")
        lines.append(f"{r.case:<40}{r.server:<22}{r.work[:43]:<44}{r.features:>16}"
                     f"{_ms(s.median_ms):>10}{_ms(s.p95_ms):>9}{s.rps:>8.1f}{conc}")
    return lines


def render_targets(found: list[Target]) -> list[str]:
    lines = ["targets (ratios of medians, unrounded; shown to 3 decimals):"]
    for t in found:
        mode = f"{CONCURRENCY} concurrent" if t.mode == "concurrent" else t.mode
        lines.append(f"  {t.case:<40}{t.ratio:<58}{mode:<14}{t.value:>9.3f}  target {t.goal}  "
                     f"{'PASS' if t.passed else 'MISS'}")
    return lines


def result_rows(rows: list[Row]) -> list[dict]:
    """One record per row and mode: what a reviewer needs to recompute every ratio."""
    out = []
    for r in rows:
        for mode in ("sequential", "concurrent"):
            stats = getattr(r, mode)
            if stats is None:
                continue
            out.append({"case": r.case, "server": r.server, "work": r.work, "mode": mode,
                        "clients": 1 if mode == "sequential" else CONCURRENCY,
                        "median_ms": None if stats.median_ms == float("inf") else stats.median_ms,
                        "p95_ms": None if stats.p95_ms == float("inf") else stats.p95_ms,
                        "rps": stats.rps, "n": stats.n, "features": r.features})
    return out


def write_results(folder: Path, context: dict, rows: list[Row], found: list[Target],
                  lines: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(
        {**context, "rows": result_rows(rows), "targets": [asdict(t) for t in found]},
        indent=2, ensure_ascii=False))
    (folder / "results.md").write_text("# dimos benchmark\n\n```\n" + "\n".join(lines) + "\n```\n")


# --- servers -------------------------------------------------------------------------------

def start(key: str, database_url: str, folder: Path, suffix: str = "") -> Server:
    """Server ``key`` (one of SERVERS) on the database of ``database_url``."""
    name = key + suffix
    if key == "dimos":
        return start_dimos(database_url, folder, name=name)
    if key == "dimos-no-count":  # numberMatched only for resulttype=hits
        return start_dimos(database_url, folder, name=name,
                           extra_env={"DIMOS_COUNT_LIMIT": "0"})
    if key == "dimos-no-rls":  # the owner's URL for the web app: the policies do not apply
        return start_dimos(database_url, folder, name=name,
                           extra_env={"DIMOS_APP_DATABASE_URL": database_url})
    if key == "dimos-cache":
        return start_dimos(database_url, folder, tile_cache_mb=64, name=name)
    if key == "mapserver":
        return start_mapserver(database_url, folder, name=name)
    if key == "tipg":
        return start_tipg(database_url, folder, name=name)
    return start_stock_pygeoapi(database_url, folder, count=key == "pygeoapi-stock", name=name)


def start_all(keys, database_url: str, folder: Path, suffix: str = "") -> dict:
    """{row name: (server, kind)} of the servers ``keys``, started on one database."""
    started = {}
    try:
        for key in keys:
            row, kind = SERVERS[key]
            started[row] = (start(key, database_url, folder, suffix), kind)
    except BaseException:
        stop_all(started)
        raise
    return started


def stop_all(servers: dict) -> None:
    for server, _ in servers.values():
        stop(server)


def bbox_cases(servers: dict[str, tuple[Server, str]], label: str = "") -> list[Row]:
    def dense(server, kind, i):
        return items_url(kind, server.url, LIMIT, shifted(DENSE_BBOX, i))

    def sparse(server, kind, i):
        return items_url(kind, server.url, LIMIT, shifted(SPARSE_BBOX, i))

    return [*items_case(servers, f"items dense bbox, {LIMIT} of ~9,000{label}", dense, LIMIT,
                        100),
            *items_case(servers, f"items sparse bbox{label}", sparse, None, 100)]


def paging_cases(servers: dict[str, tuple[Server, str]]) -> list[Row]:
    cursors = {server.name: cursor_after(server, DEEP)
               for server, kind in servers.values() if kind == "dimos"}
    # Debian's MapServer 8.0.0 ignores offset (every page is page 1): not asked for a deep one
    paging = {name: entry for name, entry in servers.items() if entry[1] not in NO_OFFSET}
    return [*items_case(servers, "items page 1",
                        lambda s, kind, i: items_url(kind, s.url, LIMIT), LIMIT, 100),
            *items_case(paging, "items page after 500,000",
                        lambda s, kind, i: deep_url(s, kind, cursors), LIMIT, 20, warmup=2)]


def report_case(servers: dict[str, tuple[Server, str]]) -> list[Row]:
    urls = {name: f"{server.url}/ogc/processes/planning-report/execution"
            for name, (server, _) in servers.items() if name in ("dimos", NO_RLS)}
    if not urls:
        return []
    first = fetch("POST", urls["dimos"], REPORT_INPUTS).json()
    features = f"{len(first['zones'])} zones, {len(first['permits'])} permits"
    print("  planning-report …", flush=True)
    measured = measure({name: http_call(lambda i, u=url: u, "POST", REPORT_INPUTS)
                        for name, url in urls.items()}, 200, 10)
    return [Row("planning-report", name, "zones and permits within 100 m", features,
                *measured[name]) for name in urls]


def run(args, settings: Settings, folder: Path) -> list[Row]:
    database_url = prepare_database(settings.effective_database_url, args.database)
    rows: list[Row] = []
    print(f"starting {', '.join(args.servers)} (2 workers each) …", flush=True)
    servers = start_all(args.servers, database_url, folder)
    try:
        rows += bbox_cases(servers)
        rows += paging_cases(servers)
        for z in TILES:
            rows += tile_case(servers, database_url, z)
        rows += report_case(servers)
        if not args.no_ogr:
            rows += ogr_rows(servers, folder)
    finally:
        stop_all(servers)
    if not args.no_sorted:
        sorted_url = prepare_sorted_database(settings.effective_database_url, args.database)
        keys = [key for key in SORTED_SERVERS if key in args.servers]
        servers = start_all(keys, sorted_url, folder, SORTED_SUFFIX)
        try:
            rows += bbox_cases(servers, ", ids follow space")
        finally:
            stop_all(servers)
    return rows


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--only", help=f"comma-separated servers to start (of {', '.join(SERVERS)})"
                                       "; the rows and targets of the others are left out")
    parser.add_argument("--database", default=BENCH_DATABASE,
                        help=f"the benchmark database's name (default {BENCH_DATABASE})")
    parser.add_argument("--no-sorted", action="store_true",
                        help="leave out the cases on the copy whose ids follow space")
    parser.add_argument("--no-ogr", action="store_true", help="leave out ogr2ogr's full copies")
    args = parser.parse_args(argv)
    args.servers = tuple(args.only.split(",")) if args.only else tuple(SERVERS)
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
    try:
        with tempfile.TemporaryDirectory(prefix="dimos-bench-") as tmp:
            rows = run(args, settings, Path(tmp))
    except BenchError as error:
        print(f"bench: error: {error}", file=sys.stderr)
        return 1
    found = targets(rows)
    context = {
        "rows in building_permits": f"{TARGET_ROWS:,}",
        "dense bbox (CRS84)": f"{DENSE_BBOX}, moved east 0.1 m more for each request",
        "sparse bbox (CRS84)": f"{SPARSE_BBOX}, the same",
        "tiles": "; ".join(f"z{z}: " + ", ".join(f"{x}/{y}" for x, y in t)
                           for z, t in TILES.items()),
        "clients": f"python-requests, Connection: close, sequential and {CONCURRENCY} threads",
        "servers": "2 worker processes each; dimos and pygeoapi 16 threads a worker (gthread), "
                   "tipg uvicorn (async), MapServer 2 FastCGI processes behind lighttpd; "
                   "dimos's tile cache off (but for the tile-cache row); JIT off for the "
                   "database, so for every server",
        "load average (1 min) before / after": f"{load_before:.2f} / "
                                                f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs",
        "duration_s": round(time.perf_counter() - started, 1)}
    lines = ([f"{k}: {v}" for k, v in context.items()] + [""] + render_table(rows) + [""]
             + render_targets(found))
    print()
    print("\n".join(lines))
    out = settings.state_dir / "bench"
    write_results(out, context, rows, found, lines)
    print(f"\nwritten to {out}/results.json and results.md; the whole run took "
          f"{context['duration_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
