"""parking_signs: the free-space signs at the car parks and the town's entrances

A layer of the catalogue like the others (layers/parking_signs.py): its table as gis/schema.py
derives it, and what every layer table has: the data version (0002), the audit trail (0005),
row-level security (0016), the change events (0021).

Revision ID: 0032_parking_signs
Revises: 0031_code_search_prefix
Create Date: 2026-12-04 14:30:26
"""
from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry

revision = '0032_parking_signs'
down_revision = '0031_code_search_prefix'
branch_labels = None
depends_on = None

TABLE = "parking_signs"
ACTS = "dimos_acts_in(jurisdiction_id)"
# each layer table's, as 0002, 0005, 0016 and 0021 made them
STATEMENTS = (
    f"INSERT INTO layer_changes VALUES ('{TABLE}', 1, now())",
    f"CREATE TRIGGER {TABLE}_note_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {TABLE} "
    "FOR EACH STATEMENT EXECUTE FUNCTION dimos_note_layer_change()",
    f"CREATE TRIGGER {TABLE}_audit AFTER INSERT OR UPDATE OR DELETE ON {TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION dimos_audit()",
    f"CREATE TRIGGER {TABLE}_feature_change AFTER INSERT OR UPDATE OR DELETE ON {TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION dimos_note_feature_change()",
    f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY",
    f"CREATE POLICY {TABLE}_read ON {TABLE} FOR SELECT USING (true)",
    f"CREATE POLICY {TABLE}_insert ON {TABLE} FOR INSERT WITH CHECK ({ACTS})",
    f"CREATE POLICY {TABLE}_update ON {TABLE} FOR UPDATE USING ({ACTS}) WITH CHECK ({ACTS})",
    f"CREATE POLICY {TABLE}_delete ON {TABLE} FOR DELETE USING ({ACTS})",
    f"GRANT SELECT, INSERT, UPDATE, DELETE ON {TABLE} TO dimos_app",
)


def upgrade() -> None:
    op.create_geospatial_table(TABLE,
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('jurisdiction_id', sa.Text(), nullable=False),
    sa.Column('sign_id', sa.Text(), nullable=False, comment='Sign id'),
    sa.Column('name', sa.Text(), nullable=False, comment='Location'),
    sa.Column('sign_type', sa.Text(), nullable=False, comment='Type'),
    sa.Column('lot_id', sa.Text(), nullable=True, comment='Car park'),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=2100, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('geom_mercator', Geometry(srid=3857, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed('ST_Transform(geom, 3857)', persisted=True), nullable=True, comment='geom in Web Mercator, for vector tiles (derived)'),
    sa.Column('import_id', sa.BigInteger(), nullable=True, comment='the import that last wrote this feature (NULL: not imported)'),
    sa.CheckConstraint("sign_type <> 'car_park' OR lot_id IS NOT NULL", name='parking_signs_car_park_named'),
    sa.CheckConstraint("sign_type IN ('car_park', 'entrance')", name='parking_signs_sign_type_choice'),
    sa.CheckConstraint('NOT ST_IsEmpty(geom)', name='parking_signs_geom_not_empty'),
    sa.CheckConstraint('ST_IsValid(geom)', name='parking_signs_geom_valid'),
    sa.ForeignKeyConstraint(['import_id'], ['imports.id'], name=op.f('parking_signs_import_id_fkey')),
    sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdictions.id'], name=op.f('parking_signs_jurisdiction_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('parking_signs_pkey')),
    sa.UniqueConstraint('jurisdiction_id', 'sign_id', name='parking_signs_natural_key')
    )
    op.create_geospatial_index('idx_parking_signs_geom', TABLE, ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_geospatial_index('idx_parking_signs_geom_mercator', TABLE, ['geom_mercator'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index('parking_signs_jurisdiction_id_idx', TABLE, ['jurisdiction_id'], unique=False)
    op.create_table_comment(TABLE, 'Free-space signs / Πινακίδες ελεύθερων θέσεων')
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    op.drop_geospatial_table(TABLE)  # its triggers, policies and indexes with it
    op.execute(f"DELETE FROM layer_changes WHERE layer_id = '{TABLE}'")
    op.execute(f"DELETE FROM feature_changes WHERE table_name = '{TABLE}'")
