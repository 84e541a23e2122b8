"""Schema management with Alembic migrations (store/migrations).

A brand-new, empty database is brought to the current schema on first use (the
README's first command). A database at an older revision is refused with a clear
message until `kontakt db upgrade` has run: a migration is a deliberate step.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from store.errors import SchemaOutOfDate, StoreError

if TYPE_CHECKING:  # Alembic is imported only to migrate: every command checks the schema, few change it
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# the newest migration in store/migrations/versions (a test checks that they agree)
HEAD_REVISION = "0003a"


def alembic_config(connection: sa.Connection | None = None) -> "Config":
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision, read from the migration scripts themselves."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head() or ""


def current_revision(engine: Engine) -> str | None:
    """The database's revision (alembic_version), or None when it has none."""
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Apply every migration not yet applied; returns (before, after)."""
    from alembic import command

    before = current_revision(engine)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "head")
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"the migration failed: {exc.__class__.__name__}: {exc}") from exc
    return before, head_revision()


@contextmanager
def _creation_lock(engine: Engine) -> Iterator[None]:
    """Processes meeting a new SQLite file at once take turns (SQLite's DDL is not atomic here).

    PostgreSQL needs none: its DDL is transactional and the migration holds its own locks.
    """
    database = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    fd = os.open(f"{database}.schema.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # blocking: creating a schema takes well under a second
        yield
    finally:
        os.close(fd)


def ensure_schema(engine: Engine) -> None:
    """Create the schema in an empty database; refuse an out-of-date one."""
    with _creation_lock(engine):
        _ensure_schema(engine)


def _ensure_schema(engine: Engine) -> None:
    try:
        current = current_revision(engine)
        tables = set(sa.inspect(engine).get_table_names())
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"cannot read the database: {exc.__class__.__name__}: {exc}") from exc
    head = HEAD_REVISION
    if current == head:
        return
    if current is None and not (tables - {"alembic_version"}):
        upgrade(engine)
        return
    raise SchemaOutOfDate(f"the database schema is at revision {current or '(none)'}, this kontakt needs {head}: "
                          "run `kontakt db upgrade` (after a backup)")

