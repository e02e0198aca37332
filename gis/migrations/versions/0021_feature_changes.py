"""feature_changes: a transactional outbox of every feature created, updated or deleted

A row trigger on each layer's table writes the change in the writing transaction, so a write
rolled back leaves nothing to publish and a committed one is never lost; the relay
(mqtt/changes.py) publishes each as a CloudEvent on the broker and marks it published. The row
holds the public record only: the layer's table has no personal data (that is in
``<layer>_private``, which has no trigger here). Bulk loads that switch the audit off
(``dimos.audit``: the demo, file imports, sensor readings) write no change rows either.

The trigger runs as the owner (SECURITY DEFINER): the app writes a feature, not the outbox.

Revision ID: 0021_feature_changes
Revises: 0020_search
Create Date: 2026-12-02 15:30:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0021_feature_changes'
down_revision = '0020_search'
branch_labels = None
depends_on = None

# the layer tables of the catalogue at this revision
LAYER_TABLES = (
    "zoning", "plans", "building_permits", "settlements", "service_requests", "parking_bays",
    "parking_lots", "wifi_access_points", "roads", "districts", "refuge_areas", "bus_stops",
    "traffic_cameras", "buildings",
)
CHANNEL = "dimos_feature_changes"

# the feature as the OGC API serves it (gis/features.py: CRS84, 8 decimals); properties are
# every column but the key, municipality, geometry and provenance (the relay keeps only the
# catalogue's public fields of what is left)
NOTE_FEATURE_CHANGE = f"""
CREATE FUNCTION dimos_note_feature_change() RETURNS trigger LANGUAGE plpgsql
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
                    'properties', to_jsonb(NEW) - 'id' - 'jurisdiction_id' - 'geom' - 'import_id'));
    END IF;
    -- delivered at commit only (and once per transaction): the relay wakes up
    PERFORM pg_notify('{CHANNEL}', '');
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "feature_changes",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("event_id", postgresql.UUID(), server_default=sa.text("gen_random_uuid()"),
                  nullable=False, comment="the CloudEvent's id (a re-delivery carries the same)"),
        sa.Column("jurisdiction_id", sa.Text(), nullable=False),
        sa.Column("table_name", sa.Text(), nullable=False),
        sa.Column("feature_id", sa.BigInteger(), nullable=False),
        sa.Column("geometry_type", sa.Text(), nullable=True,
                  comment="which collection of a shared table the feature is in"),
        sa.Column("operation", sa.Text(), nullable=False),
        sa.Column("feature", postgresql.JSONB(astext_type=sa.Text()), nullable=True,
                  comment="geometry (CRS84) and columns after the write; NULL for a delete"),
        sa.Column("changed_at", sa.DateTime(timezone=True),
                  server_default=sa.text("clock_timestamp()"), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("operation IN ('created', 'updated', 'deleted')",
                           name=op.f("feature_changes_operation_choice")),
        sa.PrimaryKeyConstraint("id", name=op.f("feature_changes_pkey")),
        comment="Outbox of feature changes, published as CloudEvents by the relay",
    )
    op.create_index("feature_changes_pending_idx", "feature_changes", ["id"], unique=False,
                    postgresql_where=sa.text("published_at IS NULL"))
    op.execute(NOTE_FEATURE_CHANGE)
    for table in LAYER_TABLES:
        op.execute(f"CREATE TRIGGER {table}_feature_change AFTER INSERT OR UPDATE OR DELETE "
                   f"ON {table} FOR EACH ROW EXECUTE FUNCTION dimos_note_feature_change()")
    # the relay (as dimos_app) reads, marks and prunes; only the owner's trigger inserts
    op.execute("REVOKE ALL ON feature_changes FROM dimos_app")
    op.execute("GRANT SELECT, UPDATE, DELETE ON feature_changes TO dimos_app")
    op.execute("ALTER TABLE feature_changes ENABLE ROW LEVEL SECURITY")
    acts = "dimos_acts_in(jurisdiction_id)"
    op.execute(f"CREATE POLICY feature_changes_read ON feature_changes FOR SELECT USING ({acts})")
    op.execute(f"CREATE POLICY feature_changes_insert ON feature_changes FOR INSERT "
               f"WITH CHECK ({acts})")
    op.execute(f"CREATE POLICY feature_changes_update ON feature_changes FOR UPDATE "
               f"USING ({acts}) WITH CHECK ({acts})")
    op.execute(f"CREATE POLICY feature_changes_delete ON feature_changes FOR DELETE "
               f"USING ({acts})")


def downgrade() -> None:
    for table in LAYER_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_feature_change ON {table}")
    op.execute("DROP FUNCTION IF EXISTS dimos_note_feature_change()")
    op.drop_index("feature_changes_pending_idx", table_name="feature_changes")
    op.drop_table("feature_changes")  # its policies go with it
