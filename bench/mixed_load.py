"""Mixed load, then the same load through a PostGIS restart: `python -m bench.mixed_load`.

100 concurrent clients for --seconds each phase against `dimos serve` (tile cache on, as
deployed) on its own database (the demo): map tiles, items queries, planning reports and
Open311 request posts (each with an Idempotency-Key), chosen at random in proportions
40/30/15/15.

Phase 1: no errors allowed; latency p50/p99 per kind. Phase 2: the project's PostgreSQL
cluster is stopped and started again --restart-at seconds in: during the outage only 503s are
allowed; recovery = from the database answering again to the last non-2xx answer; every post
answered 201 must be stored. Needs the project-local cluster (not DATABASE_URL).
"""
from __future__ import annotations

import argparse
import random
import threading
import time
import uuid
from collections import Counter, defaultdict

import requests

from bench.open311_load import CODES, places, prepare
from bench.servers import start_dimos, stop
from gis import db
from servers import cluster
from settings import Settings

CLIENTS = 100
TOWN = ((24.4660, 35.3600), (24.4860, 35.3740))  # lon/lat of the town for items and reports
TILES = {15: ((18610, 12937), (18613, 12940)), 16: ((37220, 25874), (37226, 25880))}  # x, y
TILE_LAYERS = ("roads", "buildings", "parking_bays", "zoning", "building_permits")
POST_DESCRIPTION = "Μικτό φορτίο"


def one_request(session: requests.Session, base: str, rng: random.Random, spots) -> tuple:
    """(kind, status, service_request_id or None) of one random request."""
    draw = rng.random()
    if draw < 0.40:
        z = rng.choice(tuple(TILES))
        (x0, y0), (x1, y1) = TILES[z]
        kind, answer = "tile", session.get(
            f"{base}/ogc/collections/{rng.choice(TILE_LAYERS)}/tiles/WebMercatorQuad/"
            f"{z}/{rng.randint(y0, y1)}/{rng.randint(x0, x1)}?f=mvt", timeout=60)
    elif draw < 0.70:
        lon = rng.uniform(TOWN[0][0], TOWN[1][0] - 0.003)
        lat = rng.uniform(TOWN[0][1], TOWN[1][1] - 0.003)
        kind, answer = "items", session.get(
            f"{base}/ogc/collections/building_permits/items", timeout=60, params={
                "f": "json", "limit": 50, "bbox": f"{lon},{lat},{lon + 0.003},{lat + 0.003}"})
    elif draw < 0.85:
        lon, lat = rng.choice(spots)
        kind, answer = "report", session.post(
            f"{base}/ogc/processes/planning-report/execution", timeout=60, json={"inputs": {
                "location": {"type": "Point", "coordinates": [lon, lat]}, "radius": 50}})
    else:
        lon, lat = rng.choice(spots)
        # a key of its own: a post HAProxy sends again (bench.cluster_load) is filed once
        key = uuid.uuid4().hex  # not from rng: phases replay its sequence
        kind, answer = "post", session.post(
            f"{base}/open311/v2/requests.json", timeout=60, headers={"Idempotency-Key": key},
            data={"service_code": rng.choice(CODES), "lat": lat, "long": lon,
                  "description": f"{POST_DESCRIPTION} {key}", "email": "mixed@example.gr"})
    number = None
    if kind == "post" and answer.status_code == 201:
        number = answer.json()[0].get("service_request_id")
    return kind, answer.status_code, number


def client(base: str, until: float, seed: int, spots, results: list, lock) -> None:
    rng = random.Random(seed)
    session = requests.Session()
    while time.monotonic() < until:
        started = time.monotonic()
        try:
            kind, status, number = one_request(session, base, rng, spots)
        except requests.RequestException as exc:
            kind, status, number = "?", f"error {type(exc).__name__}: {exc}"[:160], None
        with lock:
            results.append((kind, status, started, time.monotonic(), number))


def run_phase(base: str, seconds: float, spots, restart=None) -> list:
    results, lock = [], threading.Lock()
    until = time.monotonic() + seconds
    threads = [threading.Thread(target=client, args=(base, until, n, spots, results, lock))
               for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    if restart is not None:
        restart()
    for thread in threads:
        thread.join()
    return results


def summarise(name: str, results: list) -> list[str]:
    seconds = max(1e-9, max(r[3] for r in results) - min(r[2] for r in results))
    lines = [f"{name}: {len(results)} requests, {len(results) / seconds:.0f}/s; "
             f"answers {dict(Counter(r[1] for r in results))}"]
    others = Counter((kind, status) for kind, status, *_ in results if status not in (200, 201))
    if others:  # which requests got what: a 4xx or an error under load is a defect to find
        lines.append("  not 2xx: " + ", ".join(f"{kind} {status} × {n}"
                                               for (kind, status), n in sorted(others.items())))
    by_kind = defaultdict(list)
    for kind, status, started, ended, _ in results:
        if status == 200 or status == 201:
            by_kind[kind].append((ended - started) * 1000)
    for kind, times in sorted(by_kind.items()):
        times.sort()
        lines.append(f"  {kind:<7} n={len(times):>6}  p50 {times[len(times) // 2]:7.0f} ms  "
                     f"p99 {times[int(0.99 * (len(times) - 1))]:7.0f} ms")
    return lines


def stored(url: str, numbers: list[str]) -> int:
    conn = db.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM service_requests WHERE service_request_id = ANY(%s)",
                    (numbers,))
        count = cur.fetchone()[0]
    conn.close()
    return count


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--restart-at", type=float, default=20)
    args = parser.parse_args(argv)
    settings = Settings()
    if not settings.uses_local_cluster:
        raise SystemExit("bench.mixed_load restarts the project's own cluster: unset DATABASE_URL")
    folder = settings.state_dir / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    url = prepare(settings)
    spots = places(url)
    local = cluster.LocalCluster(settings.state_dir, settings.pg_port)
    server = start_dimos(url, folder, tile_cache_mb=64, name="dimos-mixed")
    report = [f"# mixed load: {CLIENTS} clients, tiles/items/planning-report/Open311 posts "
              "40/30/15/15, 2 workers, tile cache on", ""]
    try:
        normal = run_phase(server.url, args.seconds, spots)
        report += summarise("phase 1 (normal)", normal)
        outage = {}

        def restart():
            time.sleep(args.restart_at)
            outage["down"] = time.monotonic()
            local.down()
            local.up()
            outage["up"] = time.monotonic()

        through = run_phase(server.url, args.seconds, spots, restart)
        report += [""] + summarise("phase 2 (PostgreSQL restarted)", through)
    finally:
        stop(server)
    errors = [r for r in normal if r[1] not in (200, 201)]
    bad = [r for r in through if r[1] not in (200, 201, 503)]
    late = [r for r in through if r[1] not in (200, 201) and r[2] >= outage["up"]]
    recovery = max((r[3] for r in late), default=outage["up"]) - outage["up"]
    numbers = [r[4] for r in normal + through if r[4]]
    kept = stored(url, numbers)
    report += ["", f"database down for {outage['up'] - outage['down']:.1f} s "
                   f"(pg_ctl stop -m fast, then start)",
               "| check | value | result |", "|---|--:|---|",
               f"| phase 1: errors | {len(errors)} | {'PASS' if not errors else 'MISS'} |",
               f"| phase 2: answers other than 2xx/503 | {len(bad)} | "
               f"{'PASS' if not bad else 'MISS'} |",
               f"| phase 2: recovery after the database is back | {recovery:.2f} s | "
               f"{'PASS' if recovery <= 5 else 'MISS'} |",
               f"| posts answered 201 / stored | {len(numbers)} / {kept} | "
               f"{'PASS' if kept == len(numbers) else 'MISS'} |"]
    text = "\n".join(report) + "\n"
    (folder / "mixed_load.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
