"""The bulk-load threshold at its real size (importers/pipeline.py BULK_MIN_FEATURES, not patched):
a file just under it is imported row by row, a 50,000-feature file into a layer holding fewer
than twice as many is bulk loaded. Through the real `dimos import`, on a database of its own.

What tells the paths apart: a bulk load drops the layer's indexes and builds them again, so
they come back as new relations (new OIDs); the ordinary path leaves them as they were."""
from __future__ import annotations

import time

import pyogrio
import shapely

from importers.pipeline import BULK_MIN_FEATURES
from tests.helpers import dimos, rows
from tests.test_importers import PERMIT_MAP, X0, Y0, permits_frame, rethymno_database

INDEXES = ("building_permits_jurisdiction_id_idx", "idx_building_permits_geom")


def _index_oids(url) -> dict[str, int]:
    return dict(rows(url, "SELECT relname, oid::bigint FROM pg_class WHERE relname = ANY(%s)",
                     (list(INDEXES),)))


def _permits_file(path, n: int, start: int):
    """``n`` permits on a 2 m grid south-east of the old town (all inside the municipality)."""
    frame = permits_frame(n, start=start)
    column, row = divmod(start + frame.index.to_numpy(), 400)
    frame = frame.set_geometry(shapely.points(X0 + 2.0 * column, Y0 - 2.0 * row), crs=2100)
    pyogrio.write_dataframe(frame, path)
    return path


def test_the_bulk_path_starts_at_50000_features_and_not_one_below(make_database, tmp_path):
    assert BULK_MIN_FEATURES == 50_000  # the size this test is about
    url = rethymno_database(make_database, "dimos_bulk_threshold")
    below = _permits_file(tmp_path / "below.gpkg", BULK_MIN_FEATURES - 1, start=0)
    at = _permits_file(tmp_path / "at.gpkg", BULK_MIN_FEATURES, start=BULK_MIN_FEATURES - 1)
    before = _index_oids(url)
    assert set(before) == set(INDEXES)

    started = time.monotonic()
    done = dimos("import", below, "--layer", "building_permits", *PERMIT_MAP, url=url,
                 timeout=120, DIMOS_STATE_DIR=str(tmp_path / "state"))
    assert done.returncode == 0, done.stderr
    assert f"{BULK_MIN_FEATURES - 1} read, {BULK_MIN_FEATURES - 1} added" in done.stdout
    assert _index_oids(url) == before  # row by row: the indexes were kept, not rebuilt
    ordinary_s = time.monotonic() - started

    started = time.monotonic()
    done = dimos("import", at, "--layer", "building_permits", *PERMIT_MAP, url=url,
                 timeout=120, DIMOS_STATE_DIR=str(tmp_path / "state"))
    assert done.returncode == 0, done.stderr
    assert f"{BULK_MIN_FEATURES} read, {BULK_MIN_FEATURES} added" in done.stdout
    after = _index_oids(url)
    assert set(after) == set(INDEXES)  # rebuilt, under their own names
    assert not set(after.values()) & set(before.values()), "the bulk path rebuilds the indexes"
    bulk_s = time.monotonic() - started

    assert rows(url, "SELECT count(*), count(DISTINCT permit_number) FROM building_permits") == [
        (2 * BULK_MIN_FEATURES - 1, 2 * BULK_MIN_FEATURES - 1)]
    print(f"{BULK_MIN_FEATURES - 1} row by row: {ordinary_s:.1f} s; "
          f"{BULK_MIN_FEATURES} bulk: {bulk_s:.1f} s")
