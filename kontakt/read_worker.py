"""The worker side of kontakt.reader: `python -m kontakt.read_worker IN_FD OUT_FD TZ MEMORY_MB`.

It loads the extractor, limits its own address space, says it is ready, then reads each mail sent
to it until told to stop (None) or the pipe closes. A thread takes requests off the pipe as they
come, so a parent that sends the next mail early never blocks on it while this one answers the last
(both would wait on a full pipe). Nothing here touches a database or a mailbox.
"""

from __future__ import annotations

import queue
import resource
import sys
import threading
from multiprocessing.connection import Connection


def serve(receive: Connection, send: Connection, tz: str, memory_limit_mb: int) -> None:
    import parsers
    from kontakt.warmup import load_extractor

    load_extractor()
    requests: queue.SimpleQueue[object] = queue.SimpleQueue()
    threading.Thread(target=_take_requests, args=(receive, requests), daemon=True).start()
    _limit_memory(memory_limit_mb)
    send.send(("ready", None))
    while True:
        request = requests.get()
        if request is None:
            return
        if request is MemoryError:
            send.send(("memory", None))
            return
        raw, as_event = request  # type: ignore[misc]
        try:
            send.send(("ok", parsers.extract(raw, tz=tz, as_event=as_event)))
        except parsers.ParseError as exc:
            send.send(("failed", f"Mailen kunne ikke læses. {exc}"))
        except MemoryError:
            send.send(("memory", None))
            return
        except RecursionError:
            send.send(("failed", "Mailen kunne ikke læses: dens opbygning er for dybt indlejret."))
        except Exception as exc:  # a bug of ours must not lose the mail: it is kept with what went wrong
            send.send(("failed", f"Mailen kunne ikke læses på grund af en fejl i kontakt ({exc.__class__.__name__}: "
                                 f"{str(exc)[:300]}). Mailen er gemt; prøv igen med 'Læs igen' efter en opdatering."))


def _take_requests(receive: Connection, requests: "queue.SimpleQueue[object]") -> None:
    """Requests in the order they come, then None when the pipe closes (MemoryError: one did not fit)."""
    while True:
        try:
            request = receive.recv()
        except (EOFError, OSError):
            request = None
        except MemoryError:
            request = MemoryError
        requests.put(request)
        if request is None or request is MemoryError:
            return


def _limit_memory(megabytes: int) -> None:
    """An address-space limit of what the worker has now plus `megabytes`."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            size_kb = next((int(line.split()[1]) for line in status if line.startswith("VmSize:")), 0)
    except OSError:  # no /proc (not Linux): the time limit still holds
        return
    limit = size_kb * 1024 + megabytes * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


if __name__ == "__main__":
    in_fd, out_fd, zone, memory = sys.argv[1:5]
    serve(Connection(int(in_fd), writable=False), Connection(int(out_fd), readable=False), zone, int(memory))
