"""The map's daily tools: `python -m bench.map_tools` (part of `make bench`).

Search: the map's search box, `GET /api/search`, over two databases: the demo (`make demo`: Rethymno
and Chania) and the benchmark's (Rethymno with 1,000,000 permits, bench/data.py: its permit
numbers and ΚΑΕΚ are searched too). Each case asks each query of QUERIES in turn (a street
with a number, Greek without accents, upper case with an accent, Greeklish, a settlement, a
permit number and a ΚΑΕΚ of that database, a prefix), sequentially and from 16 clients; the
floor is the same search (gis/search.py) run straight on PostgreSQL, with no HTTP and no
Flask. No search server that reads these tables can be run here (Nominatim and Photon import
OpenStreetMap into their own stores): the floor is the peer. Target (issue 21): dimos's p95
under 50 ms on both databases, sequentially.

The planning certificate: `GET /api/planning-certificate.pdf` at points of the old town and
the centre in turn (a one-page A4 PDF with its map extract, WeasyPrint), on both databases.
Target (issue 21): generated in under 1 s (sequential p95). No peer: nothing else here makes
this document.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from bench.data import BENCH_DATABASE, prepare_database
from bench.run import CONCURRENCY, HEADERS, Stats, measure
from bench.servers import BenchError, start_dimos, stop
from gis import db
from gis.search import search
from settings import Settings

SEARCH_P95_MS = 50.0
CERTIFICATE_P95_MS = 1000.0
#: (lon, lat) the certificates are asked at: the old town, the Porta Guora, the centre
POINTS = ((24.4747, 35.3676), (24.4760, 35.3697), (24.4745, 35.3680), (24.4790, 35.3650))
#: what people type; the permit number and ΚΑΕΚ are each database's own (PERMIT_SQL)
QUERIES = ("Arkadiou 12", "αρκαδιου", "ΑΡΚΑΔΊΟΥ", "Xania", "Atsipopoulo", "Ατσιπόπουλο",
           "Κουντουριώτη", "Fortezza", "Gerakari", "{permit}", "{kaek}", "Ελευθ")
PERMIT_SQL = """SELECT permit_number, kaek FROM building_permits
                WHERE jurisdiction_id = 'rethymno' AND permit_number IS NOT NULL
                  AND kaek IS NOT NULL ORDER BY id DESC LIMIT 1"""
N = 240  # searches a case, sequential (twice that from the clients)
N_CERTIFICATES = 40


def queries_of(url: str) -> list[str]:
    conn = db.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(PERMIT_SQL)
            permit, kaek = cur.fetchone()
    finally:
        conn.close()
    return [q.format(permit=permit, kaek=kaek) for q in QUERIES]


def http_call(base: str, queries: list[str]):
    def call(i: int) -> float:
        started = time.perf_counter()
        answer = requests.get(f"{base}/api/search", headers=HEADERS, timeout=60, params={
            "q": queries[i % len(queries)], "lang": "el", "jurisdiction_id": "rethymno"})
        if answer.status_code != 200:
            raise BenchError(f"/api/search: HTTP {answer.status_code}: {answer.text[:300]}")
        return time.perf_counter() - started
    return call


def sql_call(url: str, queries: list[str]):
    """The search on a connection of each thread's own (the floor)."""
    local = threading.local()

    def call(i: int) -> float:
        if not hasattr(local, "conn"):
            local.conn = db.connect(url)
            local.conn.autocommit = True
        started = time.perf_counter()
        with local.conn.cursor() as cur:
            search(cur, queries[i % len(queries)], "el", home="rethymno")
        return time.perf_counter() - started
    return call


def first_results(base: str, queries: list[str]) -> list[str]:
    """What each query finds first (the table says the searches found something)."""
    found = []
    for q in queries:
        features = requests.get(f"{base}/api/search", timeout=60, params={
            "q": q, "lang": "el", "jurisdiction_id": "rethymno"}).json()["features"]
        found.append(f"{q!r} → {features[0]['properties']['label'] if features else 'nothing'}")
    return found


def certificate_call(base: str):
    def call(i: int) -> float:
        lon, lat = POINTS[i % len(POINTS)]
        started = time.perf_counter()
        answer = requests.get(f"{base}/api/planning-certificate.pdf", headers=HEADERS,
                              timeout=120, params={"lon": lon, "lat": lat, "lang": "el"})
        if answer.status_code != 200 or not answer.content.startswith(b"%PDF"):
            raise BenchError(f"/api/planning-certificate.pdf: HTTP {answer.status_code}: "
                             f"{answer.text[:300]}")
        return time.perf_counter() - started
    return call


def case(name: str, url: str, folder: Path) -> list[tuple[str, str, str, Stats, Stats]]:
    queries = queries_of(url)
    server = start_dimos(url, folder, name=f"dimos-{name}")
    try:
        print(f"  {name}:", *first_results(server.url, queries), sep="\n    ", flush=True)
        searched = measure({"dimos": http_call(server.url, queries),
                            "PostgreSQL alone (floor)": sql_call(url, queries)}, N, 12)
        certified = measure({"dimos": certificate_call(server.url)}, N_CERTIFICATES, 4)
    finally:
        stop(server)
    return ([("search", name, who, *stats) for who, stats in searched.items()]
            + [("certificate", name, "dimos", *certified["dimos"])])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.map_tools", description=__doc__)
    parser.add_argument("--database", default=BENCH_DATABASE)
    args = parser.parse_args(argv)
    settings = Settings()
    demo_url = settings.effective_database_url
    load_before = os.getloadavg()[0]
    try:
        bench_url = prepare_database(settings.effective_database_url, args.database)
        with tempfile.TemporaryDirectory(prefix="dimos-bench-map-tools-") as tmp:
            rows = (case("demo", demo_url, Path(tmp))
                    + case("1 M permits", bench_url, Path(tmp)))
    except BenchError as error:
        print(f"bench: error: {error}", file=sys.stderr)
        return 1
    print(f"\nload average (1 min) before / after: {load_before:.2f} / "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; clients: python-requests, "
          f"sequential and {CONCURRENCY} threads; dimos 2 workers")
    head = (f"{'case':<13}{'database':<14}{'server':<26}{'seq med':>9}{'p95':>8}"
            f"{'c16 med':>9}{'p95':>8}")
    print(head, "-" * len(head), sep="\n")
    for what, database, who, seq, conc in rows:
        print(f"{what:<13}{database:<14}{who:<26}{seq.median_ms:>9.1f}{seq.p95_ms:>8.1f}"
              f"{conc.median_ms:>9.1f}{conc.p95_ms:>8.1f}")
    for what, target in (("search", SEARCH_P95_MS), ("certificate", CERTIFICATE_P95_MS)):
        missed = [f"{database}: p95 {seq.p95_ms:.1f} ms" for case_, database, who, seq, _
                  in rows if case_ == what and who == "dimos" and not seq.p95_ms < target]
        print(f"target: {what}, dimos's sequential p95 < {target:g} ms on each database: "
              + ("met" if not missed else "MISSED (" + "; ".join(missed) + ")"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
