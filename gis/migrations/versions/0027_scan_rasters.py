"""scanned_plans.cog_data: each scan's Cloud Optimized GeoTIFF in the database

A scan's COG was a file in the importing node's ``state_dir/rasters``: another node (or this one
after losing its folder) answered 404 for its tiles, and backups (pg_dump) left it out. The
import now stores it in the scan's row, in the transaction that registers the scan; nodes keep
a local copy to read tiles from, which is safe to lose.

Scans imported before this revision keep ``cog_data`` NULL and are served from the node's
raster folder as before, where their file is.

Revision ID: 0027_scan_rasters
Revises: 0026_feature_modified
Create Date: 2026-12-03 07:15:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0027_scan_rasters'
down_revision = '0026_feature_modified'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("scanned_plans", sa.Column(
        "cog_data", sa.LargeBinary(), nullable=True,
        comment="the COG itself; NULL: a file in the node's raster folder (before 0027)"))


def downgrade() -> None:
    op.drop_column("scanned_plans", "cog_data")
