"""`kontakt serve`'s app, served for a test by uvicorn in a thread on a free loopback port."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from core.settings import Settings
from tests.support.dovecot import free_port


@contextmanager
def served(settings: Settings) -> Iterator[str]:
    """The desk and the public pages as `kontakt serve` runs them; yields the base URL."""
    from kontakt.desk import desk_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(desk_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(5)
