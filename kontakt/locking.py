"""One pipeline at a time: a manual run and the scheduled run must never overlap.

Overlapping importers are what makes other mail importers queue mail twice.
With SQLite the lock is an advisory file lock (flock) beside the database file,
shared by every process on the machine that uses it. With PostgreSQL it is a
session advisory lock in the database itself, so workers on several machines
sharing the database take turns. Either way the lock dies with its holder,
even under SIGKILL (the kernel closes the file; the server ends the session).
"""

from __future__ import annotations

import fcntl
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from core.errors import LockedError
from store.db import unavailable
from store.errors import StoreError
from core.settings import Settings

LOCK_NAMESPACE = 0x6B6F6E74  # "kont": keeps our advisory locks apart from other applications'


def lock_path(settings: Settings) -> Path:
    url = settings.database.url
    if url.startswith("sqlite:///") and not url.endswith(":memory:"):
        return Path(url[len("sqlite:///"):] + ".lock")
    return settings.base_dir / ".kontakt-pipeline.lock"


@contextmanager
def pipeline_lock(settings: Settings) -> Iterator[None]:
    if settings.database.url.startswith("postgresql"):
        with _advisory_lock(settings) as held:
            yield held
        return
    path = lock_path(settings)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(f"cannot create the lock file {path}: {exc.strerror}; check [database] url, and that its "
                         "folder exists and kontakt may write there") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockedError("another kontakt run is in progress (lock held on "
                              f"{path}); this run did nothing") from None
        yield
    finally:
        os.close(fd)  # closing releases the lock


@contextmanager
def _advisory_lock(settings: Settings) -> Iterator[None]:
    key = zlib.crc32(settings.mailbox.source.encode("utf-8"))  # one lock per mailbox
    engine = sa.create_engine(settings.database.url, poolclass=sa.pool.NullPool)
    try:
        connection = engine.connect()
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
        raise unavailable(settings.database.url, exc) from exc
    with connection:
        got = connection.execute(sa.text("SELECT pg_try_advisory_lock(:ns, :key)"),
                                 {"ns": LOCK_NAMESPACE, "key": key - 2**31}).scalar()
        connection.commit()
        if not got:
            raise LockedError("another kontakt run is in progress on this mailbox (PostgreSQL advisory lock); "
                              "this run did nothing")
        try:
            yield
        finally:
            connection.execute(sa.text("SELECT pg_advisory_unlock(:ns, :key)"), {"ns": LOCK_NAMESPACE, "key": key - 2**31})
            connection.commit()
    engine.dispose()
