"""Alembic environment: the target schema is gis.schema, derived from the layer catalogue."""
from alembic import context
from geoalchemy2 import alembic_helpers
from sqlalchemy import pool

from gis.db import make_engine
from gis.migrate import include_object
from gis.schema import metadata


def run_migrations_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    engine = make_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            include_object=include_object,
            process_revision_directives=alembic_helpers.writer,
            render_item=alembic_helpers.render_item,
            compare_type=True,
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
