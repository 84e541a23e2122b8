"""The pipeline's unit of work: what reading a batch of messages decided, staged, then written at once.

    with unit_of_work(session) as work:
        work.queue_events(message, parsed, events, duplicate_of=[...], thread_pk=None, timezone=...)
        work.propose_change(message, parsed, target=(pk, 0), fields={...}, cancel=False, thread_pk=pk)
        work.set_aside(message, parsed, reason="…")
        work.failed(message, "…")
    work.written  # the new drafts, with their ids

Nothing is written until the block ends; then one UPDATE sets the messages' outcomes, one INSERT adds
the new drafts (their ids read back by message and event number), the possible-copy marks and the
proposed changes follow, then the history, and one commit. If the block raises, nothing of it is kept.
A draft staged in the batch can be named by a later message of the same batch (a reply to a mail of
the same batch proposes its change to it; a copy is marked against it), by (message pk, event index).
Outside a batch, a single message is a unit of work of one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy import bindparam
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from core.model import EVENT_FIELDS, DraftRef, Event, ParsedMail
from store.models import Draft, DraftChange, DraftStatus, Message, MessageStatus, utcnow
from store.text import clipped, safe_json, safe_text

PIPELINE_ACTOR = "kontakt"
MAX_ERROR_CHARS = 4000
MAX_BODY_CHARS = 1_000_000
# what reading a message sets on it: every outcome writes all of them, so a batch is one executemany
OUTCOME_COLUMNS = ("status", "message_id", "subject", "sender", "sent_at", "in_reply_to", "kind", "error",
                   "processed_at", "duplicate_of", "body_text", "body_html", "attachments", "warnings", "reason",
                   "thread_pk")


@dataclass
class StagedDraft:
    """A new draft of this batch, not written yet: its column values and its history."""

    values: dict[str, Any]
    history: list[dict[str, Any]]
    duplicate_ref: DraftRef | None = None

    @property
    def ref(self) -> DraftRef:
        return (self.values["message_pk"], self.values["event_index"])

    @property
    def id(self) -> int | None:
        return self.values.get("id")

    def __getattr__(self, name: str) -> Any:  # reads like a Draft: draft.title, draft.start, ...
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass
class UnitOfWork:
    session: Session
    outcomes: dict[int, dict[str, Any]] = field(default_factory=dict)  # message pk -> its outcome columns
    staged: dict[DraftRef, StagedDraft] = field(default_factory=dict)
    proposals: list[tuple[DraftRef, int, dict[str, Any]]] = field(default_factory=list)  # (target, message pk, change)
    written: list[StagedDraft] = field(default_factory=list)  # the new drafts with their ids, once committed

    # ------------------------------------------------------------------ what a message became

    def failed(self, message: Message, error: str) -> None:
        """It could not be read (or what was read could not be stored): kept, with why."""
        self._outcome(message, status=MessageStatus.FAILED, error=safe_text(error, MAX_ERROR_CHARS),
                      processed_at=utcnow())

    def set_aside(self, message: Message, parsed: ParsedMail, *, reason: str, thread_pk: int | None = None,
                  body_html: str | None = None) -> None:
        """Read, nothing to queue: listed for reviewers with the reason."""
        self._outcome(message, status=MessageStatus.NOT_EVENT, reason=safe_text(reason, 1000), thread_pk=thread_pk,
                      **_read(parsed, body_html))

    def queue_events(self, message: Message, parsed: ParsedMail, events: list[Event], *, timezone: str,
                     duplicate_of: list[DraftRef | None] | None = None, thread_pk: int | None = None,
                     body_html: str | None = None) -> list[StagedDraft]:
        """A draft per event, each marked as a possible copy of `duplicate_of[i]` where given."""
        if message.id not in self.outcomes or self.outcomes[message.id]["status"] != MessageStatus.QUEUED:
            self._outcome(message, status=MessageStatus.QUEUED, thread_pk=thread_pk, **_read(parsed, body_html))
        first = 1 + max((ref[1] for ref in self.staged if ref[0] == message.id), default=-1)
        duplicates = list(duplicate_of or []) + [None] * len(events)
        out = []
        for offset, event in enumerate(events):
            staged = _new_draft(message, first + offset, event, timezone=timezone, duplicate_ref=duplicates[offset])
            self.staged[staged.ref] = staged
            out.append(staged)
        return out

    def propose_change(self, message: Message, parsed: ParsedMail, *, target: DraftRef, thread_pk: int,
                       cancel: bool = False, fields: dict[str, dict[str, Any]] | None = None,
                       body_html: str | None = None) -> None:
        """A reply's change to a kept (or staged) draft, waiting for a reviewer; the draft itself is unchanged."""
        if message.id not in self.outcomes:
            self._outcome(message, status=MessageStatus.QUEUED, thread_pk=thread_pk, **_read(parsed, body_html))
        proposed = {name: {"current": clipped_value(name, given.get("current")),
                           "proposed": clipped_value(name, given.get("proposed")),
                           "evidence": safe_text(str(given.get("evidence") or ""), 2000)}
                    for name, given in (fields or {}).items()}
        change = {"from_message": message.id, "cancel": bool(cancel), "at": utcnow().isoformat(timespec="seconds"),
                  "fields": safe_json(proposed)}
        staged = self.staged.get(target)
        if staged is not None:
            staged.values["pending_change"] = merge_change(staged.values.get("pending_change"), change)
            staged.history.append(history_entry(PIPELINE_ACTOR, "cancel_proposed" if cancel else "change_proposed",
                                                message.id, _proposed_pairs(change)))
        else:
            self.proposals.append((target, message.id, change))

    # ------------------------------------------------------------------ writing it

    def commit(self) -> None:
        connection = self.session.connection()
        self._write_outcomes(connection)
        self.written = self._write_drafts(connection)
        self._write_copies_and_proposals(connection)
        self.session.commit()

    def _outcome(self, message: Message, **values: Any) -> None:
        for name, value in values.items():  # the object shows the new values; the batch writes them
            set_committed_value(message, name, value)
        self.outcomes[message.id] = {name: getattr(message, name) for name in OUTCOME_COLUMNS}

    def _write_outcomes(self, connection: sa.Connection) -> None:
        if not self.outcomes:
            return
        table = Message.__table__  # type: ignore[attr-defined]
        statement = (table.update().where(table.c.id == bindparam("message_pk"))
                     .values({name: bindparam(name) for name in OUTCOME_COLUMNS}))
        connection.execute(statement, [{"message_pk": pk, **row} for pk, row in self.outcomes.items()])

    def _write_drafts(self, connection: sa.Connection) -> list[StagedDraft]:
        """Insert the staged drafts: one statement, then their ids read back by (message, event index)
        instead of INSERT … RETURNING (SQLAlchemy folds that into one statement of thousands of
        parameters, which psycopg parses anew each time: about 0.2 ms a draft)."""
        staged = list(self.staged.values())
        if not staged:
            return []
        drafts = Draft.__table__  # type: ignore[attr-defined]
        connection.execute(drafts.insert(), [s.values for s in staged])
        ids = draft_ids(connection, [s.ref for s in staged])
        for s in staged:
            s.values["id"] = ids[s.ref]
        return staged

    def _write_copies_and_proposals(self, connection: sa.Connection) -> None:
        drafts, history = Draft.__table__, DraftChange.__table__  # type: ignore[attr-defined]
        wanted = [s.duplicate_ref for s in self.staged.values() if s.duplicate_ref] + [t for t, _, _ in self.proposals]
        ids = draft_ids(connection, [ref for ref in wanted if ref not in self.staged])
        ids.update({ref: s.id for ref, s in self.staged.items()})
        copies = [{"draft_id": s.id, "duplicate_of": ids.get(s.duplicate_ref)} for s in self.staged.values()
                  if s.duplicate_ref and ids.get(s.duplicate_ref) not in (None, s.id)]
        if copies:
            connection.execute(drafts.update().where(drafts.c.id == bindparam("draft_id"))
                               .values(duplicate_of=bindparam("duplicate_of")), copies)
        entries = [{**entry, "draft_pk": s.id} for s in self.staged.values() for entry in s.history]
        for copy in copies:
            entries.append({**history_entry(PIPELINE_ACTOR, "possible_duplicate", None, {},
                                            f"ligner kladde {copy['duplicate_of']}"), "draft_pk": copy["draft_id"]})
        for target, message_pk, change in self.proposals:
            draft_id = ids.get(target)
            if draft_id is None:  # the draft went away meanwhile (merged, deleted): the mail stays listed
                continue
            current = connection.execute(sa.select(drafts.c.pending_change).where(drafts.c.id == draft_id)).scalar()
            connection.execute(drafts.update().where(drafts.c.id == draft_id)
                               .values(pending_change=merge_change(current, change), updated_at=utcnow()))
            entries.append({**history_entry(PIPELINE_ACTOR, "cancel_proposed" if change["cancel"] else "change_proposed",
                                            message_pk, _proposed_pairs(change)), "draft_pk": draft_id})
        if entries:
            connection.execute(history.insert(), entries)


@contextmanager
def unit_of_work(session: Session) -> Iterator[UnitOfWork]:
    """Stage inside the block; written and committed together at its end, or not at all."""
    work = UnitOfWork(session)
    with session.no_autoflush:
        yield work
        work.commit()


def draft_ids(connection: sa.Connection, refs: list[DraftRef]) -> dict[DraftRef, int]:
    """Draft ids by (message pk, event index), a bounded IN list at a time."""
    drafts = Draft.__table__  # type: ignore[attr-defined]
    wanted = set(refs)
    message_pks = sorted({pk for pk, _ in wanted})
    found: dict[DraftRef, int] = {}
    for start in range(0, len(message_pks), 500):
        for draft_id, pk, index in connection.execute(
                sa.select(drafts.c.id, drafts.c.message_pk, drafts.c.event_index)
                .where(drafts.c.message_pk.in_(message_pks[start:start + 500]))):
            if (pk, index) in wanted:
                found[(pk, index)] = draft_id
    return found


def merge_change(current: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """A second reply before a reviewer looked: its fields join the first's (the later value wins)."""
    if not current:
        return new
    fields = dict(current.get("fields") or {})
    for name, change in (new.get("fields") or {}).items():
        fields[name] = {**change, "current": fields.get(name, change).get("current", change.get("current"))}
    return {**new, "cancel": bool(current.get("cancel")) or bool(new.get("cancel")), "fields": fields}


def _proposed_pairs(change: dict[str, Any]) -> dict[str, list[Any]]:
    pairs = {name: [c.get("current"), c.get("proposed")] for name, c in change.get("fields", {}).items()}
    if change.get("cancel"):
        pairs["status"] = ["", "aflysning foreslået"]
    return pairs


def clipped_value(name: str, value: Any) -> Any:
    return clipped({name: value})[name] if isinstance(value, str) else value


def history_entry(actor: str, action: str, message_pk: int | None, changes: dict[str, Any],
                  note: str | None = None) -> dict[str, Any]:
    return {"at": utcnow(), "actor": actor, "action": action, "message_pk": message_pk,
            "changes": safe_json(changes), "note": note}


def _new_draft(message: Message, index: int, event: Event, *, timezone: str, duplicate_ref: DraftRef | None) -> StagedDraft:
    """A new pending draft from one event, with its "created" history entry; the same columns every time
    (the batch is inserted with one statement)."""
    now = utcnow()
    values = {
        "message_pk": message.id, "event_index": index, "status": DraftStatus.PENDING, "version": 1,
        "timezone": timezone, "uid": f"{uuid.uuid4()}@ledelsesugen.dk", "description": None,
        "confidence": safe_json(dict(event.confidence)), "evidence": safe_json(dict(event.evidence)),
        "origin": safe_json(dict(event.origin)), "missing": safe_json(list(event.missing)),
        "pending_change": None, "changed_by_reply": False, "created_at": now, "updated_at": now,
        **clipped(event.fields()),
    }
    created = history_entry(PIPELINE_ACTOR, "created", message.id,
                            {k: [None, v] for k, v in event.fields().items() if v not in (None, False)})
    return StagedDraft(values, [created], duplicate_ref)


def _read(parsed: ParsedMail, body_html: str | None) -> dict[str, Any]:
    """What a read message keeps of its headers and of what the desk shows, in sizes every database accepts."""
    return {
        "message_id": safe_text(parsed.message_id or "", 998) or None,
        "subject": safe_text(parsed.subject or "", 2000) or "",
        "sender": safe_text(parsed.sender or "", 1000) or "",
        "sent_at": storable_instant(parsed.date),
        "in_reply_to": safe_text(parsed.in_reply_to or "", 998) or None,
        "kind": str(parsed.kind),
        "error": None,
        "processed_at": utcnow(),
        "body_text": safe_text(parsed.text or "", MAX_BODY_CHARS),
        "body_html": safe_text(body_html, MAX_BODY_CHARS) if body_html else None,
        "attachments": safe_json([{"filename": a.filename, "content_type": a.content_type, "size": a.size,
                                   "note": a.note, "read": a.text is not None} for a in parsed.attachments[:50]]),
        "warnings": safe_json(list(parsed.warnings[:50])),
    }


def storable_instant(moment: datetime | None) -> datetime | None:
    """An aware instant every database can hold, or None (a hostile Date header can say year 1 or 9999)."""
    if moment is None or moment.tzinfo is None:
        return None
    try:
        moment.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return None
    return moment if 1900 <= moment.year <= 9000 else None


__all__ = ["UnitOfWork", "StagedDraft", "unit_of_work", "PIPELINE_ACTOR", "EVENT_FIELDS"]
