"""Engines and sessions. The only place that knows which database is behind the URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.settings import redacted
from store import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from store.errors import StoreError


def open_engine(url: str) -> Engine:
    """An engine for the URL; SQLite gets WAL, foreign keys and a busy timeout for several processes."""
    try:
        if url.startswith("sqlite"):
            engine = sa.create_engine(url, connect_args={"timeout": 30})
            sa.event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = sa.create_engine(url, pool_pre_ping=True)
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise StoreError(f"cannot use database URL {_safe(url)}: {exc}") from exc
    return engine


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # with WAL, NORMAL survives any crash or kill of kontakt; only a power cut can lose the last commits
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _safe(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return redacted(url)


def unavailable(engine_or_url: Engine | str, exc: BaseException) -> StoreError:
    """A database error as kontakt reports it: which database, what it said, what to do."""
    url = engine_or_url if isinstance(engine_or_url, str) else engine_or_url.url.render_as_string(hide_password=False)
    said = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
    if url.startswith("sqlite"):
        hint = "check [database] url, and that its folder exists and kontakt may write there"
    else:
        hint = "check [database] url, and that the database server is running and reachable"
    return StoreError(f"the database {_safe(url)} cannot be used: {said}; {hint}")


def insert_skipping_existing(session: Session, table: sa.Table, *key: str) -> sa.Insert:
    """INSERT that leaves out rows whose `key` (a unique constraint) is already stored, on the session's
    database (`ON CONFLICT DO NOTHING`, which both SQLite and PostgreSQL speak, each in its dialect)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing(index_elements=list(key))


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that rolls back on error and always closes. The store's boundary: a database that is
    down, unwritable or gone mid-way comes out as a StoreError saying so, not as a driver's exception."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
            _quiet_rollback(session)
            raise unavailable(engine, exc) from exc
        except BaseException:
            _quiet_rollback(session)
            raise


def _quiet_rollback(session: Session) -> None:
    try:
        session.rollback()
    except sa.exc.SQLAlchemyError:  # the connection is gone: nothing to roll back
        pass
