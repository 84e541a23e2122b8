"""One pass of the pipeline: new mail -> raw kept -> events read -> drafts queued.

The order is the safety: each raw message is committed before it is read, its
drafts are committed before the mailbox action runs, and a message left
half-done by a crash is read again on the next pass (up to a limit, so one
message that kills the reader cannot stall the queue forever).
"""

from __future__ import annotations

import dataclasses
import logging
import signal
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session

import parsers
from intake import Mailbox, RawMail, open_mailbox
from kontakt.errors import KontaktError, LockedError
from kontakt.locking import pipeline_lock
from kontakt.settings import Settings
from store import Draft, Message, MessageStatus, Run, ensure_schema, open_engine, session_scope
from store import repo, threads
from store.models import PurgeRecord, utcnow

log = logging.getLogger(__name__)

MAX_PARSE_ATTEMPTS = 3
T = TypeVar("T")
PARSE_TIME_LIMIT_SECONDS = 30


@dataclass
class RunReport:
    run_id: int | None = None
    fetched: int = 0
    new_messages: int = 0
    new_drafts: int = 0
    updated_drafts: int = 0
    failed: int = 0
    drafts: list[Draft] = field(default_factory=list)


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
        _read(session, message, settings, report, known=known)
    mails = mailbox.fetch_new(repo.seen_refs(session, mailbox.source))
    for batch in _batches(mails, settings.mailbox.batch_size):
        # 1. every raw message of the batch is committed before any of them is read
        kept = repo.keep_raw_many(session, [(mail.ref, mail.raw) for mail in batch], source=mailbox.source)
        stored = [(mail, message, is_new) for mail, (message, is_new) in zip(batch, kept)]
        report.fetched += len(batch)
        fresh = [(mail, message) for mail, message, is_new in stored if is_new]
        report.new_messages += len(fresh)
        # 2. read them and queue their drafts: one commit for the batch, or mail by mail if that fails
        before = dataclasses.replace(report, drafts=list(report.drafts))
        try:
            with repo.deferred_commits(session):
                for mail, message in fresh:
                    _take_one(session, mail, message, settings, report, known)
        except Exception:
            session.rollback()
            log.warning("a batch could not be stored in one go; storing its mails one by one")
            known = threads.KnownMail.load(session)  # what the failed batch remembered was rolled back
            report.__dict__.update(dataclasses.replace(before, drafts=list(before.drafts)).__dict__)
            for mail, message in fresh:
                session.refresh(message)
                if message.status == MessageStatus.RECEIVED:
                    _take_one(session, mail, message, settings, report, known)
        # 3. only now the mailbox actions
        for mail, _, _ in stored:
            if not mail.truncated:
                mailbox.apply_action(mail.ref)
        if progress:
            progress(len(batch))


def _take_one(session: Session, mail: RawMail, message: Message, settings: Settings, report: RunReport,
              known: threads.KnownMail) -> None:
    if mail.truncated:
        repo.record_failure(session, message, f"the message is {mail.size:,} bytes, over the limit of "
                            f"{settings.mailbox.max_message_bytes:,} ([mailbox] max_message_bytes); "
                            "only its start is kept and it is left in the mailbox")
        report.failed += 1
    else:
        _read(session, message, settings, report, counted=True, known=known)


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
    session.add(message)
    session.commit()
    _read(session, message, settings, RunReport())
    session.refresh(message)
    return str(message.status)


def _read(session: Session, message: Message, settings: Settings, report: RunReport, *, counted: bool = False,
          known: threads.KnownMail | None = None) -> None:
    """Parse one stored message and queue its drafts, or record why it failed.

    `counted`: the attempt was counted when the message was stored (saves a commit per new mail).
    `known`: what the run already knows of the store (loaded once per run; else loaded here).
    """
    if not counted:
        repo.start_attempt(session, message)
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
    try:
        drafts = _queue(session, message, parsed, settings, report, known or threads.KnownMail.load(session))
    except Exception as exc:  # what was read could not be stored: keep the mail, say why
        if repo.in_deferred(session):
            raise  # the batch is redone mail by mail, where this mail's failure is recorded alone
        session.rollback()
        repo.record_failure(session, message, f"what was read could not be stored: {exc.__class__.__name__}: {exc}")
        report.failed += 1
        log.error("message %s: storing the parse failed\n%s", message.id, traceback.format_exc())
        return
    report.new_drafts += len(drafts)
    report.drafts.extend(drafts)


def _queue(session: Session, message: Message, parsed: parsers.ParsedMail, settings: Settings,
           report: RunReport, known: threads.KnownMail) -> list[Draft]:
    """New drafts, or a linked duplicate, or a correction applied to the thread's earlier drafts."""
    original = known.same_message(message, parsed.message_id)
    if original is None and parsed.is_event_submission:
        original = known.same_events(message, parsed.events)
    if original is not None:
        repo.record_duplicate(session, message, parsed, original)
        return []
    earlier = threads.earlier_in_thread(session, message, parsed) if parsed.is_event_submission else None
    if earlier is not None:
        drafts = threads.drafts_of(session, earlier)
        corrected = [(d, e) for e in parsed.events if (d := threads.best_match(drafts, e)) is not None]
        if corrected:
            repo.record_parsed_headers(message, parsed)
            message.status = MessageStatus.QUEUED
            session.add(message)
            session.commit()
            for draft, event in corrected:
                changes = {k: v for k, v in event.fields().items() if v != getattr(draft, k)}
                repo.update_draft(session, draft.id, actor=repo.PIPELINE_ACTOR, action="updated_by_reply",
                                  values=changes, message_pk=message.id, changed_by_reply=True,
                                  note=f"changed by a reply: {message.message_id or message.id}")
                report.updated_drafts += 1
            return []
    drafts = repo.record_parsed(session, message, parsed, timezone=settings.timezone)
    known.remember(message, parsed.events if drafts else [])
    return drafts


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
