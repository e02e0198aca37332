"""Search: permit numbers and ΚΑΕΚ by their beginning, from a B-tree on the search key

A code is found by its beginning only (gis/search.py: Source.code): a ΚΑΕΚ or permit number one
character off names another parcel or permit, so likeness is no match. A B-tree with
text_pattern_ops answers LIKE 'prefix%' at once; the trigram index it replaces read ~1,000
pages for a permit number among 1,000,000 (its trigrams, "/2023" and the like, are shared by
thousands), 17 ms for the prefix and 24 ms for the likeness (bench/map_tools.py).

Revision ID: 0031_code_search_prefix
Revises: 0030_published_layers
Create Date: 2026-12-03 20:30:00
"""
from alembic import op

revision = '0031_code_search_prefix'
down_revision = '0030_published_layers'
branch_labels = None
depends_on = None

#: (table, column) of the codes; the indexes keep migration 0020's names
CODES = (("building_permits", "permit_number"), ("building_permits", "kaek"))


def upgrade() -> None:
    for table, column in CODES:
        op.execute(f"DROP INDEX {table}_{column}_search_idx")
        op.execute(f"CREATE INDEX {table}_{column}_search_idx ON {table} "
                   f"(dimos_search_key({column}) text_pattern_ops)")


def downgrade() -> None:
    for table, column in CODES:
        op.execute(f"DROP INDEX {table}_{column}_search_idx")
        op.execute(f"CREATE INDEX {table}_{column}_search_idx ON {table} "
                   f"USING gin (dimos_search_key({column}) gin_trgm_ops)")
