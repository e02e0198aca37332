"""Items pages at any depth: page 1, a deep offset and a deep cursor, on the 1,000,000-permit table.

`python -m bench.paging [--database dimos_bench] [--runs 15]` times ``gis.features.query_page``
(the SQL and its fetch, on one connection as the owner, JIT off as dimos runs) for the
`building_permit_sites` collection (the grown permits are points), and prints one row per
page: what it asked (limit, depth, offset or cursor, sortby, whether a count(*) ran: never
for a page of a table this large, always for ``resulttype=hits``), median and p95 ms.
"""
from __future__ import annotations

import argparse
import statistics
import time

import layers
from bench.data import BENCH_DATABASE, prepare_database
from gis.db import connect, with_database
from gis.features import FeatureQuery, query_page
from settings import Settings

DEEP = 500_000


def _time(url: str, query: FeatureQuery, runs: int) -> tuple[float, float, int]:
    """Median and p95 milliseconds of ``runs`` pages after 3 warm-ups, and the features."""
    conn = connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SET jit = off")
        samples = []
        for run in range(runs + 3):
            with conn.cursor() as cur:
                started = time.perf_counter()
                page = query_page(cur, query)
                elapsed = (time.perf_counter() - started) * 1000
            conn.rollback()
            if run >= 3:
                samples.append(elapsed)
    finally:
        conn.close()
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))], len(page.features)


def _key_at(url: str, layer, depth: int, sortby) -> list:
    """The cursor key of the feature at ``depth`` in the order (as a next link carries it)."""
    conn = connect(url)
    try:
        with conn.cursor() as cur:
            page = query_page(cur, FeatureQuery(layer=layer, limit=1, offset=depth - 1,
                                                sortby=sortby, count=False))
            after = query_page(cur, FeatureQuery(layer=layer, limit=1, offset=depth - 2,
                                                 sortby=sortby, count=False))
    finally:
        conn.close()
    assert page.features and after.next_key is not None
    return after.next_key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=BENCH_DATABASE)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    settings = Settings()
    url = prepare_database(with_database(settings.effective_database_url, "postgres"),
                           args.database)
    layer = layers.collection("building_permit_sites")
    print(f"{'limit':>5} {'page':<28} {'sortby':<12} {'count':<6} {'median ms':>9} "
          f"{'p95 ms':>7} {'features':>8}")
    for limit in (10, 1000):
        for sortby in ([], [("issue_date", False)]):
            deep_key = _key_at(url, layer, DEEP, sortby)
            pages = [("page 1", {}), (f"offset={DEEP:,}", {"offset": DEEP}),
                     (f"cursor after {DEEP:,}", {"after": deep_key})]
            order = ",".join(("" if up else "-") + f for f, up in sortby) or "(id)"
            for name, where in pages:
                # the count policy: no count(*) for a page of a table this large
                query = FeatureQuery(layer=layer, limit=limit, sortby=sortby, **where)
                median, p95, features = _time(url, query, args.runs)
                print(f"{limit:>5} {name:<28} {order:<12} {'no':<6} "
                      f"{median:>9.1f} {p95:>7.1f} {features:>8}")
    median, p95, _ = _time(url, FeatureQuery(layer=layer, limit=0), args.runs)
    print(f"{0:>5} {'resulttype=hits':<28} {'':<12} {'yes':<6} {median:>9.1f} {p95:>7.1f} "
          f"{0:>8}")


if __name__ == "__main__":
    main()
