"""The demo in PostGIS (Rethymno and Chania): real scale, on land, routable, idempotent, with
plan history."""
from __future__ import annotations

import pytest
from psycopg2 import sql

import layers
from data.demo.municipality import CHANIA, RETHYMNO
from dimos.demo import load_demo
from gis import db
from gis.routing import connected_components
from gis.status import layer_counts

#: what README.md says of each municipality of the demo (tests/README_CLAIMS.md)
FIGURES = {
    "rethymno": dict(residents=57_216, area_km2=394, elstat="7301", ypes="9318",
                     settlements=99, service_requests=5600, building_permits=3660,
                     parking_bays=600, parking_lots=7, parking_signs=10, wifi_access_points=110,
                     traffic_cameras=12),
    "chania": dict(residents=111_375, area_km2=351, elstat="7401", ypes="9325",
                   settlements=53, service_requests=10_901, building_permits=7120,
                   parking_bays=1168, parking_lots=8, parking_signs=11, wifi_access_points=214,
                   traffic_cameras=23),
}
MUNICIPALITIES = {m.id: m for m in (RETHYMNO, CHANIA)}
#: layers whose counts scale with the residents
PER_RESIDENT = ("service_requests", "building_permits", "parking_bays", "wifi_access_points")


@pytest.fixture
def demos(demo, chania_demo):
    return {"rethymno": demo, "chania": chania_demo}


@pytest.mark.parametrize("jurisdiction", FIGURES)
def test_demo_has_the_municipalitys_real_scale(demos, jurisdiction):
    # the demo as built: the shared database gains rows from other tests (a loaded copy is
    # compared with these frames, row for row, on a database of its own below)
    figures, data = FIGURES[jurisdiction], demos[jurisdiction]
    counts = {layer_id: len(frame) for layer_id, frame in data.layers.items()}
    for layer_id in ("settlements", "service_requests", "building_permits", "parking_bays",
                     "parking_lots", "parking_signs", "wifi_access_points", "traffic_cameras"):
        assert counts[layer_id] == figures[layer_id], layer_id
    # the census counts communities: theirs add up to the municipality's residents
    assert data.layers["districts"]["population_2021"].sum() == figures["residents"]
    assert counts["bus_stops"] >= 15
    assert all(count > 0 for count in counts.values()), counts


def test_chania_has_as_much_per_resident_as_rethymno(demo, chania_demo):
    residents = {"rethymno": FIGURES["rethymno"]["residents"],
                 "chania": FIGURES["chania"]["residents"]}
    for layer_id in PER_RESIDENT:
        per_resident = {j: len(d.layers[layer_id]) / residents[j]
                        for j, d in (("rethymno", demo), ("chania", chania_demo))}
        # within 2 %: the counts are Rethymno's scaled by population, rounded
        assert per_resident["chania"] == pytest.approx(per_resident["rethymno"], rel=0.02), \
            layer_id
    assert len(chania_demo.layers["service_requests"]) > 1.9 * len(demo.layers["service_requests"])


@pytest.mark.parametrize("jurisdiction", FIGURES)
def test_the_municipality_boundary_is_its_land_area(both_cursor, jurisdiction):
    figures = FIGURES[jurisdiction]
    both_cursor.execute("SELECT ST_Area(boundary) / 1e6, elstat_code, ypes_code FROM jurisdictions "
                   "WHERE id = %s", (jurisdiction,))
    area_km2, elstat, ypes = both_cursor.fetchone()
    assert abs(area_km2 - figures["area_km2"]) < 1  # the figure README gives
    assert (elstat, ypes) == (figures["elstat"], figures["ypes"])


@pytest.mark.parametrize("layer", layers.CATALOGUE, ids=lambda layer: layer.id)
def test_every_demo_feature_lies_within_its_municipalitys_land_area(both_cursor, layer):
    both_cursor.execute(sql.SQL(
        "SELECT j.id, count(*) FILTER (WHERE NOT ST_CoveredBy(f.geom, j.boundary)), count(*) "
        "FROM {} AS f JOIN jurisdictions AS j ON j.id = f.jurisdiction_id "
        "GROUP BY j.id").format(sql.Identifier(layer.table)))
    found = {j: (outside, total) for j, outside, total in both_cursor.fetchall()}
    for jurisdiction in FIGURES:
        outside, total = found.get(jurisdiction, (0, 0))
        assert total > 0, f"no {layer.id} in {jurisdiction}"
        assert outside == 0, f"{outside} of {total} {layer.id} features outside {jurisdiction}"


@pytest.mark.parametrize("layer", layers.CATALOGUE, ids=lambda layer: layer.id)
def test_no_feature_lies_in_another_municipality_than_its_own(both_cursor, layer):
    both_cursor.execute(sql.SQL(
        "SELECT count(*) FROM {} AS f JOIN jurisdictions AS j "
        "ON j.id <> f.jurisdiction_id AND ST_Intersects(f.geom, j.boundary)").format(
            sql.Identifier(layer.table)))
    assert both_cursor.fetchone() == (0,)


@pytest.mark.parametrize("jurisdiction", FIGURES)
def test_each_road_network_is_one_routable_graph(both_cursor, jurisdiction):
    town = MUNICIPALITIES[jurisdiction]
    both_cursor.execute("SELECT count(*) FROM roads WHERE source IS NULL OR target IS NULL")
    assert both_cursor.fetchone() == (0,)
    assert connected_components(both_cursor, jurisdiction) == 1
    # every settlement a road reaches (not the islets): a route from the old town to the
    # farthest village
    both_cursor.execute("""
        WITH mine AS (SELECT * FROM roads WHERE jurisdiction_id = %(j)s),
        far AS (
            SELECT s.geom FROM settlements s
            WHERE s.jurisdiction_id = %(j)s
              AND EXISTS (SELECT 1 FROM mine WHERE ST_Intersects(mine.geom, s.geom))
            ORDER BY ST_Distance(s.geom, (SELECT geom FROM settlements WHERE name = %(town)s
                                          AND jurisdiction_id = %(j)s)) DESC LIMIT 1),
        a AS (SELECT id FROM road_vertices WHERE jurisdiction_id = %(j)s
              ORDER BY geom <-> ST_Transform(ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326),
                                             2100) LIMIT 1),
        b AS (SELECT v.id FROM road_vertices v, far WHERE v.jurisdiction_id = %(j)s
              ORDER BY v.geom <-> ST_Centroid(far.geom) LIMIT 1)
        SELECT max(agg_cost) FROM pgr_dijkstra(
            format('SELECT id, source, target, cost_s AS cost, reverse_cost_s AS reverse_cost '
                   'FROM roads WHERE jurisdiction_id = %%L', %(j)s::text),
            (SELECT id FROM a), (SELECT id FROM b))""",
                   {"j": jurisdiction, "town": town.town_name, "lon": town.old_town[0],
                    "lat": town.old_town[1]})
    (seconds,) = both_cursor.fetchone()
    assert seconds is not None and 5 * 60 < seconds < 2 * 3600


def test_a_plan_amendment_changes_what_applied_on_a_past_date(both_cursor):
    both_cursor.execute("""
        SELECT z.zone_id, z.valid_to, ST_PointOnSurface(z.geom) FROM zoning z
        WHERE z.valid_to IS NOT NULL ORDER BY z.zone_id LIMIT 1""")
    old_zone, amended_on, point = both_cursor.fetchone()
    in_force = """
        SELECT zone_id, building_coefficient, plan_id FROM zoning
        WHERE ST_Intersects(geom, %(p)s::geometry) AND valid_from <= %(d)s
          AND (valid_to IS NULL OR valid_to > %(d)s)"""
    both_cursor.execute(in_force + " AND zone_id = %(z)s", {"p": point, "d": amended_on.replace(
        year=amended_on.year - 1), "z": old_zone})
    assert both_cursor.fetchall(), "the superseded zone applied a year before the amendment"
    both_cursor.execute(in_force, {"p": point, "d": amended_on})
    after = both_cursor.fetchall()
    assert after and old_zone not in {row[0] for row in after}


def test_requests_keep_reporters_data_apart_from_the_public_record(both_cursor):
    both_cursor.execute("SELECT count(*) FROM service_requests_private WHERE reporter_email LIKE '%@%'")
    assert both_cursor.fetchone()[0] >= 1000
    both_cursor.execute("SELECT column_name FROM information_schema.columns "
                   "WHERE table_name = 'service_requests' AND column_name LIKE 'reporter%'")
    assert both_cursor.fetchall() == []


def test_requests_are_where_people_live(both_cursor):
    both_cursor.execute("""
        SELECT avg((EXISTS (SELECT 1 FROM settlements s
                            WHERE ST_DWithin(s.geom, r.geom, 200)))::int)
        FROM service_requests r""")
    assert both_cursor.fetchone()[0] > 0.9


def test_every_bay_lies_beside_a_real_street(both_cursor):
    both_cursor.execute("""
        SELECT count(*) FROM parking_bays b
        WHERE NOT EXISTS (SELECT 1 FROM roads r WHERE r.osm_id IS NOT NULL
                          AND r.jurisdiction_id = b.jurisdiction_id
                          AND ST_DWithin(r.geom, b.geom, 15))""")
    assert both_cursor.fetchone() == (0,)


def test_loading_the_demo_twice_leaves_the_same_counts(make_database, both_demo_template, demo,
                                                       chania_demo):
    # its own copy of the loaded demo (load_demo of each, as the template was made): a reload
    # gives the shared demo database new ids
    url = make_database(template=both_demo_template)
    before = _counts(url)
    load_demo(url, chania_demo, reset=True)  # one municipality's reset leaves the other be
    after = _counts(url)
    assert before == after
    assert after == {data.jurisdiction["id"]: {layer_id: len(frame)
                                               for layer_id, frame in data.layers.items()}
                     for data in (demo, chania_demo)}


def _counts(url: str) -> dict[str, dict[str, int]]:
    conn = db.connect(url)
    try:
        with conn.cursor() as cur:
            return layer_counts(cur)[1]
    finally:
        conn.close()


@pytest.mark.parametrize("jurisdiction", FIGURES)
def test_no_demo_permit_links_to_a_document_that_is_not_there(both_cursor, jurisdiction):
    # the demo has no scanned permits: a link would be a 404
    both_cursor.execute("SELECT count(*), count(document_urls) FROM building_permits "
                        "WHERE jurisdiction_id = %s", (jurisdiction,))
    permits, linked = both_cursor.fetchone()
    assert permits > 1000 and linked == 0


@pytest.mark.parametrize("jurisdiction", FIGURES)
def test_most_occupied_paying_bays_are_paid_so_the_wardens_list_is_a_few_percent(
        both_cursor, jurisdiction):
    from gis.demo_history import PAID_SHARE
    from gis.parking import violations

    both_cursor.execute("""
        SELECT count(*), count(*) FILTER (WHERE b.occupancy_state = 'occupied'
                                            AND b.tariff_eur_h > 0 AND b.bay_type = 'regular'),
               count(*) FILTER (WHERE EXISTS (
                 SELECT 1 FROM parking_sessions p WHERE p.jurisdiction_id = b.jurisdiction_id
                   AND p.bay_id = b.bay_id AND p.starts_at <= now() AND p.ends_at > now()))
        FROM parking_bays b WHERE b.jurisdiction_id = %s""", (jurisdiction,))
    bays, occupied_paying, paid = both_cursor.fetchone()
    assert occupied_paying > 50
    assert 0.9 * PAID_SHARE < paid / occupied_paying <= 1
    offenders = len(violations(both_cursor, jurisdiction))
    assert 0 < offenders <= 0.05 * bays  # a few percent of the bays, not 251 of 600
