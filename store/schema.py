"""Schema management with Alembic migrations (store/migrations).

A brand-new, empty database is brought to the current schema on first use (the
README's first command). A database at an older revision is refused with a clear
message until `kontakt db upgrade` has run: a migration is a deliberate step.
"""

from __future__ import annotations

import time
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from store.errors import SchemaOutOfDate, StoreError

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head() or ""


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Apply every migration not yet applied; returns (before, after)."""
    before = current_revision(engine)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "head")
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"the migration failed: {exc.__class__.__name__}: {exc}") from exc
    return before, head_revision()


def ensure_schema(engine: Engine) -> None:
    """Create the schema in an empty database; refuse an out-of-date one."""
    try:
        current = current_revision(engine)
        tables = set(sa.inspect(engine).get_table_names())
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"cannot read the database: {exc.__class__.__name__}: {exc}") from exc
    head = head_revision()
    if current == head:
        return
    if current is None and not (tables - {"alembic_version"}):
        try:
            upgrade(engine)
        except StoreError:
            _wait_for_other_creator(engine, head)
        return
    raise SchemaOutOfDate(f"the database schema is at revision {current or '(none)'}, this kontakt needs {head}: "
                          "run `kontakt db upgrade` (after a backup)")


def _wait_for_other_creator(engine: Engine, head: str, seconds: float = 30.0) -> None:
    """Two processes met an empty database at once: the other one is creating it; wait for it to finish."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if current_revision(engine) == head:
                return
        except sa.exc.SQLAlchemyError:
            pass
        time.sleep(0.2)
    raise StoreError("the database schema could not be created (another process may have failed creating it)")
