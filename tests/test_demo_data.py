"""The Rethymno demo in PostGIS: real scale, on land, routable, idempotent, with plan history."""
from __future__ import annotations

import pytest
from psycopg2 import sql

import layers
from dimos.demo import load_demo
from gis import db, migrate
from gis.routing import connected_components
from gis.status import layer_counts


def test_demo_has_the_municipalitys_real_scale(demo):
    # the demo as built: the shared database gains rows from other tests (a loaded copy is
    # compared with these frames, row for row, on a database of its own below)
    counts = {layer_id: len(frame) for layer_id, frame in demo.layers.items()}
    assert counts["settlements"] == 99
    assert counts["parking_bays"] == 600
    assert counts["parking_lots"] == 7
    assert counts["wifi_access_points"] == 110
    assert counts["traffic_cameras"] == 12
    assert counts["service_requests"] >= 5000
    assert counts["building_permits"] >= 2000
    assert counts["bus_stops"] >= 15
    assert all(count > 0 for count in counts.values()), counts


def test_the_municipality_boundary_is_rethymnos_land_area(cursor):
    cursor.execute("SELECT ST_Area(boundary) / 1e6, elstat_code, ypes_code FROM jurisdictions "
                   "WHERE id = 'rethymno'")
    area_km2, elstat, ypes = cursor.fetchone()
    assert 385 < area_km2 < 405  # 394 km² published
    assert (elstat, ypes) == ("7301", "9318")


@pytest.mark.parametrize("layer", layers.CATALOGUE, ids=lambda layer: layer.id)
def test_every_demo_feature_lies_within_the_municipalitys_land_area(cursor, layer):
    cursor.execute(sql.SQL(
        "SELECT count(*) FILTER (WHERE NOT ST_CoveredBy(f.geom, j.boundary)), count(*) "
        "FROM {} AS f JOIN jurisdictions AS j ON j.id = f.jurisdiction_id "
        "WHERE j.id = 'rethymno'").format(sql.Identifier(layer.table)))
    outside, total = cursor.fetchone()
    assert total > 0
    assert outside == 0, f"{outside} of {total} {layer.id} features outside the land area"


def test_the_whole_road_network_is_one_routable_graph(cursor):
    cursor.execute("SELECT count(*) FROM roads WHERE source IS NULL OR target IS NULL")
    assert cursor.fetchone() == (0,)
    assert connected_components(cursor, "rethymno") == 1
    # every settlement is reachable: a route from the town hall area to the farthest village
    cursor.execute("""
        WITH far AS (
            SELECT s.geom FROM settlements s ORDER BY ST_Distance(s.geom,
                (SELECT geom FROM settlements WHERE name = 'Ρέθυμνον' LIMIT 1)) DESC LIMIT 1),
        a AS (SELECT id FROM road_vertices ORDER BY geom <-> ST_Transform(
                 ST_SetSRID(ST_MakePoint(24.4740, 35.3670), 4326), 2100) LIMIT 1),
        b AS (SELECT v.id FROM road_vertices v, far ORDER BY v.geom <-> ST_Centroid(far.geom) LIMIT 1)
        SELECT max(agg_cost) FROM pgr_dijkstra(
            'SELECT id, source, target, cost_s AS cost, reverse_cost_s AS reverse_cost FROM roads',
            (SELECT id FROM a), (SELECT id FROM b))""")
    (seconds,) = cursor.fetchone()
    assert seconds is not None and 5 * 60 < seconds < 2 * 3600


def test_a_plan_amendment_changes_what_applied_on_a_past_date(cursor):
    cursor.execute("""
        SELECT z.zone_id, z.valid_to, ST_PointOnSurface(z.geom) FROM zoning z
        WHERE z.valid_to IS NOT NULL ORDER BY z.zone_id LIMIT 1""")
    old_zone, amended_on, point = cursor.fetchone()
    in_force = """
        SELECT zone_id, building_coefficient, plan_id FROM zoning
        WHERE ST_Intersects(geom, %(p)s::geometry) AND valid_from <= %(d)s
          AND (valid_to IS NULL OR valid_to > %(d)s)"""
    cursor.execute(in_force + " AND zone_id = %(z)s", {"p": point, "d": amended_on.replace(
        year=amended_on.year - 1), "z": old_zone})
    assert cursor.fetchall(), "the superseded zone applied a year before the amendment"
    cursor.execute(in_force, {"p": point, "d": amended_on})
    after = cursor.fetchall()
    assert after and old_zone not in {row[0] for row in after}


def test_requests_keep_reporters_data_apart_from_the_public_record(cursor):
    cursor.execute("SELECT count(*) FROM service_requests_private WHERE reporter_email LIKE '%@%'")
    assert cursor.fetchone()[0] >= 1000
    cursor.execute("SELECT column_name FROM information_schema.columns "
                   "WHERE table_name = 'service_requests' AND column_name LIKE 'reporter%'")
    assert cursor.fetchall() == []


def test_requests_are_where_people_live(cursor):
    cursor.execute("""
        SELECT avg((EXISTS (SELECT 1 FROM settlements s
                            WHERE ST_DWithin(s.geom, r.geom, 200)))::int)
        FROM service_requests r""")
    assert cursor.fetchone()[0] > 0.9


def test_every_bay_lies_beside_a_real_street(cursor):
    cursor.execute("""
        SELECT count(*) FROM parking_bays b
        WHERE NOT EXISTS (SELECT 1 FROM roads r WHERE r.osm_id IS NOT NULL
                          AND ST_DWithin(r.geom, b.geom, 15))""")
    assert cursor.fetchone() == (0,)


def test_loading_the_demo_twice_leaves_the_same_counts(make_database, demo):
    url = make_database()  # its own: a reload gives the shared demo database new ids
    migrate.upgrade(url)
    load_demo(url, demo)
    before = _counts(url)
    load_demo(url, demo, reset=True)
    after = _counts(url)
    assert before == after
    assert after == {layer_id: len(frame) for layer_id, frame in demo.layers.items()}


def _counts(url: str) -> dict[str, int]:
    conn = db.connect(url)
    try:
        with conn.cursor() as cur:
            return layer_counts(cur)[0]
    finally:
        conn.close()
