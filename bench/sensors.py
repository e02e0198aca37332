"""Sensor ingestion benchmark: `python -m bench.sensors` (part of `make bench`).

On a database of its own (the demo: 600 bays, 7 car parks, 110 APs) and a broker of its own:

(a) sustained ingestion: readings offered at --rate per second (default 6,000) for --seconds,
    through the deployed path (`dimos serve` with its ingest worker), side by side with a
    naive peer (one INSERT and one UPDATE per message, autocommit — a typical hand-rolled
    subscriber) given the same load. Reading-to-queryable latency: car-park readings carry
    their publish time; a poller sees when each becomes the sensor's current state.
(b) the live feed: every sensor at one reading per second for --live-seconds (default 600):
    readings the broker acknowledged = readings stored.
(c) while (b) runs: nearest free bays on foot (`parking-nearest-free`), sequential requests,
    against the straight-line `nearest` process as the peer.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import shutil
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
import requests

from bench.servers import start_dimos, stop
from gis import db, migrate, sensors
from servers import broker_accounts
from servers.broker import LocalBroker
from settings import Settings

DATABASE = "dimos_bench_sensors"
OLD_TOWN = ((24.4700, 35.3650), (24.4790, 35.3720))  # lon/lat box the nearest queries come from

RESET_SQL = "TRUNCATE sensor_readings, sensor_ingest_counts"
SENSORS_SQL = "SELECT jurisdiction_id, kind, sensor_id, id FROM sensors ORDER BY kind, sensor_id"
PROBE_SQL = "SELECT sensor_id, observed_at FROM sensors WHERE kind = 'lot'"
STORED_SQL = "SELECT count(*) FROM sensor_readings WHERE observed_at >= %s AND observed_at < %s"
NAIVE_INSERT_SQL = """
INSERT INTO sensor_readings (sensor, observed_at, state, value) VALUES (%s, %s, %s, %s)
ON CONFLICT DO NOTHING
"""
NAIVE_UPDATE_SQL = """
UPDATE sensors SET observed_at = %s, state = %s, value = %s
WHERE id = %s AND (observed_at IS NULL OR observed_at < %s)
"""


def prepare(settings: Settings) -> str:
    url = db.with_database(settings.effective_database_url, DATABASE)
    server = db.with_database(settings.effective_database_url, "postgres")
    fresh = db.create_database(server, DATABASE)
    migrate.upgrade(url)
    conn = db.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM sensors")
        registered = cur.fetchone()[0]
    conn.close()
    if fresh or registered == 0:
        from data.demo import build_rethymno
        from dimos.demo import load_demo

        load_demo(url, build_rethymno(), reset=True)
    conn = db.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute(RESET_SQL)
        # the naive peer does not make partitions: this month's and the next are there
        now = datetime.now(UTC)
        sensors.ensure_partitions(cur, {sensors.month_start(now),
                                        sensors.next_month(sensors.month_start(now))})
    conn.close()
    return url


def _sensors(url: str) -> list[tuple]:
    conn = db.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute(SENSORS_SQL)
        rows = cur.fetchall()
    conn.close()
    return rows


def _payload(kind: str, moment: datetime, n: int) -> str:
    ts = moment.isoformat(timespec="microseconds")
    if kind == "bay":
        return json.dumps({"ts": ts, "occupied": n % 3 == 0, "battery": 80})
    if kind == "lot":
        return json.dumps({"ts": ts, "free": n % 5})  # within every car park's capacity
    return json.dumps({"ts": ts, "up": True, "clients": n % 40})


def publish(port: int, auth: tuple, devices: list[tuple], rate: float, seconds: float,
            result: dict) -> None:
    """Offer ``rate`` readings/s round-robin over ``devices`` for ``seconds`` (QoS 1)."""
    acked = [0]
    lock = threading.Lock()

    def on_publish(client, userdata, mid, reason_code, properties):
        with lock:
            acked[0] += 1

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="")
    client.username_pw_set(*auth)
    client.max_inflight_messages_set(5000)
    client.max_queued_messages_set(0)
    client.on_publish = on_publish
    client.connect("127.0.0.1", port)
    client.loop_start()
    tick = 0.01
    per_tick = rate * tick
    started = time.monotonic()
    sent, n = 0, 0
    first = datetime.now(UTC)
    while time.monotonic() - started < seconds:
        due = int((time.monotonic() - started) / tick * per_tick) + 1
        while sent < due:
            j, kind, sensor_id, _ = devices[n % len(devices)]
            client.publish(f"dimos/{j}/{kind}/{sensor_id}", _payload(kind, datetime.now(UTC), n),
                           qos=1)
            sent += 1
            n += 1
        time.sleep(max(0.0, started + (due / per_tick) * tick - time.monotonic()))
    last = datetime.now(UTC)
    deadline = time.monotonic() + 60
    while acked[0] < sent and time.monotonic() < deadline:
        time.sleep(0.05)
    client.loop_stop()
    client.disconnect()
    result.update(sent=sent, acked=acked[0], first=first, last=last,
                  offered_s=time.monotonic() - started)


class LatencyProbe(threading.Thread):
    """Polls the car parks' current state; a new observed_at is a reading become queryable."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url = url
        self.latencies: list[float] = []
        self.stop = threading.Event()

    def run(self):
        conn = db.connect(self.url)
        conn.autocommit = True
        seen = {}
        with conn.cursor() as cur:
            while not self.stop.is_set():
                cur.execute(PROBE_SQL)
                now = datetime.now(UTC)
                for sensor_id, observed in cur.fetchall():
                    if observed is not None and seen.get(sensor_id) not in (None, observed):
                        self.latencies.append((now - observed).total_seconds())
                    seen[sensor_id] = observed
                time.sleep(0.02)
        conn.close()


def _naive_subscriber(url: str, port: int, auth: tuple, ids: dict, ready, stop) -> None:
    conn = db.connect(url)
    conn.autocommit = True
    cur = conn.cursor()

    def on_message(client, userdata, message):
        _, j, kind, sensor_id = message.topic.split("/")
        body = json.loads(message.payload)
        state = ("occupied" if body.get("occupied") else "free") if kind == "bay" else (
            ("up" if body.get("up") else "down") if kind == "ap" else None)
        value = body.get("free", body.get("clients"))
        sensor = ids[(j, sensor_id)]
        observed = datetime.fromisoformat(body["ts"])
        cur.execute(NAIVE_INSERT_SQL, (sensor, observed, state, value))
        cur.execute(NAIVE_UPDATE_SQL, (observed, state, value, sensor, observed))

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-naive",
                         clean_session=True)
    client.username_pw_set(*auth)
    client.on_message = on_message
    client.on_subscribe = lambda *args: ready.set()
    client.connect("127.0.0.1", port)
    client.subscribe("dimos/+/+/+", qos=1)
    client.loop_start()
    stop.wait()
    client.loop_stop()
    client.disconnect()
    conn.close()


def _stored(url: str, first: datetime, last: datetime) -> int:
    conn = db.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute(STORED_SQL, (first, last + timedelta(seconds=1)))
        count = cur.fetchone()[0]
    conn.close()
    return count


def sustained(url: str, port: int, auth: tuple, devices: list[tuple], rate: float,
              seconds: float) -> dict:
    """Offer the load, wait for the backlog to drain; rates, counts and latency."""
    probe = LatencyProbe(url)
    probe.start()
    result: dict = {}
    publish(port, auth, devices, rate, seconds, result)
    # the backlog: how long after the offer ended until everything acknowledged is stored
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        stored = _stored(url, result["first"], result["last"])
        if stored >= result["acked"]:
            break
        time.sleep(0.2)
    result["stored"] = _stored(url, result["first"], result["last"])
    drained_s = (datetime.now(UTC) - result["last"]).total_seconds()
    probe.stop.set()
    probe.join()
    lat = sorted(probe.latencies)
    span = (result["last"] - result["first"]).total_seconds() + drained_s
    result.update(
        rate_stored=result["stored"] / span if span else 0.0, drained_s=drained_s,
        latency_n=len(lat),
        latency_p50=statistics.median(lat) if lat else None,
        latency_p95=lat[int(0.95 * (len(lat) - 1))] if lat else None)
    return result


def nearest_latencies(base: str, process: str, inputs: dict, stop: threading.Event,
                      out: list[float]) -> None:
    rng = random.Random(7)
    session = requests.Session()
    while not stop.is_set():
        lon = rng.uniform(OLD_TOWN[0][0], OLD_TOWN[1][0])
        lat = rng.uniform(OLD_TOWN[0][1], OLD_TOWN[1][1])
        started = time.perf_counter()
        answer = session.post(f"{base}/ogc/processes/{process}/execution", timeout=30, json={
            "inputs": {**inputs, "location": {"type": "Point", "coordinates": [lon, lat]}}})
        elapsed = time.perf_counter() - started
        answer.raise_for_status()
        out.append(elapsed)
        time.sleep(0.05)


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[int(q * (len(values) - 1))] * 1000 if values else float("nan")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # offered above the 5,000/s target: the stored rate shows whether dimos keeps up
    parser.add_argument("--rate", type=float, default=6000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--peer-seconds", type=float, default=20)
    parser.add_argument("--live-seconds", type=float, default=600)
    args = parser.parse_args(argv)
    settings = Settings()
    folder = settings.state_dir / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    url = prepare(settings)
    devices = _sensors(url)
    ids = {(j, sensor_id): row_id for j, _, sensor_id, row_id in devices}
    from bench.servers import free_port

    # a fresh broker: a session left by an earlier run would hold that run's readings
    shutil.rmtree(folder / "sensors-broker", ignore_errors=True)
    broker = LocalBroker(folder / "sensors-broker", free_port())
    print(broker.up())
    # every client signs in (the broker's own accounts): readings as the simulator, the naive
    # peer as the ingest worker, dimos's worker from the broker's folder
    accounts = settings.model_copy(update={"state_dir": broker.state_dir, "mqtt_url": None})
    publisher = broker_accounts.credentials(accounts, broker_accounts.SIMULATOR)
    subscriber = broker_accounts.credentials(accounts, broker_accounts.INGEST)
    lines = [f"# sensors benchmark ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)", "",
             f"- sensors: {len(devices)}; offered {args.rate:,.0f} readings/s", ""]
    try:
        # (a, peer) the naive subscriber alone on the broker
        ready, stop_naive = multiprocessing.Event(), multiprocessing.Event()
        naive = multiprocessing.Process(target=_naive_subscriber,
                                        args=(url, broker.port, subscriber, ids, ready, stop_naive))
        naive.start()
        ready.wait(10)
        print(f"(a) naive peer: {args.rate:,.0f}/s for {args.peer_seconds:.0f} s …", flush=True)
        peer = sustained(url, broker.port, publisher, devices, args.rate, args.peer_seconds)
        stop_naive.set()
        naive.join(30)

        # (a) dimos as deployed: `dimos serve` with its ingest worker
        server = start_dimos(url, folder, name="dimos-sensors", extra_env={
            "DIMOS_SENSORS_INGEST": "1", "DIMOS_MQTT_PORT": str(broker.port),
            "DIMOS_SENSOR_SILENT_AFTER_S": "3600",
            "DIMOS_STATE_DIR": str(broker.state_dir)})  # where the ingest account is
        try:
            time.sleep(3)  # the ingest worker subscribes
            print(f"(a) dimos: {args.rate:,.0f}/s for {args.seconds:.0f} s …", flush=True)
            ours = sustained(url, broker.port, publisher, devices, args.rate, args.seconds)

            # (b) + (c): 1 reading/s per sensor, nearest queries meanwhile
            print(f"(b) live feed 1/s per sensor for {args.live_seconds:.0f} s, (c) nearest "
                  "queries meanwhile …", flush=True)
            stop_queries = threading.Event()
            walk, straight = [], []
            queries = [threading.Thread(target=nearest_latencies, daemon=True, args=(
                server.url, "parking-nearest-free", {"count": 5}, stop_queries, walk)),
                threading.Thread(target=nearest_latencies, daemon=True, args=(
                    server.url, "nearest", {"layer": "parking_bays", "count": 5,
                                            "filter": "occupancy_state = 'free'"},
                    stop_queries, straight))]
            for thread in queries:
                thread.start()
            live = sustained(url, broker.port, publisher, devices, len(devices),
                             args.live_seconds)
            stop_queries.set()
            for thread in queries:
                thread.join(30)
        finally:
            stop(server)
    finally:
        broker.down()

    def row(name, r):
        return (f"| {name} | {r['sent']:,} | {r['acked']:,} | {r['stored']:,} | "
                f"{r['rate_stored']:,.0f} | {r['drained_s']:.1f} | {r['latency_n']} | "
                f"{(r['latency_p50'] or float('nan')) * 1000:.0f} | "
                f"{(r['latency_p95'] or float('nan')) * 1000:.0f} |")
    lines += ["| run | sent | acknowledged | stored | stored/s | backlog drained s | probes | "
              "latency p50 ms | p95 ms |", "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
              row("(a) dimos ingest", ours), row("(a) naive peer", peer),
              row("(b) live feed, dimos", live), "",
              "| query (during the live feed) | n | p50 ms | p95 ms |", "|---|--:|--:|--:|",
              f"| parking-nearest-free (walking) | {len(walk)} | {_pct(walk, 0.5):.1f} | "
              f"{_pct(walk, 0.95):.1f} |",
              f"| nearest (straight line, peer) | {len(straight)} | {_pct(straight, 0.5):.1f} | "
              f"{_pct(straight, 0.95):.1f} |", "",
              "| target | value | result |", "|---|--:|---|",
              f"| (a) sustained ≥ 5,000 readings/s | {ours['rate_stored']:,.0f} | "
              f"{'PASS' if ours['rate_stored'] >= 5000 and ours['stored'] == ours['acked'] else 'MISS'} |",
              f"| (a) p95 reading→queryable < 1 s | {(ours['latency_p95'] or 99):.3f} s | "
              f"{'PASS' if (ours['latency_p95'] or 99) < 1 else 'MISS'} |",
              f"| (b) acknowledged = stored | {live['acked']:,} / {live['stored']:,} | "
              f"{'PASS' if live['acked'] == live['stored'] else 'MISS'} |",
              f"| (c) nearest free bay p95 < 50 ms | {_pct(walk, 0.95):.1f} ms | "
              f"{'PASS' if _pct(walk, 0.95) < 50 else 'MISS'} |",
              f"| dimos / naive peer, stored per s | "
              f"{ours['rate_stored'] / max(peer['rate_stored'], 1):.2f} | — |"]
    report = "\n".join(lines) + "\n"
    (folder / "sensors.md").write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
