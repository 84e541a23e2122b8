"""One pipeline at a time: a manual run and the scheduled run must never overlap.

Overlapping importers are what makes other mail importers queue mail twice.
With SQLite the lock is an advisory file lock (flock) beside the database
file, which every process on the machine that uses that database shares; the
kernel drops it when a holder dies, even under SIGKILL.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kontakt.errors import LockedError
from kontakt.settings import Settings


def lock_path(settings: Settings) -> Path:
    url = settings.database.url
    if url.startswith("sqlite:///") and not url.endswith(":memory:"):
        return Path(url[len("sqlite:///"):] + ".lock")
    return settings.base_dir / ".kontakt-pipeline.lock"


@contextmanager
def pipeline_lock(settings: Settings) -> Iterator[None]:
    path = lock_path(settings)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockedError("another kontakt run is in progress (lock held on "
                              f"{path}); this run did nothing") from None
        yield
    finally:
        os.close(fd)  # closing releases the lock
