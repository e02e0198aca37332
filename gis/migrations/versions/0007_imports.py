"""Imports: provenance of imported files, and the import each feature came from

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# the layer tables of the catalogue at this revision
LAYER_TABLES = (
    "zoning", "plans", "building_permits", "settlements", "service_requests", "parking_bays",
    "parking_lots", "wifi_access_points", "roads", "districts", "refuge_areas", "bus_stops",
    "traffic_cameras", "buildings",
)

# The audit trigger of 0005 built both rows' JSON before looking at dimos.audit, so a bulk load
# that opts out still paid ~20 µs a row (a million-row import: 20 s). Same function, the
# opt-out checked first.
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
    old_row := CASE WHEN TG_OP IN ('UPDATE', 'DELETE') THEN to_jsonb(OLD) - 'data' END;
    new_row := CASE WHEN TG_OP IN ('INSERT', 'UPDATE') THEN to_jsonb(NEW) - 'data' END;
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


def upgrade() -> None:
    op.execute(AUDIT_FUNCTION)
    op.create_table(
        "imports",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("jurisdiction_id", sa.Text(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("layer_id", sa.Text(), nullable=False),
        sa.Column("mode", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False, comment="who imported (cli:<user>, staff:<name>)"),
        sa.Column("source_crs", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("added", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("updated", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("unchanged", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("deleted", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("rejected", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("repaired", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("skipped", sa.Integer(), server_default=sa.text("0"), nullable=False,
                  comment="features outside the municipality left out on request"),
        sa.Column("report", sa.Text(), nullable=True, comment="where the reject report was written"),
        sa.CheckConstraint("mode IN ('append', 'upsert', 'replace')", name="imports_mode_choice"),
        sa.CheckConstraint("status IN ('committed', 'refused')", name="imports_status_choice"),
        sa.ForeignKeyConstraint(["jurisdiction_id"], ["jurisdictions.id"],
                                name=op.f("imports_jurisdiction_id_fkey")),
        sa.PrimaryKeyConstraint("id", name=op.f("imports_pkey")),
        comment="Imported files and their outcome (provenance of imported features)",
    )
    op.create_index("imports_file_idx", "imports", ["jurisdiction_id", "layer_id", "sha256"],
                    unique=False)
    op.create_table(
        "scanned_plans",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("jurisdiction_id", sa.Text(), nullable=False),
        sa.Column("plan_id", sa.Text(), nullable=True, comment="the plan (plans.plan_id) the scan belongs to"),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False, comment="the scan as it was imported"),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("cog", sa.Text(), nullable=False, comment="file name of the COG in the raster store"),
        sa.Column("source_crs", sa.Text(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("resolution_m", sa.Float(), nullable=False, comment="pixel size on the ground"),
        sa.Column("footprint", Geometry(geometry_type="MULTIPOLYGON", srid=2100,
                                        spatial_index=False, from_text="ST_GeomFromEWKT",
                                        name="geometry", nullable=False), nullable=False),
        sa.Column("import_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.ForeignKeyConstraint(["import_id"], ["imports.id"], name=op.f("scanned_plans_import_id_fkey")),
        sa.ForeignKeyConstraint(["jurisdiction_id"], ["jurisdictions.id"],
                                name=op.f("scanned_plans_jurisdiction_id_fkey")),
        sa.PrimaryKeyConstraint("id", name=op.f("scanned_plans_pkey")),
        sa.UniqueConstraint("jurisdiction_id", "sha256", name="scanned_plans_natural_key"),
        comment="Scanned plans: Cloud Optimized GeoTIFFs, their footprints and plans",
    )
    op.create_geospatial_index("idx_scanned_plans_footprint", "scanned_plans", ["footprint"],
                               unique=False, postgresql_using="gist", postgresql_ops={})
    for table in LAYER_TABLES:
        op.add_column(table, sa.Column("import_id", sa.BigInteger(), nullable=True,
                                       comment="the import that last wrote this feature (NULL: not imported)"))
        op.create_foreign_key(op.f(f"{table}_import_id_fkey"), table, "imports", ["import_id"], ["id"])


def downgrade() -> None:
    for table in LAYER_TABLES:
        op.drop_constraint(op.f(f"{table}_import_id_fkey"), table, type_="foreignkey")
        op.drop_column(table, "import_id")
    op.drop_geospatial_index("idx_scanned_plans_footprint", table_name="scanned_plans",
                             postgresql_using="gist", column_name="footprint")
    op.drop_table("scanned_plans")
    # dimos_audit() keeps its reordered body: it behaves exactly as 0005's did
    op.drop_index("imports_file_idx", table_name="imports")
    op.drop_table("imports")
