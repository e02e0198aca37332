"""The demo generator itself (no database): deterministic and true to the catalogue."""
from __future__ import annotations

import re

import pandas as pd
import pytest

import layers
from data.demo import build_rethymno


def test_the_same_seed_builds_the_same_data(demo):
    again = build_rethymno()
    for layer_id, frame in demo.layers.items():
        other = again.layers[layer_id]
        assert list(frame.columns) == list(other.columns), layer_id
        assert frame.geometry.geom_equals_exact(other.geometry, tolerance=0).all(), layer_id
        pd.testing.assert_frame_equal(frame.drop(columns="geometry"),
                                      other.drop(columns="geometry"), obj=layer_id)


@pytest.mark.parametrize("layer", layers.CATALOGUE, ids=lambda layer: layer.id)
def test_every_value_keeps_the_catalogue_rules(demo, layer):
    frame = demo.layers[layer.id]
    assert list(frame.columns) == [f.name for f in layer.fields] + ["geometry"]
    assert not frame.duplicated(subset=list(layer.natural_key)).any()
    for f in layer.fields:
        values = frame[f.name]
        if f.required:
            assert values.notna().all(), f"{layer.id}.{f.name} has nulls"
        present = values[values.notna()]
        if f.choices:
            assert set(present) <= set(f.choices), f"{layer.id}.{f.name}"
        if f.minimum is not None:
            assert (present >= f.minimum).all(), f"{layer.id}.{f.name}"
        if f.maximum is not None:
            assert (present <= f.maximum).all(), f"{layer.id}.{f.name}"
        if f.pattern:
            assert all(re.search(f.pattern, v) for v in present), f"{layer.id}.{f.name}"


def test_settlement_points_lie_in_their_boundaries(demo):
    from data.demo import DEFAULT_SOURCES
    from importers.settlements import read_settlements

    points = read_settlements(DEFAULT_SOURCES / "settlements/rethymno_settlements_2021.geojson")
    polygons = demo.layers["settlements"].set_index("settlement_code").geometry
    inside = [polygons[row.settlement_code].covers(row.geometry) for row in points.itertuples()]
    assert all(inside)


def test_districts_tile_the_municipality(demo):
    districts = demo.layers["districts"]
    boundary = demo.jurisdiction["boundary"]
    assert abs(districts.geometry.union_all().area - boundary.area) / boundary.area < 1e-4
    assert districts.geometry.area.sum() == pytest.approx(boundary.area, rel=1e-4)  # no overlaps


def test_parking_bays_do_not_overlap_each_other_or_buildings(demo):
    bays = demo.layers["parking_bays"].geometry
    assert bays.union_all().area == pytest.approx(bays.area.sum(), rel=1e-9)
    buildings = demo.layers["buildings"].geometry.union_all()
    assert not bays.intersects(buildings).any()
