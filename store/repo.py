"""What the rest of kontakt asks of the database, as functions over a Session.

Each function that changes something commits before it returns, so a crash
between two steps of the pipeline loses nothing that an earlier step kept.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy import bindparam, insert
from sqlalchemy.orm import defer
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from core.model import EVENT_FIELDS, Event, ParsedMail
from store.db import insert_skipping_existing
from store.errors import Conflict, NotFound
from store.models import Draft, DraftChange, DraftStatus, Message, MessageStatus, SeenMail, utcnow

PIPELINE_ACTOR = "kontakt"
# a decision that takes an already published event off the programme (feeds mark it cancelled)
OPEN = (DraftStatus.PENDING, DraftStatus.APPROVED)  # drafts a reply in their thread may still correct
UNPUBLISHING = (DraftStatus.WITHDRAWN, DraftStatus.REJECTED, DraftStatus.NOT_EVENT, DraftStatus.MERGED)
MAX_ERROR_CHARS = 4000


@dataclass
class PendingDraft:
    """A draft queued in the current batch and not written yet: its column values and its history.
    A reply later in the same batch can still correct it (see `correct_by_reply`)."""

    values: dict[str, Any]
    history: list[dict[str, Any]]

    def __getattr__(self, name: str) -> Any:  # reads like a Draft: draft.title, draft.start, ...
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass
class DraftBatch:
    """What is staged inside `deferred_commits`: new drafts (`written` lists them, with their ids, once
    stored) and what became of each message read."""

    pending: list[PendingDraft] = field(default_factory=list)
    written: list[PendingDraft] = field(default_factory=list)  # with their ids, once stored
    outcomes: dict[int, dict[str, Any]] = field(default_factory=dict)  # message id -> its outcome columns

    def of_message(self, message_pk: int) -> list[PendingDraft]:
        return [p for p in self.pending if p.values["message_pk"] == message_pk]


@contextmanager
def deferred_commits(session: Session) -> Iterator[DraftBatch]:
    """Inside: the recording functions only stage their changes; at the end they are written together
    (one UPDATE for the messages' outcomes, one INSERT for the drafts, one for their history) and
    committed at once. The pipeline keeps its order per batch: raws committed before any is read,
    drafts before any mailbox action. If the block raises, nothing of it is committed."""
    batch = DraftBatch()
    session.info["batch"] = batch
    try:
        yield batch
        _write_outcomes(session, batch.outcomes)
        batch.written = _write_pending(session, batch.pending)
        session.commit()
    finally:
        session.info.pop("batch", None)


# what reading a message sets on it: every outcome writes all of them, so a batch is one executemany
OUTCOME_COLUMNS = ("status", "message_id", "subject", "sender", "sent_at", "in_reply_to", "kind", "error",
                   "processed_at", "duplicate_of")


def _write_outcomes(session: Session, outcomes: dict[int, dict[str, Any]]) -> None:
    if not outcomes:
        return
    table = Message.__table__  # type: ignore[attr-defined]
    statement = (table.update().where(table.c.id == bindparam("message_pk"))
                 .values({name: bindparam(name) for name in OUTCOME_COLUMNS}))
    session.connection().execute(statement, [{"message_pk": pk, **row} for pk, row in outcomes.items()])


def _record_outcome(session: Session, message: Message, **values: Any) -> None:
    """Set what became of a message; commit (inside `deferred_commits`: staged for the batch's one UPDATE,
    the object showing the new values without the ORM flushing it row by row)."""
    batch = current_batch(session)
    if batch is None:
        for name, value in values.items():
            setattr(message, name, value)
        session.add(message)
        session.commit()
        return
    for name, value in values.items():
        set_committed_value(message, name, value)
    batch.outcomes[message.id] = {name: getattr(message, name) for name in OUTCOME_COLUMNS}


def _write_pending(session: Session, pending: list[PendingDraft]) -> list[PendingDraft]:
    """Insert the staged drafts and their history: three statements for the batch. Returns them with ids.

    The ids are read back by (message, event index) instead of INSERT … RETURNING: for RETURNING
    SQLAlchemy folds the batch into one statement of thousands of parameters, which psycopg then
    parses anew each time (about 0.2 ms a draft, more than the plain executemany and the SELECT).
    The batch's messages are new, so every draft of theirs is one of these."""
    if not pending:
        return []
    connection = session.connection()
    drafts, changes = Draft.__table__, DraftChange.__table__  # type: ignore[attr-defined]
    connection.execute(drafts.insert(), [p.values for p in pending])
    ids = {}
    message_pks = sorted({p.values["message_pk"] for p in pending})
    for start in range(0, len(message_pks), 500):  # bounded IN lists
        ids.update({(pk, index): draft_id for draft_id, pk, index in connection.execute(
            sa.select(drafts.c.id, drafts.c.message_pk, drafts.c.event_index)
            .where(drafts.c.message_pk.in_(message_pks[start:start + 500])))})
    for p in pending:
        p.values["id"] = ids[(p.values["message_pk"], p.values["event_index"])]
    connection.execute(changes.insert(), [{**entry, "draft_pk": p.values["id"]} for p in pending for entry in p.history])
    return pending


def current_batch(session: Session) -> DraftBatch | None:
    """The batch `deferred_commits` is staging in this session, if any."""
    return session.info.get("batch")


def done(session: Session) -> None:
    """Commit now; inside `deferred_commits`, leave it to the one commit at the end."""
    if current_batch(session) is None:
        session.commit()


def safe_text(value: str | None, limit: int | None = None) -> str | None:
    """Text any database accepts: lone surrogates replaced, NUL removed (PostgreSQL refuses it), cut to `limit`."""
    if value is None:
        return None
    text = value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")
    return text[:limit] if limit is not None else text


def _safe_json(value: Any) -> Any:
    if isinstance(value, str):
        return safe_text(value, 4000)
    if isinstance(value, dict):
        return {safe_text(str(k), 200): _safe_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_safe_json(v) for v in value]
    return value


def sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def seen_refs(session: Session, source: str) -> set[str]:
    """The mailbox items of this source already taken in."""
    return set(session.exec(select(SeenMail.ref).where(SeenMail.source == source)).all())


def keep_raw(session: Session, raw: bytes, *, source: str, ref: str) -> tuple[Message, bool]:
    """Store one raw message once and note the mailbox item as seen; commit. See `keep_raw_many`."""
    return keep_raw_many(session, [(ref, raw)], source=source)[0]


def keep_raw_many(session: Session, items: list[tuple[str, bytes]], *, source: str) -> list[tuple[Message, bool]]:
    """Store raw messages byte for byte, each once (by sha256), and note their mailbox items as seen; commit.

    Returns (message, is_new) per item. The same bytes from another item (delivered twice) are not
    stored again: the item points at the first copy. A new message counts one read attempt already,
    since it is read right after this commit.
    """
    digests = [sha256(raw) for _, raw in items]
    stored = {m.sha256: m for m in session.exec(select(Message).where(col(Message.sha256).in_(set(digests))))}
    fresh: dict[str, dict[str, Any]] = {}
    for (ref, raw), digest in zip(items, digests):
        if digest not in stored and digest not in fresh:
            fresh[digest] = {"sha256": digest, "raw": raw, "size": len(raw), "source": source, "source_ref": ref,
                             "attempts": 1, "status": MessageStatus.RECEIVED, "received_at": utcnow()}
    if fresh:  # one INSERT for the batch, then the rows back without their raw bytes (which are here)
        session.execute(insert(Message), list(fresh.values()))
        for message in session.exec(select(Message).options(defer(Message.raw))
                                    .where(col(Message.sha256).in_(list(fresh)))):
            set_committed_value(message, "raw", fresh[message.sha256]["raw"])
            stored[message.sha256] = message
    # the ledger, keyed by (source, ref): an item noted already (by an earlier or a concurrent run) stays as it was
    ledger: dict[str, dict[str, Any]] = {}
    for (ref, _), digest in zip(items, digests):
        ledger.setdefault(ref, {"source": source, "ref": ref, "message_pk": stored[digest].id, "seen_at": utcnow(),
                                "action_done": False})
    if ledger:
        session.execute(insert_skipping_existing(session, SeenMail.__table__, "source", "ref"),  # type: ignore[attr-defined]
                        list(ledger.values()))
    session.commit()
    results = []
    for digest in digests:  # a copy delivered twice in one batch is new only the first time
        results.append((stored[digest], fresh.pop(digest, None) is not None))
    return results


def pending_actions(session: Session, source: str) -> list[str]:
    """Items of this source taken in whose mailbox follow-up was never done (a run stopped before it)."""
    stmt = select(SeenMail.ref).where(SeenMail.source == source, col(SeenMail.action_done).is_(False))
    return list(session.exec(stmt.order_by(col(SeenMail.id))).all())


def mark_actions_done(session: Session, source: str, refs: list[str]) -> None:
    """The follow-up of these items is done (or not wanted: an over-size mail stays in the mailbox); commit.

    The refs are written into the statement as literals, so PostgreSQL plans it for them each time. As
    bound parameters the statement, the same from batch to batch, was prepared, and the plan kept was
    made while a first import's ledger was still small and had no statistics: a scan of the whole
    ledger per batch (16 ms a batch at 5,000 mails, growing with the mailbox until autovacuum analyses)."""
    table = SeenMail.__table__  # type: ignore[attr-defined]
    for start in range(0, len(refs), 500):  # bounded IN lists
        chunk = bindparam("refs", refs[start:start + 500], expanding=True, literal_execute=True)
        session.connection().execute(table.update().where(table.c.source == source, table.c.ref.in_(chunk))
                                     .values(action_done=True))
    session.commit()


def unread_messages(session: Session, max_attempts: int = 3) -> Sequence[Message]:
    """Messages stored but not read yet (new, or left behind by a crashed run)."""
    stmt = (
        select(Message)
        .where(Message.status == MessageStatus.RECEIVED, Message.attempts < max_attempts)
        .order_by(col(Message.id))
    )
    return session.exec(stmt).all()


def give_up_on_stuck(session: Session, max_attempts: int) -> int:
    """Mark failed the messages whose reading ended the worker `max_attempts` times; commit."""
    stuck = session.exec(select(Message).where(Message.status == MessageStatus.RECEIVED,
                                               Message.attempts >= max_attempts)).all()
    for message in stuck:
        record_failure(session, message, f"reading this message stopped the worker {message.attempts} times "
                                         "(a crash or a kill while reading it); it is kept for a person to look at")
    return len(stuck)


def start_attempt(session: Session, message: Message) -> None:
    """Count a parse attempt before trying, so a message that kills the reader is not retried forever."""
    message.attempts += 1
    session.add(message)
    session.commit()


def record_failure(session: Session, message: Message, error: str) -> None:
    """The message could not be read (or stored): kept, with why; commit."""
    _record_outcome(session, message, status=MessageStatus.FAILED, error=safe_text(error, MAX_ERROR_CHARS),
                    processed_at=utcnow())


def record_parsed(session: Session, message: Message, parsed: ParsedMail, *, timezone: str) -> int:
    """Fill in what the parser read and queue one draft per event; commit. Returns how many drafts.

    Inside `deferred_commits` the drafts are staged and written (and listed, with their ids, in the
    batch's `written`) when the block ends.
    """
    batch = current_batch(session)
    if batch is None:
        with deferred_commits(session):
            return record_parsed(session, message, parsed, timezone=timezone)
    if not parsed.is_event_submission:
        _record_outcome(session, message, status=MessageStatus.NOT_EVENT, **_read_headers(parsed))
        return 0
    _record_outcome(session, message, status=MessageStatus.QUEUED, **_read_headers(parsed))
    batch.pending.extend(_new_draft(message, index, event, timezone=timezone) for index, event in enumerate(parsed.events))
    return len(parsed.events)


def _storable_instant(moment: datetime | None) -> datetime | None:
    """An aware instant every database can hold, or None (a hostile Date header can say year 1 or 9999)."""
    if moment is None or moment.tzinfo is None:
        return None
    try:
        moment.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return None
    return moment if 1900 <= moment.year <= 9000 else None


def record_duplicate(session: Session, message: Message, parsed: ParsedMail, original_pk: int) -> None:
    """The same submission again: kept, linked to the first, no second draft; commit."""
    _record_outcome(session, message, status=MessageStatus.DUPLICATE, duplicate_of=original_pk, **_read_headers(parsed))


def record_correction(session: Session, message: Message, parsed: ParsedMail) -> None:
    """A reply that corrects earlier drafts (see `correct_by_reply`): read, queued, no draft of its own; commit."""
    _record_outcome(session, message, status=MessageStatus.QUEUED, **_read_headers(parsed))


def _read_headers(parsed: ParsedMail) -> dict[str, Any]:
    """What a read message keeps of its headers, in sizes every database accepts."""
    return {
        "message_id": safe_text(parsed.message_id or "", 998) or None,
        "subject": safe_text(parsed.subject or "", 2000) or "",
        "sender": safe_text(parsed.sender or "", 1000) or "",
        "sent_at": _storable_instant(parsed.date),
        "in_reply_to": safe_text(parsed.in_reply_to or "", 998) or None,
        "kind": str(parsed.kind),
        "error": None,
        "processed_at": utcnow(),
    }


def _new_draft(message: Message, index: int, event: Event, *, timezone: str) -> PendingDraft:
    """A new pending draft from one event, with its "created" history entry; the same columns every time
    (the batch is inserted with one statement)."""
    now = utcnow()
    values = {
        "message_pk": message.id, "event_index": index, "status": DraftStatus.PENDING, "version": 1,
        "timezone": timezone, "uid": f"{uuid.uuid4()}@ledelsesugen.dk", "description": None,
        "confidence": _safe_json(dict(event.confidence)), "evidence": _safe_json(dict(event.evidence)),
        "changed_by_reply": False, "created_at": now, "updated_at": now,
        **_clipped(event.fields()),
    }
    created = _history_entry(PIPELINE_ACTOR, "created", message.id,
                             {k: [None, v] for k, v in event.fields().items() if v not in (None, False)})
    return PendingDraft(values, [created])


def _history_entry(actor: str, action: str, message_pk: int | None, changes: dict[str, Any],
                   note: str | None = None) -> dict[str, Any]:
    return {"at": utcnow(), "actor": actor, "action": action, "message_pk": message_pk,
            "changes": _safe_json(changes), "note": note}


def open_drafts(session: Session, message_pk: int) -> list[Draft | PendingDraft]:
    """The message's drafts still open to corrections: the stored ones (pending or approved), or, for a
    message read in the batch `deferred_commits` is staging, those staged for it (none is stored yet)."""
    batch = current_batch(session)
    if batch is not None and message_pk in batch.outcomes:  # read in this batch: it has no stored drafts yet
        return list(batch.of_message(message_pk))
    stmt = (select(Draft).where(Draft.message_pk == message_pk, col(Draft.status).in_(OPEN))
            .order_by(col(Draft.event_index)))
    with session.no_autoflush:  # the batch's staged changes wait for its one commit
        return list(session.exec(stmt).all())


def correct_by_reply(session: Session, draft: Draft | PendingDraft, values: dict[str, Any], message: Message) -> None:
    """A later mail in the thread changes a draft: recorded with history, marked as changed by a reply."""
    note = f"changed by a reply: {message.message_id or message.id}"
    values = _clipped(values)
    if isinstance(draft, Draft):
        update_draft(session, draft.id, actor=PIPELINE_ACTOR, action="updated_by_reply", values=values,
                     message_pk=message.id, changed_by_reply=True, note=note)
        return
    changes = {k: [draft.values[k], v] for k, v in values.items() if draft.values.get(k) != v}
    draft.values.update({k: pair[1] for k, pair in changes.items()}, changed_by_reply=True,
                        version=draft.values["version"] + 1, updated_at=utcnow())
    draft.history.append(_history_entry(PIPELINE_ACTOR, "updated_by_reply", message.id, changes, note))


def _clipped(values: dict[str, Any]) -> dict[str, Any]:
    """Field values cut to their column sizes (hostile mail can carry megabyte 'titles')."""
    limits = {"start": 16, "end": 16, "registration_deadline": 16, "registration": 2000}
    return {k: (safe_text(v, limits.get(k, 1000)) if isinstance(v, str) else v) for k, v in values.items()}


def list_drafts(session: Session, status: DraftStatus | str | None = None) -> Sequence[Draft]:
    stmt = select(Draft)
    if status is not None:
        stmt = stmt.where(Draft.status == DraftStatus(status))
    return session.exec(stmt.order_by(col(Draft.id))).all()


def get_draft(session: Session, draft_id: int) -> Draft:
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise NotFound(f"no draft with id {draft_id}")
    return draft


def update_draft(
    session: Session,
    draft_id: int,
    *,
    actor: str,
    action: str,
    expected_version: int | None = None,
    values: dict[str, Any] | None = None,
    status: DraftStatus | None = None,
    note: str | None = None,
    message_pk: int | None = None,
    changed_by_reply: bool | None = None,
) -> Draft:
    """Change a draft's fields and/or status, with history, refusing a stale version; commit.

    The version check is a compare-and-set in the UPDATE itself, so two
    reviewers saving at once cannot both win, on any database.
    """
    draft = get_draft(session, draft_id)
    if expected_version is not None and draft.version != expected_version:
        raise Conflict(f"draft {draft_id} was changed by someone else (version {draft.version}, you had {expected_version})")
    changes = {}
    for name, new in (values or {}).items():
        if name not in EVENT_FIELDS and name != "description":
            raise ValueError(f"not a draft field: {name}")
        old = getattr(draft, name)
        if old != new:
            changes[name] = [old, new]
    if status is not None and status != draft.status:
        changes["status"] = [str(draft.status), str(status)]
    assignments: dict[str, Any] = {name: pair[1] for name, pair in changes.items() if name != "status"}
    if status is not None:
        assignments["status"] = status
    if status == DraftStatus.REJECTED:
        assignments["reject_reason"] = note
    if changed_by_reply is not None:
        assignments["changed_by_reply"] = changed_by_reply
    if action in ("approved", "rejected", "not_event", "merged"):
        assignments["reviewed_by"] = actor
        assignments["reviewed_at"] = utcnow()
    assignments.update(_publication_changes(draft, changes, status))
    assignments["updated_at"] = utcnow()
    assignments["version"] = draft.version + 1
    table = Draft.__table__  # type: ignore[attr-defined]
    # no autoflush: inside the pipeline's batch the rest waits for the batch's one commit
    with session.no_autoflush:
        result = session.execute(
            table.update().where(table.c.id == draft_id, table.c.version == draft.version).values(**assignments)
        )
        if result.rowcount != 1:
            session.rollback()
            raise Conflict(f"draft {draft_id} was changed by someone else while you were saving")
        session.add(DraftChange(draft_pk=draft_id, actor=actor, action=action, changes=changes, note=note,
                                message_pk=message_pk if message_pk is not None else draft.message_pk))
        done(session)
        session.refresh(draft)
    return draft


def _publication_changes(draft: Draft, changes: dict[str, list[Any]], status: DraftStatus | None) -> dict[str, Any]:
    """What publishing sees. Only an approval changes the published snapshot; an edit
    to an approved draft sends it back to review while the last approved version
    stays published; a withdrawal keeps the snapshot so feeds can say CANCELLED."""
    now = utcnow()
    fields = {name: getattr(draft, name) for name in (*EVENT_FIELDS, "description")}
    fields.update({name: pair[1] for name, pair in changes.items() if name != "status"})
    if status == DraftStatus.APPROVED:
        if draft.published == fields and draft.status != DraftStatus.WITHDRAWN:
            return {}
        return {"published": fields, "sequence": draft.sequence + 1, "published_at": now}
    if status in UNPUBLISHING and draft.published is not None and draft.status not in UNPUBLISHING:
        return {"sequence": draft.sequence + 1, "published_at": now}  # feeds now say CANCELLED
    if status is None and draft.status == DraftStatus.APPROVED and any(n != "status" for n in changes):
        return {"status": DraftStatus.PENDING}
    return {}


def history(session: Session, draft_id: int) -> Sequence[DraftChange]:
    stmt = select(DraftChange).where(DraftChange.draft_pk == draft_id).order_by(col(DraftChange.id))
    return session.exec(stmt).all()


def draft_to_dict(draft: Draft, message: Message | None = None) -> dict[str, Any]:
    """The JSON shape of a draft (`kontakt drafts --json`)."""
    return {
        "id": draft.id,
        "status": str(draft.status),
        "message_pk": draft.message_pk,
        "message_id": message.message_id if message is not None else None,
        "version": draft.version,
        **{name: getattr(draft, name) for name in EVENT_FIELDS},
        "confidence": draft.confidence,
        "evidence": draft.evidence,
        "created_at": _iso(draft.created_at),
        "updated_at": _iso(draft.updated_at),
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def messages_by_ids(session: Session, ids: Iterable[int]) -> dict[int, Message]:
    ids = list(ids)
    if not ids:
        return {}
    return {m.id: m for m in session.exec(select(Message).where(col(Message.id).in_(ids))).all()}  # type: ignore[misc]
