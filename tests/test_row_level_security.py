"""PostgreSQL itself keeps municipalities apart (issue 17, defence in depth): connected as the
web app's role with Chania's membership set for the transaction, Rethymno's rows cannot be
written and its private rows are not there to read, whatever the Python rules above would let
through. The owner (who migrates, loads the demo, runs the CLI) is not subject to the policies.

Two towns side by side in a database of this module's own (tests/test_municipalities.py's
squares), each with a zone, a permit and a citizen's report with the reporter's contact data,
written as the owner.
"""
from __future__ import annotations

import os

import psycopg2
import psycopg2.errors
import pytest
import requests
from psycopg2 import sql
from sqlalchemy.engine import make_url

from gis import app_role, db, migrate
from gis.app_role import APP_ROLE
from gis.errors import SetupError
from settings import Settings
from tests.helpers import add_municipality, rows, serving, wait_until

SQUARES = {"rethymno": (560_000, 3_910_000), "chania": (500_000, 3_920_000)}
TOWNS = tuple(SQUARES)


def _square(town: str, offset: int = 0) -> str:
    x, y = SQUARES[town]
    x += 1_000 + offset
    ring = [(x, y + 1000), (x + 100, y + 1000), (x + 100, y + 1100), (x, y + 1100), (x, y + 1000)]
    return f"SRID=2100;MULTIPOLYGON((({','.join(f'{a} {b}' for a, b in ring)})))"


def _point(town: str) -> str:
    x, y = SQUARES[town]
    return f"SRID=2100;POINT({x + 5_000} {y + 5_000})"


ZONE_SQL = """INSERT INTO zoning (jurisdiction_id, zone_id, plan_id, zone_code, land_use, valid_from, geom)
              VALUES (%s, %s, 'plan-1', 'Z1', 'green', '2020-01-01', %s)"""
PERMIT_SQL = """INSERT INTO building_permits (jurisdiction_id, permit_number, issue_date, permit_type,
                status, geom) VALUES (%s, %s, '2024-01-01', 'new_building', 'issued', %s)"""

JOB_SQL = """INSERT INTO jobs (identifier, process_id, status, progress, owner, jurisdiction_id)
             VALUES (%s, 'crew-plan', 'successful', 100, %s, %s)"""


@pytest.fixture(scope="module")
def towns(make_database) -> str:
    """The towns' database, as the owner: a zone, a permit and a report in each."""
    url = make_database("dimos_rls")
    migrate.upgrade(url)
    for town in TOWNS:
        add_municipality(url, town, town.title(), *SQUARES[town], size_m=10_000)
    conn = db.connect(url)
    with conn, conn.cursor() as cur:
        for town in TOWNS:
            cur.execute(ZONE_SQL, (town, f"zone-{town}", _square(town)))
            cur.execute("""INSERT INTO service_requests (jurisdiction_id, service_request_id,
                               service_code, status, requested_at, geom)
                           VALUES (%s, %s, 'lights', 'open', now(), %s) RETURNING id""",
                        (town, f"req-{town}", _point(town)))
            (request_id,) = cur.fetchone()
            cur.execute("""INSERT INTO service_requests_private (feature_id, jurisdiction_id,
                               reporter_name, reporter_email, reporter_account)
                           VALUES (%s, %s, %s, %s, %s)""",
                        (request_id, town, f"reporter of {town}", f"{town}@example.gr",
                         f"citizen-{town}"))
            cur.execute(JOB_SQL, (f"job-{town}", f"planner:planner-{town}", town))
        cur.execute(JOB_SQL, ("job-anonymous", None, None))
    conn.close()
    return url


@pytest.fixture(scope="module")
def app_url(towns) -> str:
    """The towns' database as the web app reaches it (DIMOS_APP_DATABASE_URL's default)."""
    return Settings(database_url=towns).effective_app_database_url


@pytest.fixture
def as_app(app_url):
    """A cursor of the app's role in a transaction rolled back after the test; call it with
    the municipalities to act in (``dimos.municipalities``, SET LOCAL) and an account."""
    conn = psycopg2.connect(app_url)

    def acting(municipalities: str | None = None, account: str | None = None,
               principal: str | None = None, staff: bool = False):
        cur = conn.cursor()
        if municipalities is not None:
            cur.execute("SET LOCAL dimos.municipalities = %s", (municipalities,))
        if account is not None:
            cur.execute("SET LOCAL dimos.account = %s", (account,))
        if principal is not None:  # the jobs policies' (migration 0018), as ogc/jobs.py sets them
            cur.execute("SELECT set_config('dimos.principal', %s, true), "
                        "set_config('dimos.staff', %s, true)", (principal, "on" if staff else ""))
        return cur

    yield acting
    conn.rollback()
    conn.close()


def test_the_app_connects_as_a_role_subject_to_the_policies(as_app):
    cur = as_app()
    cur.execute("SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
    assert cur.fetchone() == (APP_ROLE, False, False)
    cur.execute("SELECT pg_has_role(current_user, 'pg_read_all_data', 'USAGE')")
    assert cur.fetchone() == (False,)


def test_every_table_with_a_municipality_has_row_level_security(towns):
    """A table added later with a jurisdiction_id and no policy fails here."""
    found = rows(towns, """
        SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
               array(SELECT p.polcmd::text FROM pg_policy p WHERE p.polrelid = c.oid ORDER BY 1)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'jurisdiction_id'
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition""")
    assert len(found) > 20  # every layer and its satellites
    for table, enabled, forced, commands in found:
        assert enabled, f"{table}: row-level security is not enabled"
        assert not forced, f"{table}: forced (the owner must bypass the policies)"
        # r: SELECT, a: INSERT, w: UPDATE, d: DELETE ('*' would be ALL)
        assert set(commands) >= {"r", "a"}, f"{table}: policies for {commands} only"


@pytest.mark.parametrize("insert, key", [(ZONE_SQL, "zone"), (PERMIT_SQL, "permit")])
def test_postgresql_refuses_a_row_in_another_municipality(as_app, towns, insert, key):
    cur = as_app("chania")
    cur.execute(insert, ("chania", f"{key}-new-chania", _square("chania", 300)))  # its own: fine
    with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="row-level security"):
        cur.execute(insert, ("rethymno", f"{key}-new-rethymno", _square("rethymno", 300)))


def test_a_transaction_that_names_no_municipality_writes_nothing(as_app):
    cur = as_app()
    with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="row-level security"):
        cur.execute(ZONE_SQL, ("chania", "zone-nobody", _square("chania", 600)))


def _zones(url: str) -> list[tuple]:
    return rows(url, "SELECT jurisdiction_id, zone_id, zone_code FROM zoning ORDER BY 1, 2")


def test_another_municipalitys_rows_are_not_updated_nor_deleted(as_app, towns):
    before = _zones(towns)
    cur = as_app("chania")
    cur.execute("UPDATE zoning SET zone_code = 'Z9' WHERE zone_id = 'zone-rethymno'")
    assert cur.rowcount == 0
    cur.execute("DELETE FROM zoning WHERE zone_id = 'zone-rethymno'")
    assert cur.rowcount == 0
    cur.execute("UPDATE zoning SET zone_code = 'Z9' WHERE zone_id = 'zone-chania'")
    assert cur.rowcount == 1  # its own (rolled back with the test)
    cur.connection.commit()  # what was refused stays refused once committed
    assert _zones(towns) != before  # Chania's own change went in…
    assert [z for z in _zones(towns) if z[0] == "rethymno"] == [
        z for z in before if z[0] == "rethymno"]  # …Rethymno's rows did not change
    conn = db.connect(towns)
    with conn, conn.cursor() as owner:
        owner.execute("UPDATE zoning SET zone_code = 'Z1' WHERE zone_id = 'zone-chania'")
    conn.close()
    assert _zones(towns) == before


def test_a_row_cannot_be_moved_into_another_municipality(as_app):
    cur = as_app("chania")
    with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="row-level security"):
        cur.execute("UPDATE zoning SET jurisdiction_id = 'rethymno' WHERE zone_id = 'zone-chania'")


def _reporters(cur) -> set[str]:
    cur.execute("SELECT reporter_name FROM service_requests_private")
    return {name for name, in cur.fetchall()}


@pytest.mark.parametrize("acting, seen", [
    ("chania", {"chania"}), ("rethymno", {"rethymno"}), ("chania,rethymno", set(TOWNS)),
    ("*", set(TOWNS)), ("", set()), (None, set())])
def test_a_private_table_shows_only_the_municipalities_acted_in(as_app, acting, seen):
    assert _reporters(as_app(acting)) == {f"reporter of {town}" for town in seen}


def test_public_rows_are_read_with_no_municipality_set(as_app):
    cur = as_app()
    cur.execute("SELECT jurisdiction_id FROM zoning WHERE zone_id LIKE 'zone-%%' "
                "AND zone_id IN ('zone-chania', 'zone-rethymno')")
    assert {j for j, in cur.fetchall()} == set(TOWNS)
    cur.execute("SELECT count(*) FROM service_requests WHERE service_request_id LIKE 'req-%%'")
    assert cur.fetchone() == (2,)


def test_a_citizen_reads_their_own_reports_wherever_they_filed_them(as_app):
    assert _reporters(as_app(account="citizen-rethymno")) == {"reporter of rethymno"}
    assert _reporters(as_app("chania", account="citizen-rethymno")) == {
        "reporter of rethymno", "reporter of chania"}


def _jobs(cur) -> set[str]:
    cur.execute("SELECT identifier FROM jobs")
    return {identifier for identifier, in cur.fetchall()}


@pytest.mark.parametrize("acting, principal, staff, seen", [
    ("chania", "staff:clerk-chania", True, {"job-chania", "job-anonymous"}),
    ("rethymno", "staff:clerk-rethymno", True, {"job-rethymno", "job-anonymous"}),
    ("*", "admin:root", True, {"job-chania", "job-rethymno", "job-anonymous"}),
    # not staff: its own job only, not its municipality's others
    ("rethymno", "planner:planner-rethymno", False, {"job-rethymno", "job-anonymous"}),
    ("rethymno", "crew:crew-1", False, {"job-anonymous"}),
    (None, None, False, {"job-anonymous"})])
def test_jobs_are_their_owners_and_their_municipalitys_staffs(as_app, acting, principal,
                                                               staff, seen):
    assert _jobs(as_app(acting, principal=principal, staff=staff)) == seen


def test_postgresql_refuses_chania_another_municipalitys_jobs(as_app, towns):
    cur = as_app("chania", principal="staff:clerk-chania", staff=True)
    cur.execute("DELETE FROM jobs WHERE identifier = 'job-rethymno'")
    assert cur.rowcount == 0
    cur.execute("UPDATE jobs SET status = 'dismissed' WHERE identifier = 'job-rethymno'")
    assert cur.rowcount == 0
    cur.execute("DELETE FROM jobs WHERE identifier = 'job-chania'")
    assert cur.rowcount == 1  # its own municipality's (rolled back with the test)
    with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="row-level security"):
        cur.execute(JOB_SQL, ("job-new", "staff:clerk-chania", "rethymno"))
    cur.connection.rollback()
    cur = as_app("chania", principal="staff:clerk-chania", staff=True)
    with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="row-level security"):
        cur.execute(JOB_SQL, ("job-new", "staff:somebody-else", "chania"))  # not for another
    assert ("job-rethymno",) in rows(towns, "SELECT identifier FROM jobs")


def test_the_app_cannot_rewrite_the_audit_trail_nor_alter_tables(as_app):
    cur = as_app("*")
    cur.execute("SAVEPOINT s")
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        cur.execute("UPDATE audit_log SET actor = 'nobody'")
    cur.execute("ROLLBACK TO SAVEPOINT s")
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        cur.execute("ALTER TABLE zoning DISABLE ROW LEVEL SECURITY")


def test_a_write_by_the_app_is_audited_by_the_owner(as_app, towns):
    """The audit trigger runs as the owner: the app's write is recorded, though the app may
    only append to the trail."""
    cur = as_app("chania")
    cur.execute("SELECT set_config('dimos.actor', 'staff:rls-test', true)")
    cur.execute("UPDATE zoning SET zone_code = 'Z2' WHERE zone_id = 'zone-chania'")
    cur.execute("SELECT count(*) FROM audit_log WHERE actor = 'staff:rls-test'")
    assert cur.fetchone() == (1,)


def test_the_app_makes_a_month_of_readings_through_the_owners_function(as_app, towns):
    cur = as_app()
    cur.execute("SET LOCAL TimeZone = 'UTC'")
    cur.execute("SAVEPOINT s")
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        cur.execute("CREATE TABLE sensor_readings_199001 PARTITION OF sensor_readings "
                    "FOR VALUES FROM ('1990-01-01') TO ('1990-02-01')")
    cur.execute("ROLLBACK TO SAVEPOINT s")
    cur.execute("SELECT dimos_readings_partition('1990-01-15 12:00+00')")
    cur.execute("SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_class c "
                "WHERE c.relname = 'sensor_readings_199001'")
    assert cur.fetchone()[0] == ("FOR VALUES FROM ('1990-01-01 00:00:00+00') "
                                 "TO ('1990-02-01 00:00:00+00')")


def test_the_web_app_connects_as_the_app_role(towns, tmp_path):
    database = towns.rsplit("/", 1)[1]
    with serving(towns, tmp_path, workers=1, sensors_ingest=0) as base:
        answer = requests.get(f"{base}/ogc/collections/zoning/items?f=json", timeout=30)
        assert answer.status_code == 200, answer.text
        users = wait_until(lambda: rows(towns, """
            SELECT DISTINCT usename FROM pg_stat_activity
            WHERE datname = %s AND application_name = 'dimos' AND pid <> pg_backend_pid()""",
                                        (database,)), 10, "the server's pooled connections")
    assert users == [(APP_ROLE,)]


@pytest.fixture
def unmade_role(server_url, monkeypatch):
    """A name no role of the cluster has, as the app role's (dropped again if made)."""
    name = f"dimos_app_test_{os.getpid()}"
    monkeypatch.setattr(app_role, "APP_ROLE", name)
    yield name
    conn = db.connect(server_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
    conn.close()


def test_a_migrator_who_may_create_roles_makes_the_app_role(server_url, unmade_role):
    conn = db.connect(server_url)
    with conn, conn.cursor() as cur:
        app_role.ensure_app_role(cur)
        app_role.ensure_app_role(cur)  # once made, left alone
    conn.close()
    assert rows(server_url, "SELECT rolcanlogin, rolsuper, rolbypassrls FROM pg_roles "
                            "WHERE rolname = %s", (unmade_role,)) == [(True, False, False)]


def test_a_migrator_who_may_not_create_roles_is_told_what_the_administrator_must_run(
        server_url, unmade_role):
    """A managed server: the owner of the database may not create roles."""
    owner = f"dimos_owner_test_{os.getpid()}"
    conn = db.connect(server_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql.SQL("CREATE ROLE {} LOGIN NOCREATEROLE").format(sql.Identifier(owner)))
    try:
        managed = psycopg2.connect(make_url(server_url).set(username=owner).render_as_string(False))
        with managed, managed.cursor() as cur, pytest.raises(SetupError) as refused:
            app_role.ensure_app_role(cur)
        managed.close()
        assert f"CREATE ROLE {unmade_role} LOGIN PASSWORD" in refused.value.message
        assert "DIMOS_APP_DATABASE_URL" in refused.value.message
    finally:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(owner)))
        conn.close()
