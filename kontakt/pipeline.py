"""One pass of the pipeline: new mail -> raw kept -> read -> decided -> queued or set aside.

The order is the safety: each raw message is committed before it is read, what reading it
decided (drafts, a proposed change, the reason it was set aside) is committed before the
mailbox action runs, and a message left half-done by a crash is read again on the next pass
(up to a limit, so one message that kills the run cannot stall the queue forever). Reading
itself happens in a worker process with a hard time and memory limit (kontakt/reader.py).

The steps: `intake` takes mail in, `store.repo.keep_raw_many` keeps it, `kontakt.reader` reads
it with `parsers`, `triage.decide` says what it means for what is kept, and
`store.work.unit_of_work` writes that.
"""

from __future__ import annotations

import logging
import traceback
from contextlib import closing
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import NamedTuple, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session

import triage
from core.errors import KontaktError, LockedError
from core.model import EVENT_FIELDS, KeptDraft, KeptMessage, ParsedMail
from core.settings import Settings, redacted
from intake import Mailbox, RawMail, open_mailbox
from kontakt.locking import pipeline_lock
from kontakt.reader import Reader
from kontakt.warmup import start_up_done
from review.mailview import sanitised_html
from store import Message, MessageStatus, Run, ensure_schema, open_engine, repo, session_scope
from store.models import PurgeRecord, utcnow
from store.work import UnitOfWork, unit_of_work

log = logging.getLogger(__name__)

MAX_PARSE_ATTEMPTS = 3
T = TypeVar("T")


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
    updated_drafts: int = 0  # drafts a reply proposes to change (or to cancel)
    set_aside: int = 0
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
            session.add(Run(trigger=trigger, source=redacted(settings.mailbox.source), outcome="skipped",
                            finished_at=utcnow(), error=str(exc)))
            session.commit()
        raise


def _run_locked(settings: Settings, trigger: str, progress: Callable[[int], None] | None) -> RunReport:
    with session_scope(open_store(settings)) as session:
        run = Run(trigger=trigger, source=redacted(settings.mailbox.source))
        session.add(run)
        session.commit()
        if settings.notify.enabled:  # mail taken in from now on may be answered; what came before never is
            from publish.notify import note_enabled

            note_enabled(session)
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
    known = load_known(session)
    with Reader(tz=settings.timezone, limits=settings.reader) as reader:
        for message in repo.unread_messages(session, MAX_PARSE_ATTEMPTS):
            reader.start()
            repo.start_attempt(session, message)
            known = _store_alone(session, message, None, reader, settings, report, known)
        _follow_up(session, mailbox, repo.pending_actions(session, mailbox.source))
        mails = mailbox.fetch_new(repo.seen_refs(session, mailbox.source))
        for batch in _batches(mails, settings.mailbox.batch_size):
            reader.start()  # loads the extractor while the batch is stored (a run with no new mail never does)
            start_up_done()
            # 1. every raw message of the batch is committed before any of them is read
            # (a new message counts its read attempt when stored: see repo.keep_raw_many)
            kept = repo.keep_raw_many(session, [(mail.ref, mail.raw) for mail in batch], source=mailbox.source)
            report.fetched += len(batch)
            fresh = [(message, mail) for mail, (message, is_new) in zip(batch, kept) if is_new]
            report.new_messages += len(fresh)
            # 2. read and decide them; one commit for the batch, or mail by mail if that fails
            try:
                _store_together(session, fresh, reader, settings, report, known)
            except Exception:
                session.rollback()
                log.warning("a batch could not be stored in one go; storing its mails one by one")
                known = load_known(session)  # what the failed batch remembered was rolled back
                for message, mail in fresh:
                    session.refresh(message)
                    if message.status == MessageStatus.RECEIVED:
                        known = _store_alone(session, message, mail, reader, settings, report, known)
            # 3. only now the mailbox action, for the batch at once (an over-size mail stays where it is)
            _follow_up(session, mailbox, [mail.ref for mail in batch if not mail.truncated],
                       not_wanted=[mail.ref for mail in batch if mail.truncated])
            if progress:
                progress(len(batch))


def load_known(session: Session) -> triage.Known:
    """What the store holds that a new mail may answer or repeat, loaded once per run."""
    return triage.Known.of(*repo.known_state(session))


def _follow_up(session: Session, mailbox: Mailbox, refs: list[str], *, not_wanted: Sequence[str] = ()) -> None:
    """The mailbox action for items whose outcome is committed (their drafts queued, or the mail listed as
    set aside), noted in the ledger once done, so a run that stops in between leaves it to the next run."""
    if refs:
        mailbox.apply_action(refs)
    if refs or not_wanted:
        repo.mark_actions_done(session, mailbox.source, [*refs, *not_wanted])


def _store_together(session: Session, items: list[tuple[Message, RawMail | None]], reader: Reader, settings: Settings,
                    report: RunReport, known: triage.Known, *, as_event: bool = False) -> None:
    """Read the messages and write what they hold in one unit of work; the report counts it once committed."""
    tally = RunReport()
    whole = [message for message, mail in items if mail is None or not mail.truncated]
    # the worker reads the next mail while this process decides and stages the one before; closed at once
    # if staging fails, so no answer still due is taken for the mail read next
    with closing(reader.read_many((message.raw or b"", as_event) for message in whole)) as results, \
            unit_of_work(session) as work:
        for message, mail in items:
            if mail is not None and mail.truncated:
                work.failed(message, f"Mailen fylder {mail.size:,} bytes, over grænsen på "
                            f"{settings.mailbox.max_message_bytes:,} ([mailbox] max_message_bytes). Kun begyndelsen "
                            "er gemt, og mailen er ladt blive i postkassen.".replace(",", "."))
                tally.failed += 1
                continue
            result = next(results)
            if result.parsed is None:
                work.failed(message, result.error or "Mailen kunne ikke læses.")
                tally.failed += 1
                log.warning("message %s (%s) could not be read: %s", message.id, message.message_id, result.error)
                continue
            _decide(work, message, result.parsed, settings, tally, known, as_event=as_event)
    report.new_drafts += tally.new_drafts
    report.updated_drafts += tally.updated_drafts
    report.set_aside += tally.set_aside
    report.failed += tally.failed
    report.drafts.extend(NewDraft(d.id, d.title, d.start, d.place, d.confidence) for d in work.written)


def _decide(work: UnitOfWork, message: Message, parsed: ParsedMail, settings: Settings, report: RunReport,
            known: triage.Known, *, as_event: bool) -> None:
    """Ask triage what the mail means and stage it: new drafts, a proposed change, or set aside."""
    decision = triage.decide(parsed, pk=message.id, known=known, as_event=as_event)
    html = sanitised_html(parsed.html) if parsed.html else None
    sender = parseaddr(parsed.sender or "")[1].lower() or None
    thread = decision.thread_pk
    staged = []
    if isinstance(decision, triage.SetAside):
        work.set_aside(message, parsed, reason=decision.reason, thread_pk=thread, body_html=html)
        report.set_aside += 1
    if isinstance(decision, triage.Proposals):
        for change in decision.changes:
            work.propose_change(message, parsed, target=change.target, thread_pk=decision.thread_pk, cancel=change.cancel,
                                fields={name: vars(c) for name, c in change.fields.items()}, body_html=html)
            report.updated_drafts += 1
    new = decision if isinstance(decision, triage.NewEvents) else getattr(decision, "new", None)
    if new is not None:
        staged = work.queue_events(message, parsed, new.events, timezone=settings.timezone,
                                   duplicate_of=new.duplicate_of, thread_pk=thread, body_html=html)
        report.new_drafts += len(staged)
    known.remember(KeptMessage(pk=message.id, message_id=parsed.message_id, sender_address=sender,
                               subject=parsed.subject or "", thread_pk=thread, submitted=bool(staged)),
                   [KeptDraft(ref=d.ref, status="pending", fields={n: d.values.get(n) for n in EVENT_FIELDS},
                              sender_address=sender) for d in staged])


def _store_alone(session: Session, message: Message, mail: RawMail | None, reader: Reader, settings: Settings,
                 report: RunReport, known: triage.Known, *, as_event: bool = False) -> triage.Known:
    """One message in its own unit of work; if what was read cannot be stored, the message keeps the error.
    Returns what the store knows after it (reloaded when the transaction was rolled back)."""
    try:
        _store_together(session, [(message, mail)], reader, settings, report, known, as_event=as_event)
        return known
    except Exception as exc:
        session.rollback()
        repo.record_failure(session, message, "Det læste kunne ikke gemmes i databasen "
                                              f"({exc.__class__.__name__}: {str(exc)[:300]}).")
        report.failed += 1
        log.error("message %s: storing what was read failed\n%s", message.id, traceback.format_exc())
        return load_known(session)


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def reread_message(session: Session, message: Message, settings: Settings, *, as_event: bool = False) -> str:
    """Read a stored message again (after a fix, or because a reviewer says it is an event); returns its
    new status. Only mail that queued nothing is read again: its earlier outcome had no drafts to repeat."""
    if message.status not in (MessageStatus.FAILED, MessageStatus.NOT_EVENT, MessageStatus.RECEIVED):
        return str(message.status)
    message.status = MessageStatus.RECEIVED
    message.attempts = 0
    message.error = None
    message.reason = None
    message.closed_at = message.closed_by = None
    repo.start_attempt(session, message)
    with Reader(tz=settings.timezone, limits=settings.reader) as reader:
        _store_alone(session, message, None, reader, settings, RunReport(), load_known(session), as_event=as_event)
    session.refresh(message)
    return str(message.status)


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


