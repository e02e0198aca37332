"""Building permits hold two geometry types, Point and MultiPolygon (no bare Polygon), so each
of the two collections they are published as (building_permits, building_permit_sites) has one

A desktop GIS types an OGC API layer from its first page: mixed types hid the point permits.
Every polygon permit becomes a one-part MultiPolygon (same area, same rows), then the check
allows only the two types.

Revision ID: 0019_permit_geometry_types
Revises: 0017_job_municipality
Create Date: 2026-12-02 11:45:00
"""
from alembic import op

revision = '0019_permit_geometry_types'
down_revision = '0018_job_policies'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint('building_permits_geom_type', 'building_permits', type_='check')
    op.execute("UPDATE building_permits SET geom = ST_Multi(geom) "
               "WHERE GeometryType(geom) = 'POLYGON'")
    op.create_check_constraint('building_permits_geom_type', 'building_permits',
                               "GeometryType(geom) IN ('POINT', 'MULTIPOLYGON')")


def downgrade() -> None:
    # a MultiPolygon stays one (a one-part MultiPolygon is a valid value of the old rule)
    op.drop_constraint('building_permits_geom_type', 'building_permits', type_='check')
    op.create_check_constraint('building_permits_geom_type', 'building_permits',
                               "GeometryType(geom) IN ('POINT', 'POLYGON', 'MULTIPOLYGON')")
