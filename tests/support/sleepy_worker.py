"""A reader worker that never finishes a mail: the one thing the real extractor must not do, and so the
one way to show, without waiting on a machine's speed, that the parent stops a worker over its time."""

from __future__ import annotations

import sys
import time
from multiprocessing.connection import Connection

if __name__ == "__main__":
    receive, send = Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False)
    send.send(("ready", None))
    while receive.recv() is not None:
        time.sleep(3600)
