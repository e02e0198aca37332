"""published_layers: layers a GIS officer publishes from a file, as catalogue entries

A published layer is a row here: its specification in the catalogue's own vocabulary
(layers/spec.py), and its table, made by ``dimos layer publish`` in the transaction that
imports the file (gis/published_layers.py), not by a migration: ``dimos db migrate`` leaves
those tables alone (gis/migrate.py knows them by their comment). A retired layer keeps its
row and its table, and is served nowhere until restored.

``catalogue_version`` is bumped by every change of the entries: each worker reads it (at most
once a second) and rebuilds its collections when it moved.

Revision ID: 0030_published_layers
Revises: 0029_mercator_geometry
Create Date: 2026-12-03 13:30:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0030_published_layers'
down_revision = '0029_mercator_geometry'
branch_labels = None
depends_on = None

BUMP = """
CREATE OR REPLACE FUNCTION dimos_bump_catalogue_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE catalogue_version SET version = version + 1, changed_at = clock_timestamp();
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "published_layers",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("spec", postgresql.JSONB(astext_type=sa.Text()), nullable=False,
                  comment="the layer in the catalogue's vocabulary (layers/spec.py)"),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True,
                  comment="when it was retired (served nowhere, data kept); NULL: published"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.CheckConstraint("id ~ '^[a-z][a-z0-9_]*$'", name=op.f("published_layers_id_format")),
        sa.PrimaryKeyConstraint("id", name=op.f("published_layers_pkey")),
        comment="Layers published from files as data (dimos layer publish), not declared in code",
    )
    op.create_table(
        "catalogue_version",
        sa.Column("one", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("one", name=op.f("catalogue_version_one")),
        sa.PrimaryKeyConstraint("one", name=op.f("catalogue_version_pkey")),
        comment="Bumped by every change of published_layers: workers rebuild their collections",
    )
    op.execute("INSERT INTO catalogue_version (one, version, changed_at) VALUES (true, 1, now())")
    op.execute(BUMP)
    op.execute("CREATE TRIGGER published_layers_bump AFTER INSERT OR UPDATE OR DELETE "
               "ON published_layers FOR EACH STATEMENT EXECUTE FUNCTION "
               "dimos_bump_catalogue_version()")
    # the app reads the catalogue; only the owner (the command line) publishes
    op.execute("REVOKE ALL ON published_layers, catalogue_version FROM dimos_app")
    op.execute("GRANT SELECT ON published_layers, catalogue_version TO dimos_app")


def downgrade() -> None:
    op.drop_table("catalogue_version")
    op.drop_table("published_layers")
    op.execute("DROP FUNCTION dimos_bump_catalogue_version()")
