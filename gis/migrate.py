"""Running the Alembic migrations of the schema (gis/migrations) on a database."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from geoalchemy2 import alembic_helpers

from gis.db import make_engine
from gis.schema import PUBLISHED_TABLE_COMMENT, READINGS_PARTITION_PREFIX

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Tables that extensions own (PostGIS, pgRouting): not ours to compare or migrate.
SEARCH_INDEX_SUFFIX = "_search_idx"
EXTENSION_TABLES = {"spatial_ref_sys", "topology", "layer", "us_gaz", "us_lex", "us_rules"}


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's filter: our tables and indexes only (not the extensions', nor PostGIS's own)."""
    if type_ == "table" and name in EXTENSION_TABLES:
        return False
    # monthly partitions of the readings are made at run time (gis/sensors.py), not migrated
    if type_ == "table" and reflected and compare_to is None and name.startswith(
            READINGS_PARTITION_PREFIX):
        return False
    # a published layer's tables are made by `dimos layer publish`, not by a migration
    if type_ == "table" and reflected and compare_to is None and (
            getattr(obj, "comment", None) or "").startswith(PUBLISHED_TABLE_COMMENT):
        return False
    # the search's trigram indexes are on expressions the catalogue does not declare
    # (migration 0020_search, gis/search.py)
    if type_ == "index" and reflected and name.endswith(SEARCH_INDEX_SUFFIX):
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation: a literal % in a password must be doubled
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def current_revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head_revision(url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()
