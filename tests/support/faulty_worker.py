"""The real reader worker with an extractor that has a bug on one mail (one that says "Andet"): how a fault
of ours on a single mail is contained, shown without needing a real bug to exist."""

from __future__ import annotations

import sys
from multiprocessing.connection import Connection

import parsers
from kontakt import read_worker

real = parsers.extract


def faulty(raw: bytes, **kw):  # type: ignore[no-untyped-def]
    if "Andet".encode() in raw:
        raise KeyError("a bug met on this mail")
    return real(raw, **kw)


if __name__ == "__main__":
    parsers.extract = faulty
    in_fd, out_fd, zone, memory = sys.argv[1:5]
    read_worker.serve(Connection(int(in_fd), writable=False), Connection(int(out_fd), readable=False), zone, int(memory))
