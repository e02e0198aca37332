"""50 citizens posting Open311 requests with photos for 60 s: nothing lost, no 5xx.

Runs `dimos serve` on its own database (``dimos_bench_open311``: migrated, demo loaded), posts
from 50 threads for a fixed time, then counts: every request answered 201 must be stored
(with its photo), and no answer may be a 5xx. Prints latency percentiles and throughput.

    python -m bench.open311_load [--clients 50] [--seconds 60] [--workers 4]
"""
from __future__ import annotations

import argparse
import io
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from PIL import Image

from gis import db, migrate
from settings import Settings

DATABASE = "dimos_bench_open311"
CODES = ("pothole", "street_light", "rubbish", "tree", "sidewalk", "graffiti")


def photo_with_gps(rng: random.Random) -> bytes:
    """A ~1 MP phone-like JPEG with GPS EXIF (what the server must strip)."""
    image = Image.effect_noise((1280, 960), 40).convert("RGB")
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (35.0, 22.0, rng.uniform(0, 59)), 3: "E", 4: (24.0, 28.0, 29.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


def prepare(settings: Settings) -> str:
    url = db.with_database(settings.effective_database_url, DATABASE)
    server = db.with_database(settings.effective_database_url, "postgres")
    db.drop_database(server, DATABASE)
    db.create_database(server, DATABASE)
    migrate.upgrade(url)
    from data.demo import build_rethymno
    from dimos.demo import load_demo

    load_demo(url, build_rethymno(), reset=True)
    return url


def places(url: str, count: int = 400) -> list[tuple[float, float]]:
    """Points on land in the town (buildings away from the coast) to report at."""
    conn = db.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("""
                SELECT ST_X(p), ST_Y(p) FROM (
                  SELECT ST_Transform(ST_PointOnSurface(b.geom), 4326) AS p
                  FROM buildings b JOIN jurisdictions j ON j.id = b.jurisdiction_id
                  WHERE ST_Distance(b.geom, ST_Boundary(j.boundary)) > 100
                  ORDER BY b.id LIMIT %s) AS town""", (count,))
            return cur.fetchall()
    finally:
        conn.close()


def serve(url: str, workers: int) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # 50 citizens behind one loopback address: the per-address limit would refuse them
    env = {**os.environ, "DATABASE_URL": url, "DIMOS_STATE_DIR": tempfile.mkdtemp(),
           "DIMOS_RATE_LIMIT_REPORTS_PER_MIN": "0"}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "dimos"), "serve", "--port", str(port),
         "--workers", str(workers)], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/health", timeout=10).status_code == 200:
                return server, base
        except requests.RequestException:
            time.sleep(0.2)
    os.killpg(server.pid, signal.SIGTERM)
    raise SystemExit("dimos serve did not start")


def citizen(base: str, until: float, spots, rng: random.Random, results: list, lock):
    session = requests.Session()
    photo = photo_with_gps(rng)
    while time.monotonic() < until:
        lon, lat = rng.choice(spots)
        started = time.perf_counter()
        try:
            answer = session.post(f"{base}/open311/v2/requests.json", timeout=60, data={
                "service_code": rng.choice(CODES), "lat": lat, "long": lon,
                "description": "Φόρτος: αίτημα με φωτογραφία", "email": "load@example.gr"},
                files={"media": ("photo.jpg", photo, "image/jpeg")})
            status = answer.status_code
            number = answer.json()[0].get("service_request_id") if status == 201 else None
        except requests.RequestException as exc:
            status, number = f"error {type(exc).__name__}", None
        with lock:
            results.append((status, time.perf_counter() - started, number))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args(argv)
    url = prepare(Settings())
    spots = places(url)
    server, base = serve(url, args.workers)
    results, lock = [], threading.Lock()
    try:
        until = time.monotonic() + args.seconds
        threads = [threading.Thread(target=citizen, args=(base, until, spots,
                                                          random.Random(i), results, lock))
                   for i in range(args.clients)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    accepted = [number for status, _, number in results if status == 201]
    by_status: dict = {}
    for status, _, _ in results:
        by_status[status] = by_status.get(status, 0) + 1
    conn = db.connect(url)
    with conn.cursor() as cur:
        cur.execute("""SELECT count(*), count(DISTINCT m.request_id) FROM service_requests r
            LEFT JOIN service_request_media m ON m.request_id = r.id
            WHERE r.service_request_id = ANY(%s)""", (accepted,))
        stored, with_photo = cur.fetchone()
    conn.close()
    latencies = sorted(seconds * 1000 for _, seconds, _ in results)
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    p99 = latencies[int(0.99 * (len(latencies) - 1))]
    server_errors = sum(n for s, n in by_status.items() if isinstance(s, int) and s >= 500)
    print(f"{args.clients} citizens for {elapsed:.0f} s against {args.workers} workers:")
    print(f"  answers by status: {dict(sorted(by_status.items(), key=str))}")
    print(f"  accepted {len(accepted)}, stored {stored}, stored with their photo {with_photo}")
    print(f"  latency median {statistics.median(latencies):.0f} ms, p95 {p95:.0f} ms, "
          f"p99 {p99:.0f} ms; {len(results) / elapsed:.1f} requests/s")
    lost = len(accepted) - stored
    verdict = "PASS" if lost == 0 and server_errors == 0 and with_photo == stored else "FAIL"
    print(f"  {verdict}: {lost} lost, {server_errors} server errors")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
