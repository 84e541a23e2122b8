"""Alembic's environment, run programmatically by store.schema (no alembic.ini needed)."""

from alembic import context
from sqlmodel import SQLModel

from store import models  # noqa: F401  (the tables)

config = context.config
target_metadata = SQLModel.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("store.schema passes a connection to Alembic")
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run()
