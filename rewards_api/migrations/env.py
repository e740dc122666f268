"""Alembic environment: migrates the database named by the app's settings (or the URL
the caller put into the config's attributes)."""

from __future__ import annotations

from alembic import context

from rewards_api import models  # noqa: F401  (registers every table on Base.metadata)
from rewards_api.db import Base, make_engine

config = context.config
url = str(config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url"))


def run_migrations() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata,
                          render_as_batch=True, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
