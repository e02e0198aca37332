"""The demo generator itself (no database): deterministic and true to the catalogue, for each
municipality it builds (Rethymno, Chania)."""
from __future__ import annotations

import re

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

import layers
from data.demo import DEFAULT_SOURCES, build_municipality
from data.demo.common import SRID
from data.demo.municipality import CHANIA, RETHYMNO
from data.demo.zoning import old_town_centre, street_blocks
from importers import osm

MUNICIPALITIES = {m.id: m for m in (RETHYMNO, CHANIA)}


@pytest.fixture(params=list(MUNICIPALITIES))
def built(request):
    """One municipality's demo data (built once per session by conftest's fixtures)."""
    return request.getfixturevalue({"rethymno": "demo", "chania": "chania_demo"}[request.param])


def test_the_same_seed_builds_the_same_data(built):
    again = build_municipality(MUNICIPALITIES[built.jurisdiction["id"]])
    for layer_id, frame in built.layers.items():
        other = again.layers[layer_id]
        assert list(frame.columns) == list(other.columns), layer_id
        assert frame.geometry.geom_equals_exact(other.geometry, tolerance=0).all(), layer_id
        pd.testing.assert_frame_equal(frame.drop(columns="geometry"),
                                      other.drop(columns="geometry"), obj=layer_id)


@pytest.mark.parametrize("layer", layers.CATALOGUE, ids=lambda layer: layer.id)
def test_every_value_keeps_the_catalogue_rules(built, layer):
    frame = built.layers[layer.id]
    assert list(frame.columns) == [f.name for f in layer.fields] + ["geometry"]
    assert not frame.duplicated(subset=list(layer.natural_key)).any()
    for f in layer.fields:
        values = frame[f.name]
        if f.required:
            assert values.notna().all(), f"{layer.id}.{f.name} has nulls"
        present = values[values.notna()]
        if f.choices:
            assert set(present) <= set(f.codes), f"{layer.id}.{f.name}"
        if f.minimum is not None:
            assert (present >= f.minimum).all(), f"{layer.id}.{f.name}"
        if f.maximum is not None:
            assert (present <= f.maximum).all(), f"{layer.id}.{f.name}"
        if f.pattern:
            assert all(re.search(f.pattern, v) for v in present), f"{layer.id}.{f.name}"


def test_settlement_points_lie_in_their_boundaries(built):
    from data.demo import DEFAULT_SOURCES
    from importers.settlements import read_settlements

    municipality = MUNICIPALITIES[built.jurisdiction["id"]]
    points = read_settlements(DEFAULT_SOURCES / municipality.settlements_file)
    assert set(points["settlement_code"].str[:4]) == {municipality.elstat_code}
    polygons = built.layers["settlements"].set_index("settlement_code").geometry
    inside = [polygons[row.settlement_code].covers(row.geometry) for row in points.itertuples()]
    assert all(inside)


def test_districts_tile_the_municipality(built):
    districts = built.layers["districts"]
    boundary = built.jurisdiction["boundary"]
    assert abs(districts.geometry.union_all().area - boundary.area) / boundary.area < 1e-4
    assert districts.geometry.area.sum() == pytest.approx(boundary.area, rel=1e-4)  # no overlaps


def test_parking_bays_do_not_overlap_each_other_or_buildings(built):
    bays = built.layers["parking_bays"].geometry
    assert bays.union_all().area == pytest.approx(bays.area.sum(), rel=1e-9)
    buildings = built.layers["buildings"].geometry.union_all()
    assert not bays.intersects(buildings).any()


def test_another_seed_builds_other_data(demo):
    other = build_municipality(RETHYMNO, seed=RETHYMNO.seed + 1)
    assert len(other.layers["service_requests"]) == len(demo.layers["service_requests"])
    assert not other.layers["service_requests"].geometry.geom_equals_exact(
        demo.layers["service_requests"].geometry, tolerance=0).all()


def test_the_seat_and_the_old_town_are_each_municipalitys_own(built):
    municipality = MUNICIPALITIES[built.jurisdiction["id"]]
    zoning = built.layers["zoning"]
    historic = zoning[zoning["land_use"] == "historic_centre"].geometry.union_all()
    assert historic.contains(old_town_centre(municipality))
    settlements = built.layers["settlements"]
    town = settlements[settlements["settlement_code"].str.endswith("010101")]
    assert list(town["name"]) == [municipality.town_name]
    assert set(built.layers["parking_bays"]["bay_id"].str[:3]) == {f"{municipality.bay_prefix}-"}


def test_the_town_zones_are_whole_street_blocks(built):
    """A zone's edge runs along a street (a block's edge), never through a block."""
    municipality = MUNICIPALITIES[built.jurisdiction["id"]]
    streets = osm.read_osm_roads(DEFAULT_SOURCES / municipality.osm_file).to_crs(SRID)
    zoning = built.layers["zoning"]
    town = zoning[zoning["plan_id"] == "GPS-2004"]
    green = town[town["land_use"] == "green"].geometry.union_all()
    zoned = town.geometry.union_all().difference(green)
    blocks = [piece for piece in (b.intersection(zoned) for b in street_blocks(streets.geometry))
              if piece.area > 1]
    assert len(blocks) > 150
    split = [b for b in blocks if max(town.geometry.intersection(b).area) < 0.999 * b.area]
    assert split == []


def test_rethymnos_historic_centre_is_its_walled_old_town_and_the_fortezza(demo):
    zoning = demo.layers["zoning"]
    historic = zoning[zoning["land_use"] == "historic_centre"].geometry.union_all()

    def inside(lon, lat):
        return historic.contains(gpd.GeoSeries([Point(lon, lat)], crs=4326).to_crs(SRID).iloc[0])

    streets = osm.read_osm_roads(DEFAULT_SOURCES / RETHYMNO.osm_file).to_crs(SRID)
    walls = streets[streets["name"].isin(RETHYMNO.old_town_walls)].geometry.union_all()
    assert walls.length > 900  # Dimakopoulou and Gerakari, from the Porta Guora both ways
    assert historic.boundary.buffer(1).covers(walls)
    assert inside(24.4720, 35.3722)  # the Fortezza's hill
    assert inside(24.4760, 35.3697)  # the Rimondi fountain
    assert inside(24.4746, 35.3680)  # Ethnikis Antistaseos, inside the Porta Guora
    assert not inside(24.4722, 35.3664)  # the Municipal Garden, outside the walls
