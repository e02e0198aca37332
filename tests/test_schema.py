"""The schema: migrations up and down, and the catalogue is what PostGIS stores."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import layers
from gis import db, migrate
from gis.migrate import include_object
from gis.schema import metadata
from gis.status import schema_differences


def _tables(url: str) -> set[str]:
    conn = db.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            return {row[0] for row in cur.fetchall()}
    finally:
        conn.close()


def test_migrations_go_up_down_and_up_again(make_database):
    url = make_database()
    migrate.upgrade(url)
    assert migrate.current_revision(url) == migrate.head_revision(url)
    assert {layer.table for layer in layers.CATALOGUE} <= _tables(url)
    migrate.downgrade(url, "base")
    assert migrate.current_revision(url) is None
    assert not ({layer.table for layer in layers.CATALOGUE} & _tables(url))
    migrate.upgrade(url)
    assert {layer.table for layer in layers.CATALOGUE} <= _tables(url)


def test_migrated_schema_equals_the_catalogue(migrated_url):
    engine = db.make_engine(migrated_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": include_object})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_every_layer_is_stored_with_its_geometry_type_and_srid(migrated_url):
    conn = db.connect(migrated_url)
    try:
        with conn.cursor() as cur:
            assert schema_differences(cur) == []
            cur.execute("SELECT f_table_name, srid FROM geometry_columns "
                        "WHERE f_table_schema='public' AND f_geometry_column = 'geom'")
            srids = dict(cur.fetchall())
    finally:
        conn.close()
    for layer in layers.CATALOGUE:
        assert srids[layer.table] == 2100, layer.id


def test_private_fields_are_not_columns_of_public_tables(migrated_url):
    conn = db.connect(migrated_url)
    try:
        with conn.cursor() as cur:
            for layer in layers.CATALOGUE:
                cur.execute("SELECT column_name FROM information_schema.columns WHERE table_name=%s",
                            (layer.table,))
                public_columns = {row[0] for row in cur.fetchall()}
                # an editable layer's features also carry their time of change (0026); every
                # feature its geometry in Web Mercator, for tiles (0029)
                kept = {"id", "jurisdiction_id", "geom", "geom_mercator", "import_id",
                        *(["modified_at"] if layer.editable else [])}
                assert public_columns == kept | {f.name for f in layer.public_fields}, layer.id
                if layer.private_fields:
                    cur.execute("SELECT column_name FROM information_schema.columns "
                                "WHERE table_name=%s", (layer.private_table,))
                    assert {f.name for f in layer.private_fields} <= {r[0] for r in cur.fetchall()}
    finally:
        conn.close()
    assert {f.name for f in layers.get("service_requests").private_fields} == {
        "reporter_name", "reporter_email", "reporter_phone", "reporter_account", "submission_token"}


def test_every_table_carries_its_jurisdiction(migrated_url):
    conn = db.connect(migrated_url)
    try:
        with conn.cursor() as cur:
            cur.execute("""
                SELECT t.tablename FROM pg_tables t WHERE t.schemaname = 'public'
                  AND t.tablename NOT IN ('jurisdictions', 'spatial_ref_sys', 'alembic_version',
                                          'layer_changes', 'api_tokens', 'accounts',  -- belong to
                                          -- municipalities through their memberships
                                          'sensor_ingest_counts', 'jobs',
                                          -- a session belongs to an account, which carries
                                          -- it; rate limits count clients, not towns
                                          'sessions', 'rate_limit_hits',
                                          -- the installation's, every municipality's
                                          'shared_secrets',
                                          -- a client's keys: the request they answer
                                          -- (a report) carries its municipality
                                          'idempotency_keys',
                                          -- the installation's catalogue: a published
                                          -- layer's features carry their municipality
                                          'published_layers', 'catalogue_version')
                  -- readings belong to a sensor, which carries the jurisdiction
                  AND t.tablename NOT LIKE 'sensor\\_readings%'
                  AND NOT EXISTS (SELECT 1 FROM information_schema.columns c
                                  WHERE c.table_name = t.tablename
                                    AND c.column_name = 'jurisdiction_id')""")
            assert cur.fetchall() == []
    finally:
        conn.close()


def test_layer_tables_have_gist_indexes(migrated_url):
    conn = db.connect(migrated_url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT tablename FROM pg_indexes WHERE indexdef LIKE '%USING gist (geom)%'")
            indexed = {row[0] for row in cur.fetchall()}
    finally:
        conn.close()
    assert {layer.table for layer in layers.CATALOGUE} <= indexed


def test_the_mercator_geometry_follows_every_write_and_stays_out_of_the_audit_trail(migrated_url):
    conn = db.connect(migrated_url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT tablename FROM pg_indexes "
                        "WHERE indexdef LIKE '%%USING gist (geom_mercator)%%'")
            assert {layer.table for layer in layers.CATALOGUE} <= {r[0] for r in cur.fetchall()}
            # a table shared by two collections tells the planner how its rows split by type
            cur.execute("SELECT stxrelid::regclass::text FROM pg_statistic_ext "
                        "WHERE pg_get_statisticsobjdef_expressions(oid)::text "
                        "LIKE '%%geometrytype(geom)%%'")
            assert {c.table for c in layers.COLLECTIONS if c.stored_in} <= {
                r[0] for r in cur.fetchall()}
            cur.execute("INSERT INTO jurisdictions (id, name_el, name_en, boundary) VALUES "
                        "('mercatortown', 'm', 'm', ST_Multi(ST_Buffer(ST_MakePoint(550000, "
                        "3910000), 100))::geometry(MultiPolygon, 2100))")
            cur.execute("SET LOCAL dimos.actor = 'test:mercator'")
            cur.execute("INSERT INTO bus_stops (jurisdiction_id, stop_id, smart, geom) VALUES "
                        "('mercatortown', 'M1', false, ST_SetSRID(ST_MakePoint(550000, 3910000), "
                        "2100)) RETURNING id")
            (stop_id,) = cur.fetchone()
            cur.execute("UPDATE bus_stops SET geom = ST_SetSRID(ST_MakePoint(550050, 3910020), "
                        "2100) WHERE id = %s", (stop_id,))
            cur.execute("SELECT ST_Equals(geom_mercator, ST_Transform(geom, 3857)), "
                        "ST_SRID(geom_mercator) FROM bus_stops WHERE id = %s", (stop_id,))
            assert cur.fetchone() == (True, 3857)
            cur.execute("SELECT before, after FROM audit_log WHERE table_name = 'bus_stops' "
                        "AND row_id = %s ORDER BY id", (stop_id,))
            rows = cur.fetchall()
            assert len(rows) == 2 and rows[1][0]["geom"] and rows[1][1]["geom"]
            assert all("geom_mercator" not in (row or {}) for pair in rows for row in pair)
            cur.execute("SELECT feature FROM feature_changes WHERE table_name = 'bus_stops' "
                        "AND feature_id = %s", (stop_id,))
            events = [row[0] for row in cur.fetchall()]
            assert len(events) == 2 and all(
                "geom_mercator" not in event["properties"] for event in events)
    finally:
        conn.rollback()
        conn.close()


def test_every_layer_bumps_its_data_version_on_write(migrated_url):
    conn = db.connect(migrated_url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT tgrelid::regclass::text FROM pg_trigger "
                        "WHERE tgname LIKE '%%_note_change'")
            assert {layer.table for layer in layers.CATALOGUE} <= {r[0] for r in cur.fetchall()}
            cur.execute("SELECT version FROM layer_changes WHERE layer_id = 'bus_stops'")
            (before,) = cur.fetchone()
            cur.execute("INSERT INTO jurisdictions (id, name_el, name_en, boundary) VALUES "
                        "('versiontown', 'v', 'v', ST_Multi(ST_Buffer(ST_MakePoint(550000, "
                        "3910000), 100))::geometry(MultiPolygon, 2100))")
            cur.execute("INSERT INTO bus_stops (jurisdiction_id, stop_id, smart, geom) VALUES "
                        "('versiontown', 'S1', false, ST_SetSRID(ST_MakePoint(550000, 3910000), 2100))")
            cur.execute("SELECT version FROM layer_changes WHERE layer_id = 'bus_stops'")
            assert cur.fetchone()[0] == before + 1
    finally:
        conn.rollback()
        conn.close()
