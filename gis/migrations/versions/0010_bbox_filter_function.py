"""dimos_meets_bbox(): the exact bbox test, declared cheap so bbox pages walk the primary key

ST_Intersects is costed as expensive per row, so for `bbox … ORDER BY id LIMIT n` PostgreSQL
fetches every feature in the box and sorts them (9,000 random heap rows for a street-level view
of a 1,000,000-row table). The real test runs only on rows whose index box already meets the
bbox (the cheap `&&` goes first), so walking the primary key and stopping after n is far
cheaper. The SET clause keeps the planner from inlining the function back into ST_Intersects'
costs.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 09:40:00
"""
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE FUNCTION dimos_meets_bbox(geom geometry, bbox geometry) RETURNS boolean
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 1
        SET search_path FROM CURRENT
        AS $$ SELECT _ST_Intersects(geom, bbox) $$""")
    op.execute("COMMENT ON FUNCTION dimos_meets_bbox(geometry, geometry) IS "
               "'ST_Intersects without its && and declared cheap (see migration 0010)'")


def downgrade() -> None:
    op.execute("DROP FUNCTION dimos_meets_bbox(geometry, geometry)")
