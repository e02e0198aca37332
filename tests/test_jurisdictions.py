"""One installation, several municipalities: Chania's streets and stops beside Rethymno's."""
from __future__ import annotations

import pytest

from data.demo import DEFAULT_SOURCES
from data.demo.common import Land, layer_frame
from data.demo.roads import town_segments
from gis import db
from gis.load import replace_layers, upsert_jurisdiction
from gis.routing import build_topology, connected_components
from gis.status import layer_counts
from importers import osm
from importers.boundaries import read_municipality

CHANIA_YPES = "9325"


@pytest.fixture
def chania(demo_url):
    """Chania loaded from its own OSM extract, in a transaction rolled back after the test."""
    _, boundary = read_municipality(
        DEFAULT_SOURCES / "boundaries/crete_municipalities_kallikratis_wgs84.geojson", CHANIA_YPES)
    land = Land(boundary)
    osm_file = DEFAULT_SOURCES / "osm/chania.osm"
    segments, _ = town_segments(osm.read_osm_roads(osm_file), land)
    stops = osm.read_osm_bus_stops(osm_file).to_crs(2100)
    stop_records = [{"stop_id": f"osm:node/{row.osm_id}", "osm_id": int(row.osm_id),
                     "name": row.name, "smart": False, "geometry": row.geometry}
                    for row in stops.itertuples() if land.covers(row.geometry)]
    frames = {"roads": layer_frame("roads", segments),
              "bus_stops": layer_frame("bus_stops", stop_records)}
    conn = db.connect(demo_url)
    cur = conn.cursor()
    upsert_jurisdiction(cur, {"id": "chania", "name_el": "Δήμος Χανίων",
                              "name_en": "Municipality of Chania", "ypes_code": CHANIA_YPES,
                              "boundary": boundary})
    counts = replace_layers(cur, "chania", frames)
    build_topology(cur, "chania")
    yield cur, counts
    conn.rollback()
    conn.close()


def test_two_municipalities_hold_their_own_features(chania, demo):
    cur, loaded = chania
    assert loaded["roads"] > 100 and loaded["bus_stops"] > 0
    _, by_jurisdiction = layer_counts(cur)
    assert by_jurisdiction["chania"]["roads"] == loaded["roads"]
    assert by_jurisdiction["rethymno"]["roads"] == len(demo.layers["roads"])
    assert by_jurisdiction["rethymno"]["bus_stops"] == len(demo.layers["bus_stops"])
    cur.execute("SELECT count(*) FROM roads r JOIN jurisdictions j ON j.id = r.jurisdiction_id "
                "WHERE NOT ST_CoveredBy(r.geom, j.boundary)")
    assert cur.fetchone() == (0,)


def test_each_municipality_has_its_own_routable_network(chania):
    cur, _ = chania
    assert connected_components(cur, "chania") == 1
    assert connected_components(cur, "rethymno") == 1
    cur.execute("""SELECT count(*) FROM roads r JOIN road_vertices v ON v.id = r.source
                   WHERE v.jurisdiction_id <> r.jurisdiction_id""")
    assert cur.fetchone() == (0,)


def test_the_same_bay_id_may_exist_in_both_municipalities(chania):
    cur, _ = chania
    cur.execute("""INSERT INTO parking_bays (jurisdiction_id, bay_id, bay_type, occupancy_state, geom)
                   SELECT 'chania', bay_id, bay_type, occupancy_state,
                          ST_Translate(geom, -60000, 5000)
                   FROM parking_bays WHERE jurisdiction_id = 'rethymno' AND bay_id = 'RB-0001'""")
    cur.execute("SELECT jurisdiction_id FROM parking_bays WHERE bay_id = 'RB-0001' ORDER BY 1")
    assert cur.fetchall() == [("chania",), ("rethymno",)]
