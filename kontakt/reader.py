"""Reading stored mail with a hard limit on time and memory: the extractor runs in a worker process.

A hostile or merely huge mail must not stop a run, freeze the desk or eat the machine. So the
parent never runs the extractor itself: it sends the raw bytes to a worker process and waits at
most `[reader] time_limit_seconds`; a worker over its time is killed, and one over its memory
(`[reader] memory_limit_mb` above what it had when it was ready, as an address-space limit) stops
with a MemoryError or is ended by the kernel. Either way the mail is kept, marked failed with the
reason in Danish, and the next mail gets a fresh worker. This works alike in the command line, in
the schedule's threads and in the desk, where a signal-based limit (SIGALRM) would not.

The worker is a plain `python -m kontakt.read_worker` child (not a multiprocessing fork, which is
unsafe in a process with threads and re-imports the parent's main module), started when there is
mail to read (`start`, so its start-up overlaps with fetching and storing the first batch) and kept
for the rest: it pays the extractor's start-up (about a second) once, and again only after a mail
that had to be stopped. Requests and answers are pickled over a pair of pipes.

`read_many` keeps one mail ahead: the next mail is sent before the answer to the one before is
awaited, so the worker reads it while the caller stores the last (on two cores both are busy).
A mail's time limit is counted from when its answer is awaited, so it may have had a little more.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from types import TracebackType

from core.errors import KontaktError
from core.model import ParsedMail
from core.settings import ReaderSettings

log = logging.getLogger(__name__)
WORKER_MODULE = "kontakt.read_worker"  # run as `python -m WORKER_MODULE IN_FD OUT_FD TZ MEMORY_MB`
LOOKAHEAD = 2  # mails sent to the worker and not yet answered: the one it reads and the next
START_UP_SECONDS = 120  # a worker that is not ready by then will not be (a broken installation)
CRASHED = ("Læseren stoppede under læsningen af mailen (et nedbrud, eller den brugte for meget hukommelse). "
           "Mailen er gemt, så en person kan se på den.")
OUT_OF_MEMORY = ("Læsningen af mailen krævede mere end {limit} MB hukommelse og blev stoppet. "
                 "Mailen er gemt, så en person kan se på den.")
TOO_SLOW = ("Læsningen af mailen tog over {limit} sekunder og blev stoppet. "
            "Mailen er gemt, så en person kan se på den.")
NOT_STARTED = "Læseren kunne ikke starte ({detail}), så mailen er ikke læst endnu. Den er gemt og læses ved næste kørsel."


@dataclass(frozen=True)
class ReadResult:
    """A mail read: what the extractor gave, or why it could not be read (Danish, shown to reviewers)."""

    parsed: ParsedMail | None
    error: str | None = None


class ReaderUnavailable(KontaktError):
    """The worker could not be started at all (not a fault of any mail)."""


class Reader:
    """Reads mail one at a time in a worker process; use as a context manager (or call `close`)."""

    def __init__(self, *, tz: str, limits: ReaderSettings) -> None:
        self.tz = tz
        self.limits = limits
        self._process: subprocess.Popen[bytes] | None = None
        self._send: Connection | None = None
        self._receive: Connection | None = None
        self._ready = False

    def __enter__(self) -> "Reader":
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def start(self) -> None:
        """Start the worker now, without waiting for it: its start-up (loading the extractor) overlaps
        with what the caller does until the first `read` (fetching and storing the first batch)."""
        if self._process is None or self._process.poll() is not None:
            self._spawn()

    def read(self, raw: bytes, *, as_event: bool = False) -> ReadResult:
        """The extractor's reading of `raw`, or the reason it could not be read."""
        for result in self.read_many([(raw, as_event)]):
            return result
        raise AssertionError("read_many answers every request")  # pragma: no cover

    def read_many(self, requests: Iterable[tuple[bytes, bool]]) -> Iterator[ReadResult]:
        """`read` for each (raw, as_event), answered in order, the next mail already sent while the caller
        handles an answer. A mail that stops the worker is answered with its reason; the mails sent after
        it go to a fresh worker. Closing the iterator early waits for (or ends) what is still being read."""
        todo = iter(requests)
        sent: deque[tuple[bytes, bool]] = deque()  # sent, not answered yet
        try:
            while True:
                while len(sent) < LOOKAHEAD and (request := next(todo, None)) is not None:
                    self._send_request(request, first=not sent)
                    sent.append(request)
                if not sent:
                    return
                result, stopped = self._answer()
                sent.popleft()
                if stopped:  # the worker is gone with what it had been sent after this mail
                    for i, request in enumerate(sent):
                        self._send_request(request, first=i == 0)
                yield result
        finally:
            if sent:
                self._settle(len(sent))

    def _send_request(self, request: tuple[bytes, bool], *, first: bool) -> None:
        """Send a mail; `first`: none sent before it is unanswered (only then may a new worker be started,
        or an earlier mail's answer would be taken from a worker that never had it)."""
        if not first and (self._process is None or self._process.poll() is not None):
            return  # the worker died with an earlier mail: its answer says so, and this one is sent again
        send, _ = self._worker()
        raw, as_event = request
        try:
            send.send((bytes(raw), as_event))
        except OSError:
            pass  # the worker has died: waiting for the answer says so (and replaces it)

    def _answer(self) -> tuple[ReadResult, bool]:
        """The answer to the oldest mail sent, and whether the worker had to be stopped for it."""
        receive = self._receive
        try:
            if receive is None:
                raise EOFError
            if not receive.poll(self.limits.time_limit_seconds):
                self._stop(kill=True)
                return ReadResult(None, TOO_SLOW.format(limit=self.limits.time_limit_seconds)), True
            outcome, payload = receive.recv()
        except (EOFError, OSError):
            self._stop(kill=True)
            return ReadResult(None, CRASHED), True
        if outcome == "ok":
            return ReadResult(payload), False
        if outcome == "memory":
            self._stop(kill=True)  # a worker past its memory is not trusted with the next mail
            return ReadResult(None, OUT_OF_MEMORY.format(limit=self.limits.memory_limit_mb)), True
        return ReadResult(None, payload), False

    def _settle(self, unanswered: int) -> None:
        """The caller stopped early: the answers still due are taken and dropped, so that none is read as the
        answer to a later mail (a worker that does not give them in time is ended)."""
        for _ in range(unanswered):
            _, stopped = self._answer()
            if stopped:
                return

    def close(self) -> None:
        self._stop(kill=False)

    def _worker(self) -> tuple[Connection, Connection]:
        if self._process is None or self._process.poll() is not None or not (self._send and self._receive):
            self._spawn()
        if not self._ready:
            try:  # the worker says it is ready once the extractor is loaded (outside any mail's time limit)
                self._ready = self._receive.poll(START_UP_SECONDS) and self._receive.recv() == ("ready", None)
            except (EOFError, OSError):
                self._ready = False
            if not self._ready:
                self._stop(kill=True)
                raise ReaderUnavailable(NOT_STARTED.format(detail="the worker did not get ready"))
        return self._send, self._receive  # type: ignore[return-value]

    def _spawn(self) -> None:
        self._stop(kill=True)
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", WORKER_MODULE, str(to_child_r), str(from_child_w), self.tz,
                 str(self.limits.memory_limit_mb)],
                pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                close_fds=True)
        except OSError as exc:
            for fd in (to_child_r, to_child_w, from_child_r, from_child_w):
                os.close(fd)
            raise ReaderUnavailable(NOT_STARTED.format(detail=exc)) from exc
        os.close(to_child_r)
        os.close(from_child_w)
        send, receive = Connection(to_child_w, readable=False), Connection(from_child_r, writable=False)
        self._process, self._send, self._receive, self._ready = process, send, receive, False

    def _stop(self, *, kill: bool) -> None:
        process, send, receive = self._process, self._send, self._receive
        self._process = self._send = self._receive = None
        self._ready = False
        if send is not None:
            try:
                if not kill:
                    send.send(None)  # "no more mail": the worker ends by itself
            except OSError:
                pass
            send.close()
        if receive is not None:
            receive.close()
        if process is not None:
            if kill:
                process.kill()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
