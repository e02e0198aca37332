"""layer_changes: a data version per layer, bumped by trigger on every write

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# the layer tables of the catalogue at this revision
LAYER_TABLES = (
    "zoning", "plans", "building_permits", "settlements", "service_requests", "parking_bays",
    "parking_lots", "wifi_access_points", "roads", "districts", "refuge_areas", "bus_stops",
    "traffic_cameras", "buildings",
)

NOTE_CHANGE = """
CREATE FUNCTION dimos_note_layer_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO layer_changes (layer_id, version, changed_at)
    VALUES (TG_TABLE_NAME, 1, clock_timestamp())
    ON CONFLICT (layer_id) DO UPDATE
        SET version = layer_changes.version + 1, changed_at = clock_timestamp();
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "layer_changes",
        sa.Column("layer_id", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("layer_id", name=op.f("layer_changes_pkey")),
        comment="Data version of each layer (bumped by trigger on every write)",
    )
    op.execute(NOTE_CHANGE)
    for table in LAYER_TABLES:
        op.execute(f"INSERT INTO layer_changes VALUES ('{table}', 1, now())")
        op.execute(f"CREATE TRIGGER {table}_note_change AFTER INSERT OR UPDATE OR DELETE "
                   f"OR TRUNCATE ON {table} FOR EACH STATEMENT "
                   "EXECUTE FUNCTION dimos_note_layer_change()")


def downgrade() -> None:
    for table in LAYER_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_note_change ON {table}")
    op.execute("DROP FUNCTION IF EXISTS dimos_note_layer_change()")
    op.drop_table("layer_changes")
