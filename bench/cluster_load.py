"""The mixed load on one node, then on the cluster: `python -m bench.cluster_load`.

The same 100 clients and request mix as bench.mixed_load (tiles, items, planning reports,
Open311 posts with an Idempotency-Key, 40/30/15/15) for --seconds each:

1. one node: `dimos serve`, 2 workers, on the demo in the project's PostgreSQL;
2. the cluster: `dimos cluster up` (Patroni primary + synchronous replica, HAProxy, two nodes of
   1 worker each: the same 2 worker processes), on the same demo, through HAProxy's HTTP front;
3. the cluster again, app node 1 killed (SIGKILL) --kill-at seconds in.

On 2 cores the point is correctness and overhead, not speed-up: the cluster's requests/s
should be within 20 % of one node's; phases 1 and 2 answer only 2xx; phase 3 only 2xx or 503
with Retry-After; every post answered 201 is stored, once. Report:
`.dimos/bench/cluster_load.md`. The cluster runs under `.dimos/bench/cluster`, ports from
--port-base (5700), and is stopped and removed at the end.
"""
from __future__ import annotations

import argparse
import os
import shutil
import threading
import time
from collections import Counter

from bench.mixed_load import POST_DESCRIPTION, run_phase, stored, summarise
from bench.open311_load import places, prepare
from bench.servers import start_dimos, stop
from gis import db, migrate
from servers.ha import HACluster
from settings import Settings

TARGET = 0.8  # cluster requests/s ÷ one node's


def cluster_up(settings: Settings, port_base: int) -> HACluster:
    from data.demo import build_rethymno
    from dimos.demo import load_demo

    # the load is one client address hammering on purpose (the nodes inherit the environment)
    os.environ.update(DIMOS_RATE_LIMIT_REPORTS_PER_MIN="0", DIMOS_RATE_LIMIT_PROCESSES_PER_MIN="0")
    state = settings.state_dir / "bench" / "cluster"
    shutil.rmtree(state, ignore_errors=True)
    ha = HACluster(state, port_base, port_base + 40)
    ha.up(lambda url: migrate.upgrade(url, "head"))
    load_demo(ha.owner_url, build_rethymno(), reset=True)
    return ha


def duplicates(url: str) -> int:
    """Reports of the load filed more than once (each post's description is its own)."""
    conn = db.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM (SELECT description FROM service_requests "
                    "WHERE description LIKE %s GROUP BY description HAVING count(*) > 1) AS twice",
                    (f"{POST_DESCRIPTION}%",))
        count = cur.fetchone()[0]
    conn.close()
    return count


def rate(results: list) -> float:
    seconds = max(1e-9, max(r[3] for r in results) - min(r[2] for r in results))
    return len(results) / seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--kill-at", type=float, default=20)
    parser.add_argument("--port-base", type=int, default=5700)
    args = parser.parse_args(argv)
    settings = Settings()
    folder = settings.state_dir / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    url = prepare(settings)
    spots = places(url)
    server = start_dimos(url, folder, tile_cache_mb=64, name="dimos-one-node")
    try:
        one = run_phase(server.url, args.seconds, spots)
    finally:
        stop(server)
    ha = cluster_up(settings, args.port_base)
    front = f"http://127.0.0.1:{ha.http_port}"
    try:
        spread = run_phase(front, args.seconds, spots)
        killed = {}

        def kill():
            time.sleep(args.kill_at)
            ha.kill("app-1")
            killed["at"] = time.monotonic()

        killer = threading.Thread(target=kill)
        killer.start()
        through = run_phase(front, args.seconds, spots)
        killer.join()
        numbers = [r[4] for r in spread + through if r[4]]
        kept, twice = stored(ha.owner_url, numbers), duplicates(ha.owner_url)
    finally:
        ha.down()
        shutil.rmtree(ha.root, ignore_errors=True)
    ratio = rate(spread) / rate(one)
    errors = [r for r in one + spread if r[1] not in (200, 201)]
    bad = [r for r in through if r[1] not in (200, 201, 503)]
    report = [f"# mixed load, one node and the cluster: 100 clients, {args.seconds:g} s a phase", ""]
    report += summarise("phase 1 (one node, 2 workers)", one) + [""]
    report += summarise("phase 2 (cluster: 2 nodes × 1 worker, replica reads)", spread) + [""]
    report += summarise(f"phase 3 (cluster, app-1 killed at {args.kill_at:g} s)", through)
    report += ["", "| check | value | result |", "|---|--:|---|",
               f"| cluster / one node, requests/s | {ratio:.3f} | "
               f"{'PASS' if ratio >= TARGET else 'MISS'} (≥ {TARGET}) |",
               f"| phases 1–2: answers other than 2xx | {len(errors)} | "
               f"{'PASS' if not errors else 'MISS'} |",
               f"| phase 3: answers other than 2xx/503 | {len(bad)} "
               f"({dict(Counter(r[1] for r in bad))}) | {'PASS' if not bad else 'MISS'} |",
               f"| cluster posts answered 201 / stored / filed twice | {len(numbers)} / {kept} / "
               f"{twice} | {'PASS' if kept == len(numbers) and not twice else 'MISS'} |"]
    text = "\n".join(report) + "\n"
    (folder / "cluster_load.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
