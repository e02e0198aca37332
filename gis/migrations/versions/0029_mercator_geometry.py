"""geom_mercator on every layer table: the geometry in Web Mercator, stored, with its index

Every vector tile is cut in EPSG:3857. Transforming each feature from EPSG:2100 at tile time
took most of a tile's time (a z12 tile over Rethymno's old town in the 1,000,000-permit
benchmark table: ~2.3 s of ~2.9 s); a stored generated column is transformed once, on write,
and its own GiST index finds a tile's features by the tile's own envelope.

A table shared by collections of two geometry types gets statistics on ``GeometryType(geom)``:
without them the planner guessed that 0.5 % of a tile's rows had the collection's type, and
sorted a million points on disk where a hash of their pixels fits in memory.

It is derived data: the audit trail and the change events leave it out (the functions of 0007
and 0021, with ``- 'geom_mercator'``), and no write names it. A BEFORE trigger sees it NULL in
the new row (it is computed after), so 0026's test of "the same row stored again" compares the
rows without it.

Revision ID: 0029_mercator_geometry
Revises: 0028_idempotency_keys
Create Date: 2026-12-03 10:30:00
"""
from alembic import op

revision = '0029_mercator_geometry'
down_revision = '0028_idempotency_keys'
branch_labels = None
depends_on = None

# the layer tables of the catalogue at this revision
LAYER_TABLES = (
    "zoning", "plans", "building_permits", "settlements", "service_requests", "parking_bays",
    "parking_lots", "wifi_access_points", "roads", "districts", "refuge_areas", "bus_stops",
    "traffic_cameras", "buildings",
)

# the tables that hold more than one collection (layers.Layer.stored_in) at this revision
SHARED_TABLES = ("building_permits",)

# 0007's function, the derived geometry left out of both rows
AUDIT_FUNCTION = """
CREATE OR REPLACE FUNCTION dimos_audit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb;
    new_row jsonb;
    changed jsonb;
BEGIN
    -- bulk loads (the demo, imports with their own provenance) say so for their transaction
    IF current_setting('dimos.audit', true) = 'off' THEN
        RETURN NULL;
    END IF;
    old_row := CASE WHEN TG_OP IN ('UPDATE', 'DELETE') THEN to_jsonb(OLD) - 'data' - 'geom_mercator' END;
    new_row := CASE WHEN TG_OP IN ('INSERT', 'UPDATE') THEN to_jsonb(NEW) - 'data' - 'geom_mercator' END;
    changed := coalesce(new_row, old_row);
    INSERT INTO audit_log (jurisdiction_id, actor, table_name, operation, row_id, before, after)
    VALUES (changed ->> 'jurisdiction_id',
            coalesce(nullif(current_setting('dimos.actor', true), ''), 'database:' || session_user),
            TG_TABLE_NAME, TG_OP,
            coalesce(changed ->> 'id', changed ->> 'feature_id')::bigint, old_row, new_row);
    RETURN NULL;
END
$$
"""

CHANNEL = "dimos_feature_changes"

# 0021's function, the derived geometry left out of the properties
NOTE_FEATURE_CHANGE = f"""
CREATE OR REPLACE FUNCTION dimos_note_feature_change() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF current_setting('dimos.audit', true) = 'off' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.jurisdiction_id <> NEW.jurisdiction_id) THEN
        -- a feature moved to another municipality is gone from the first one's topics
        INSERT INTO feature_changes (jurisdiction_id, table_name, feature_id, geometry_type,
                                     operation, feature)
        VALUES (OLD.jurisdiction_id, TG_TABLE_NAME, OLD.id, GeometryType(OLD.geom), 'deleted',
                NULL);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO feature_changes (jurisdiction_id, table_name, feature_id, geometry_type,
                                     operation, feature)
        VALUES (NEW.jurisdiction_id, TG_TABLE_NAME, NEW.id, GeometryType(NEW.geom),
                CASE WHEN TG_OP = 'INSERT' OR OLD.jurisdiction_id <> NEW.jurisdiction_id
                     THEN 'created' ELSE 'updated' END,
                jsonb_build_object(
                    'geometry', ST_AsGeoJSON(ST_Transform(NEW.geom, 4326), 8, 0)::jsonb,
                    'properties', to_jsonb(NEW) - 'id' - 'jurisdiction_id' - 'geom'
                                  - 'geom_mercator' - 'import_id'));
    END IF;
    -- delivered at commit only (and once per transaction): the relay wakes up
    PERFORM pg_notify('{CHANNEL}', '');
    RETURN NULL;
END
$$
"""

# 0026's function: a write that stores the same row keeps the time (NEW.geom_mercator is NULL
# before the row is stored, OLD's is not)
NOTE_MODIFIED = """
CREATE OR REPLACE FUNCTION dimos_note_modified() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        NEW.modified_at := OLD.modified_at;  -- only this trigger sets it
        IF {same_row} THEN
            RETURN NEW;
        END IF;
        NEW.modified_at := greatest(date_trunc('second', clock_timestamp()),
                                    OLD.modified_at + interval '1 second');
    ELSE
        NEW.modified_at := date_trunc('second', clock_timestamp());
    END IF;
    RETURN NEW;
END
$$
"""
SAME_ROW = "to_jsonb(NEW) - 'geom_mercator' = to_jsonb(OLD) - 'geom_mercator'"
SAME_ROW_0026 = "NEW IS NOT DISTINCT FROM OLD"

DERIVED = " - 'geom_mercator'"


def upgrade() -> None:
    for table in LAYER_TABLES:
        op.execute(f"ALTER TABLE {table} ADD COLUMN geom_mercator geometry(Geometry, 3857) "
                   f"GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED")
        op.execute(f"COMMENT ON COLUMN {table}.geom_mercator IS 'geom in Web Mercator, for "
                   f"vector tiles (derived)'")
        op.execute(f"CREATE INDEX idx_{table}_geom_mercator ON {table} USING gist (geom_mercator)")
    for table in SHARED_TABLES:
        op.execute(f"CREATE STATISTICS {table}_geometry_type ON (GeometryType(geom)) FROM {table}")
        op.execute(f"ANALYZE {table}")
    op.execute(AUDIT_FUNCTION)
    op.execute(NOTE_FEATURE_CHANGE)
    op.execute(NOTE_MODIFIED.replace("{same_row}", SAME_ROW))


def downgrade() -> None:
    op.execute(NOTE_MODIFIED.replace("{same_row}", SAME_ROW_0026))
    for table in SHARED_TABLES:
        op.execute(f"DROP STATISTICS IF EXISTS {table}_geometry_type")
    op.execute(AUDIT_FUNCTION.replace(DERIVED, ""))
    op.execute(NOTE_FEATURE_CHANGE.replace(DERIVED, ""))
    for table in LAYER_TABLES:
        op.execute(f"ALTER TABLE {table} DROP COLUMN geom_mercator")
