"""One pass of the pipeline: new mail -> raw kept -> events read -> drafts queued.

The order is the safety: each raw message is committed before it is read, its
drafts are committed before the mailbox action runs, and a message left
half-done by a crash is read again on the next pass (up to a limit, so one
message that kills the reader cannot stall the queue forever).
"""

from __future__ import annotations

import logging
import signal
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NamedTuple, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session

import parsers
from intake import Mailbox, RawMail, open_mailbox
from core.errors import KontaktError, LockedError
from kontakt.locking import pipeline_lock
from core.settings import Settings
from kontakt.warmup import load_extractor
from store import Message, MessageStatus, Run, ensure_schema, open_engine, repo, session_scope, threads
from store.models import PurgeRecord, utcnow

log = logging.getLogger(__name__)

MAX_PARSE_ATTEMPTS = 3
T = TypeVar("T")
PARSE_TIME_LIMIT_SECONDS = 30


class NewDraft(NamedTuple):
    """What `kontakt run` lists of a draft it queued (the draft itself stays in the store)."""

    id: int
    title: str | None
    start: str | None
    place: str | None
    confidence: dict[str, float]


@dataclass
class RunReport:
    run_id: int | None = None
    fetched: int = 0
    new_messages: int = 0
    new_drafts: int = 0
    updated_drafts: int = 0
    failed: int = 0
    drafts: list[NewDraft] = field(default_factory=list)


def open_store(settings: Settings) -> Engine:
    """The database, with its schema checked (created when empty, refused when out of date)."""
    engine = open_engine(settings.database.url)
    ensure_schema(engine)
    return engine


def run_once(settings: Settings, *, trigger: str = "manual",
             progress: Callable[[int], None] | None = None) -> RunReport:
    """Take in new mail from the configured source and queue its events. Recorded as a Run."""
    try:
        with pipeline_lock(settings):  # only taking the lock raises LockedError
            return _run_locked(settings, trigger, progress)
    except LockedError as exc:  # recorded too: "why did nothing happen at 02:00?" has an answer
        with session_scope(open_store(settings)) as session:
            session.add(Run(trigger=trigger, source=_public_source(settings.mailbox.source), outcome="skipped",
                            finished_at=utcnow(), error=str(exc)))
            session.commit()
        raise


def _run_locked(settings: Settings, trigger: str, progress: Callable[[int], None] | None) -> RunReport:
    with session_scope(open_store(settings)) as session:
        run = Run(trigger=trigger, source=_public_source(settings.mailbox.source))
        session.add(run)
        session.commit()
        report = RunReport(run_id=run.id)
        try:
            mailbox = open_mailbox(settings.mailbox)
            try:
                _take_in(session, mailbox, settings, report, progress)
            finally:
                mailbox.close()
        except KontaktError as exc:
            _finish(session, run, report, outcome="failed", error=str(exc))
            raise
        except Exception as exc:
            _finish(session, run, report, outcome="failed", error=f"{exc.__class__.__name__}: {exc}")
            raise
        _finish(session, run, report, outcome="ok")
    if settings.notify.enabled:
        _notify(settings)
    return report


def _notify(settings: Settings) -> None:
    """Receipts and the digest after a run; a mail server problem is logged, never fails the run."""
    from publish.notify import send_pending

    try:
        send_pending(settings, open_store(settings))
    except KontaktError as exc:
        log.error("notifications not sent: %s", exc)


def purge(settings: Settings) -> "PurgeRecord":
    """Delete raw mail and personal fields past `[retention] raw_mail_days`."""
    from store.retention import purge_expired

    with session_scope(open_store(settings)) as session:
        return purge_expired(session, settings.retention.raw_mail_days)


def list_runs(settings: Settings, limit: int = 50) -> list[Run]:
    from sqlmodel import col, select

    with session_scope(open_store(settings)) as session:
        return list(session.exec(select(Run).order_by(col(Run.id).desc()).limit(limit)).all())


def _take_in(session: Session, mailbox: Mailbox, settings: Settings, report: RunReport,
             progress: Callable[[int], None] | None) -> None:
    # first what an earlier, interrupted run stored but never read
    report.failed += repo.give_up_on_stuck(session, MAX_PARSE_ATTEMPTS)
    known = threads.KnownMail.load(session)
    for message in repo.unread_messages(session, MAX_PARSE_ATTEMPTS):
        repo.start_attempt(session, message)
        known = _store_alone(session, message, None, settings, report, known)
    _follow_up(session, mailbox, repo.pending_actions(session, mailbox.source))
    mails = mailbox.fetch_new(repo.seen_refs(session, mailbox.source))
    for batch in _batches(mails, settings.mailbox.batch_size):
        # 1. every raw message of the batch is committed before any of them is read
        # (a new message counts its read attempt when stored: see repo.keep_raw_many)
        kept = repo.keep_raw_many(session, [(mail.ref, mail.raw) for mail in batch], source=mailbox.source)
        report.fetched += len(batch)
        fresh = [(message, mail) for mail, (message, is_new) in zip(batch, kept) if is_new]
        report.new_messages += len(fresh)
        # 2. read them and queue their drafts: one commit for the batch, or mail by mail if that fails
        try:
            _store_together(session, fresh, settings, report, known)
        except Exception:
            session.rollback()
            log.warning("a batch could not be stored in one go; storing its mails one by one")
            known = threads.KnownMail.load(session)  # what the failed batch remembered was rolled back
            for message, mail in fresh:
                session.refresh(message)
                if message.status == MessageStatus.RECEIVED:
                    known = _store_alone(session, message, mail, settings, report, known)
        # 3. only now the mailbox action, for the batch at once (an over-size mail stays where it is)
        _follow_up(session, mailbox, [mail.ref for mail in batch if not mail.truncated],
                   not_wanted=[mail.ref for mail in batch if mail.truncated])
        if progress:
            progress(len(batch))


def _follow_up(session: Session, mailbox: Mailbox, refs: list[str], *, not_wanted: Sequence[str] = ()) -> None:
    """The mailbox action for items whose drafts are committed, noted in the ledger once done, so a run
    that stops in between leaves it to the next run instead of forgetting it."""
    if refs:
        mailbox.apply_action(refs)
    if refs or not_wanted:
        repo.mark_actions_done(session, mailbox.source, [*refs, *not_wanted])


def _store_together(session: Session, items: list[tuple[Message, RawMail | None]], settings: Settings,
                    report: RunReport, known: threads.KnownMail) -> None:
    """Read the messages and queue what they hold in one transaction; the report counts it once committed."""
    tally = RunReport()
    with repo.deferred_commits(session) as batch:
        for message, mail in items:
            if mail is not None and mail.truncated:
                repo.record_failure(session, message, f"the message is {mail.size:,} bytes, over the limit of "
                                    f"{settings.mailbox.max_message_bytes:,} ([mailbox] max_message_bytes); "
                                    "only its start is kept and it is left in the mailbox")
                tally.failed += 1
            else:
                _read(session, message, settings, tally, known)
    report.new_drafts += tally.new_drafts
    report.updated_drafts += tally.updated_drafts
    report.failed += tally.failed
    report.drafts.extend(NewDraft(d.id, d.title, d.start, d.place, d.confidence) for d in batch.written)


def _store_alone(session: Session, message: Message, mail: RawMail | None, settings: Settings, report: RunReport,
                 known: threads.KnownMail) -> threads.KnownMail:
    """One message in its own transaction; if what was read cannot be stored, the message keeps the error.
    Returns what the store knows after it (reloaded when the transaction was rolled back)."""
    try:
        _store_together(session, [(message, mail)], settings, report, known)
        return known
    except Exception as exc:
        session.rollback()
        repo.record_failure(session, message, f"what was read could not be stored: {exc.__class__.__name__}: {exc}")
        report.failed += 1
        log.error("message %s: storing the parse failed\n%s", message.id, traceback.format_exc())
        return threads.KnownMail.load(session)


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def reread_message(session: Session, message: Message, settings: Settings) -> str:
    """Read a stored (failed) message again after a fix; returns its new status."""
    message.status = MessageStatus.RECEIVED
    message.attempts = 0
    message.error = None
    repo.start_attempt(session, message)
    _store_alone(session, message, None, settings, RunReport(), threads.KnownMail.load(session))
    session.refresh(message)
    return str(message.status)


def _read(session: Session, message: Message, settings: Settings, report: RunReport,
          known: threads.KnownMail) -> None:
    """Parse one stored message and stage its drafts (inside `repo.deferred_commits`), or record why
    it could not be read. A failure to store what was read propagates: the caller's transaction decides."""
    load_extractor()  # once per process, outside the time limit
    try:
        with time_limit(PARSE_TIME_LIMIT_SECONDS):
            parsed = parsers.extract(message.raw or b"", tz=settings.timezone)
    except parsers.ParseError as exc:
        repo.record_failure(session, message, str(exc))
        report.failed += 1
        log.warning("message %s (%s) could not be read: %s", message.id, message.message_id, exc)
        return
    except TimeoutError:
        repo.record_failure(session, message, f"reading the message took over {PARSE_TIME_LIMIT_SECONDS} s and was stopped")
        report.failed += 1
        return
    except Exception as exc:  # a bug of ours must not lose the mail or stop the run
        repo.record_failure(session, message, f"internal error while reading: {exc.__class__.__name__}: {exc}")
        report.failed += 1
        log.error("message %s: internal error\n%s", message.id, traceback.format_exc())
        return
    _queue(session, message, parsed, settings, report, known)


def _queue(session: Session, message: Message, parsed: parsers.ParsedMail, settings: Settings,
           report: RunReport, known: threads.KnownMail) -> None:
    """New drafts, or a linked duplicate, or a correction applied to the thread's earlier drafts."""
    original = known.same_message(message, parsed.message_id)
    if original is None and parsed.is_event_submission:
        original = known.same_events(message, parsed.events)
    if original is not None:
        repo.record_duplicate(session, message, parsed, original)
        return
    earlier = known.earlier_in_thread(message, parsed) if parsed.is_event_submission else None
    if earlier is not None:
        drafts = repo.open_drafts(session, earlier)
        corrected = [(d, e) for e in parsed.events if (d := threads.best_match(drafts, e)) is not None]
        if corrected:
            repo.record_correction(session, message, parsed)
            known.remember(message, [])  # a later reply may answer this one
            for draft, event in corrected:
                changes = {k: v for k, v in event.fields().items() if v != getattr(draft, k)}
                repo.correct_by_reply(session, draft, changes, message)
                report.updated_drafts += 1
            return
    report.new_drafts += repo.record_parsed(session, message, parsed, timezone=settings.timezone)
    known.remember(message, parsed.events if parsed.is_event_submission else [])


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Raise TimeoutError in the block after `seconds` (main thread on Unix; elsewhere no limit)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def _expired(signum, frame):  # type: ignore[no-untyped-def]
        raise TimeoutError

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _finish(session: Session, run: Run, report: RunReport, *, outcome: str, error: str | None = None) -> None:
    session.rollback()  # whatever was half-done; everything kept was committed step by step
    run = session.get(Run, run.id) or run
    run.finished_at = utcnow()
    run.outcome = outcome
    run.error = error[:4000] if error else None
    for name in ("fetched", "new_messages", "new_drafts", "updated_drafts", "failed"):
        setattr(run, name, getattr(report, name))
    session.add(run)
    session.commit()


def _public_source(source: str) -> str:
    """The source URL without any password (imap://user:pw@host -> imap://user@host)."""
    scheme, sep, rest = source.partition("://")
    if not sep or "@" not in rest.split("/", 1)[0]:
        return source
    userinfo, _, hostpart = rest.partition("@")
    return f"{scheme}://{userinfo.split(':', 1)[0]}@{hostpart}"
