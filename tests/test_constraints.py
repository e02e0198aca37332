"""The database refuses bad features with an error naming the rule, and keeps what it had."""
from __future__ import annotations

import psycopg2
import pytest
from psycopg2 import errors

from gis import db

SQUARE = "MULTIPOLYGON(((550000 3910000, 550100 3910000, 550100 3910100, 550000 3910100, 550000 3910000)))"
BOWTIE = "MULTIPOLYGON(((550000 3910000, 550100 3910100, 550100 3910000, 550000 3910100, 550000 3910000)))"
BAY = "POLYGON((550000 3910000, 550002.5 3910000, 550002.5 3910005, 550000 3910005, 550000 3910000))"


@pytest.fixture
def tx(migrated_url):
    """A cursor in a rolled-back transaction, with two municipalities to write into."""
    conn = db.connect(migrated_url)
    cur = conn.cursor()
    for jid in ("testville", "otherville"):
        cur.execute(
            "INSERT INTO jurisdictions (id, name_el, name_en, boundary) "
            "VALUES (%s, %s, %s, ST_GeomFromText(%s, 2100))", (jid, jid, jid, SQUARE))
    yield cur
    conn.rollback()
    conn.close()


def insert_zone(cur, geom_wkt: str, zone_id: str = "Z1", jurisdiction: str = "testville",
                coefficient: float = 0.8):
    cur.execute("SAVEPOINT attempt")
    try:
        cur.execute(
            "INSERT INTO zoning (jurisdiction_id, zone_id, plan_id, zone_code, land_use, "
            "building_coefficient, valid_from, geom) "
            "VALUES (%s, %s, 'P1', 'Π1', 'general_residential', %s, '2004-01-01', "
            "ST_GeomFromText(%s, 2100))", (jurisdiction, zone_id, coefficient, geom_wkt))
    except psycopg2.Error:
        cur.execute("ROLLBACK TO SAVEPOINT attempt")
        raise


def test_an_invalid_geometry_is_refused_naming_the_rule(tx):
    with pytest.raises(errors.CheckViolation) as refused:
        insert_zone(tx, BOWTIE)
    assert "zoning_geom_valid" in str(refused.value)


def test_a_wrong_geometry_type_is_refused(tx):
    with pytest.raises(psycopg2.Error) as refused:
        insert_zone(tx, "POINT(550000 3910000)")
    assert "Geometry type (Point) does not match column type (MultiPolygon)" in str(refused.value)


def test_a_geometry_in_another_crs_is_refused(tx):
    with pytest.raises(psycopg2.Error) as refused:
        tx.execute("INSERT INTO bus_stops (jurisdiction_id, stop_id, smart, geom) "
                   "VALUES ('testville', 'B1', false, ST_SetSRID(ST_MakePoint(24.47, 35.36), 4326))")
    assert "SRID" in str(refused.value)


def test_a_bay_without_id_is_refused(tx):
    with pytest.raises(errors.NotNullViolation) as refused:
        tx.execute("INSERT INTO parking_bays (jurisdiction_id, bay_type, occupancy_state, geom) "
                   "VALUES ('testville', 'regular', 'free', ST_GeomFromText(%s, 2100))", (BAY,))
    assert 'column "bay_id"' in str(refused.value)


def test_a_bay_state_outside_the_fiware_vocabulary_is_refused(tx):
    with pytest.raises(errors.CheckViolation) as refused:
        tx.execute("INSERT INTO parking_bays (jurisdiction_id, bay_id, bay_type, occupancy_state, "
                   "geom) VALUES ('testville', 'B1', 'regular', 'parked', ST_GeomFromText(%s, 2100))",
                   (BAY,))
    assert "parking_bays_occupancy_state_choice" in str(refused.value)


def test_building_terms_out_of_range_are_refused(tx):
    with pytest.raises(errors.CheckViolation) as refused:
        insert_zone(tx, SQUARE, coefficient=-1)
    assert "zoning_building_coefficient_min" in str(refused.value)


def test_a_malformed_kaek_is_refused(tx):
    with pytest.raises(errors.CheckViolation) as refused:
        tx.execute("INSERT INTO building_permits (jurisdiction_id, permit_number, issue_date, "
                   "permit_type, status, kaek, geom) VALUES ('testville', '1/2020', '2020-01-01', "
                   "'new_building', 'issued', '12AB', ST_GeomFromText('POINT(550050 3910050)', 2100))")
    assert "building_permits_kaek_format" in str(refused.value)


def test_a_permit_plot_may_be_a_point_or_a_polygon_but_not_a_line(tx):
    sql = ("INSERT INTO building_permits (jurisdiction_id, permit_number, issue_date, permit_type, "
           "status, geom) VALUES ('testville', %s, '2020-01-01', 'new_building', 'issued', "
           "ST_GeomFromText(%s, 2100))")
    tx.execute(sql, ("1/2020", "POINT(550050 3910050)"))
    tx.execute(sql, ("2/2020", SQUARE))
    with pytest.raises(errors.CheckViolation) as refused:
        tx.execute(sql, ("3/2020", "LINESTRING(550000 3910000, 550100 3910100)"))
    assert "building_permits_geom_type" in str(refused.value)


def test_a_natural_key_is_unique_within_a_municipality_not_across(tx):
    insert_zone(tx, SQUARE, "Z1", "testville")
    insert_zone(tx, SQUARE, "Z1", "otherville")  # another municipality may use the same key
    with pytest.raises(errors.UniqueViolation) as refused:
        insert_zone(tx, SQUARE, "Z1", "testville")
    assert "zoning_natural_key" in str(refused.value)
    tx.execute("SELECT jurisdiction_id, count(*) FROM zoning WHERE zone_id = 'Z1' "
               "AND jurisdiction_id IN ('testville', 'otherville') GROUP BY 1 ORDER BY 1")
    assert tx.fetchall() == [("otherville", 1), ("testville", 1)]


def test_a_feature_needs_a_known_municipality(tx):
    with pytest.raises(errors.ForeignKeyViolation):
        insert_zone(tx, SQUARE, "Z9", "atlantis")


def test_private_data_goes_with_its_request_and_cannot_cross_municipalities(tx):
    tx.execute("INSERT INTO service_requests (jurisdiction_id, service_request_id, service_code, "
               "status, requested_at, geom) VALUES ('testville', 'R1', 'pothole', 'open', now(), "
               "ST_GeomFromText('POINT(550050 3910050)', 2100)) RETURNING id")
    (feature_id,) = tx.fetchone()
    with pytest.raises(errors.ForeignKeyViolation):
        tx.execute("SAVEPOINT p")
        try:
            tx.execute("INSERT INTO service_requests_private (feature_id, jurisdiction_id, "
                       "reporter_name) VALUES (%s, 'otherville', 'Μαρία')", (feature_id,))
        finally:
            tx.execute("ROLLBACK TO SAVEPOINT p")
    tx.execute("INSERT INTO service_requests_private (feature_id, jurisdiction_id, reporter_name) "
               "VALUES (%s, 'testville', 'Μαρία')", (feature_id,))
    tx.execute("DELETE FROM service_requests WHERE id = %s", (feature_id,))
    tx.execute("SELECT count(*) FROM service_requests_private WHERE feature_id = %s", (feature_id,))
    assert tx.fetchone() == (0,)
