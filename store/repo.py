"""What the rest of kontakt asks of the database, as functions over a Session.

Each function that changes something commits before it returns, so a crash
between two steps of the pipeline loses nothing that an earlier step kept.
What reading a batch of mail decided is written through `store.work.unit_of_work`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert
from sqlalchemy.orm import defer
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from core.model import EVENT_FIELDS, KeptDraft, KeptMessage
from store.db import insert_skipping_existing
from store.errors import Conflict, NotFound, NotPublished
from store.models import Draft, DraftChange, DraftStatus, Message, MessageStatus, Notification, SeenMail, utcnow
from store.work import unit_of_work

OPEN = (DraftStatus.PENDING, DraftStatus.APPROVED)  # drafts a reply in their thread may still change
# a decision that takes an already published event off the programme (feeds mark it cancelled)
UNPUBLISHING = (DraftStatus.WITHDRAWN, DraftStatus.REJECTED, DraftStatus.NOT_EVENT, DraftStatus.MERGED)


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
        record_failure(session, message, f"Læsningen af mailen blev afbrudt {message.attempts} gange (et nedbrud "
                                         "eller et stop under læsningen). Mailen er gemt, så en person kan se på den.")
    return len(stuck)


def record_failure(session: Session, message: Message, error: str) -> None:
    """The message could not be read (or stored): kept, with why; commit."""
    with unit_of_work(session) as work:
        work.failed(message, error)


def start_attempt(session: Session, message: Message) -> None:
    """Count a parse attempt before trying, so a message that kills the reader is not retried forever."""
    message.attempts += 1
    session.add(message)
    session.commit()


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
    extra: dict[str, Any] | None = None,
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
    if status in (DraftStatus.REJECTED, DraftStatus.NOT_EVENT) and draft.published is not None and draft.status in OPEN:
        # subscribers would see it cancelled without a word: a published event is withdrawn, or its change discarded
        raise NotPublished(f"draft {draft_id} is a published event: discard its change or withdraw it instead of "
                           "rejecting it")
    if status is not None and status != draft.status:
        changes["status"] = [str(draft.status), str(status)]
    assignments: dict[str, Any] = {name: pair[1] for name, pair in changes.items() if name != "status"}
    if status is not None:
        assignments["status"] = status
    if status == DraftStatus.REJECTED:
        assignments["reject_reason"] = note
    assignments.update(extra or {})  # columns beside the fields: evidence, pending_change, ...
    if action in ("approved", "rejected", "not_event", "merged", "withdrawn", "change_accepted"):
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
        session.commit()
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


def accept_change(session: Session, draft_id: int, *, actor: str, fields: Sequence[str] | None = None,
                  expected_version: int | None = None) -> Draft:
    """Take a reply's proposed change, all of it or the named fields; commit.

    On a published event the accepted change is published at once (a new SEQUENCE for calendars);
    an accepted cancellation withdraws it (STATUS:CANCELLED). The rest of the proposal is dropped:
    the history keeps what was proposed and what was taken."""
    draft = get_draft(session, draft_id)
    change = draft.pending_change
    if not change:
        raise NotFound(f"draft {draft_id} has no proposed change")
    proposed = change.get("fields") or {}
    chosen = list(proposed) if fields is None else list(fields)
    unknown = [name for name in chosen if name not in proposed]
    if unknown:
        raise NotFound(f"the change to draft {draft_id} proposes no {', '.join(unknown)} (it proposes "
                       f"{', '.join(proposed) or 'a cancellation'})")
    values = {name: proposed[name].get("proposed") for name in chosen}
    evidence, origin, confidence = dict(draft.evidence or {}), dict(draft.origin or {}), dict(draft.confidence or {})
    for name in chosen:
        evidence[name] = str(proposed[name].get("evidence") or "")
        origin[name], confidence[name] = "reply", 1.0
    extra = {"pending_change": None, "evidence": evidence, "origin": origin, "confidence": confidence}
    note = f"ændring fra mail {change.get('from_message')}"
    if change.get("cancel") and fields is None:
        return update_draft(session, draft_id, actor=actor, action="withdrawn", expected_version=expected_version,
                            status=DraftStatus.WITHDRAWN, note=f"aflyst af arrangøren ({note})",
                            message_pk=change.get("from_message"), extra=extra)
    status = DraftStatus.APPROVED if draft.status == DraftStatus.APPROVED else None
    return update_draft(session, draft_id, actor=actor, action="change_accepted", expected_version=expected_version,
                        values=values, status=status, note=note, message_pk=change.get("from_message"), extra=extra)


def dismiss_change(session: Session, draft_id: int, *, actor: str, expected_version: int | None = None) -> Draft:
    """Drop a reply's proposed change; the draft (and what is published) stays as it was; commit."""
    draft = get_draft(session, draft_id)
    if not draft.pending_change:
        raise NotFound(f"draft {draft_id} has no proposed change")
    return update_draft(session, draft_id, actor=actor, action="change_dismissed", expected_version=expected_version,
                        note=f"ændring fra mail {draft.pending_change.get('from_message')} afvist",
                        message_pk=draft.pending_change.get("from_message"), extra={"pending_change": None})


def keep_both(session: Session, draft_id: int, *, actor: str, expected_version: int | None = None) -> Draft:
    """A reviewer says a draft marked as a possible copy is an event of its own; commit."""
    draft = get_draft(session, draft_id)
    if draft.duplicate_of is None:
        raise NotFound(f"draft {draft_id} is not marked as a possible duplicate")
    return update_draft(session, draft_id, actor=actor, action="kept_both", expected_version=expected_version,
                        note=f"ikke en dublet af kladde {draft.duplicate_of}", extra={"duplicate_of": None})


def known_state(session: Session) -> tuple[list[KeptMessage], list[KeptDraft], dict[str, int]]:
    """What a new mail may answer or repeat, as plain values: the messages read, the open drafts, and the
    Message-IDs of kontakt's own mail (receipts, decisions) with the message each answered."""
    from email.utils import parseaddr

    messages, addresses = [], {}
    rows = session.exec(select(Message.id, Message.message_id, Message.sender, Message.subject, Message.thread_pk,
                               Message.status).where(col(Message.status).in_((MessageStatus.QUEUED, MessageStatus.NOT_EVENT,
                                                                              MessageStatus.DUPLICATE))))
    submitted = set(session.exec(select(Draft.message_pk).distinct()).all())
    for pk, message_id, sender, subject, thread_pk, _ in rows:
        address = parseaddr(sender or "")[1].lower() or None
        addresses[pk] = address
        messages.append(KeptMessage(pk=pk, message_id=message_id, sender_address=address, subject=subject or "",
                                    thread_pk=thread_pk, submitted=pk in submitted))
    drafts = []
    for draft in session.exec(select(Draft).where(col(Draft.status).in_(OPEN))):
        drafts.append(KeptDraft(ref=(draft.message_pk, draft.event_index), status=str(draft.status),
                                fields={name: getattr(draft, name) for name in EVENT_FIELDS},
                                published=draft.published is not None, sender_address=addresses.get(draft.message_pk)))
    own = {mid: pk for mid, pk in session.exec(select(Notification.message_id, Notification.message_pk)
                                               .where(col(Notification.message_id).is_not(None),
                                                      col(Notification.message_pk).is_not(None)))}
    return messages, drafts, own


def list_messages(session: Session, *, kind: str | None = None, status: MessageStatus | str | None = None) -> Sequence[Message]:
    stmt = select(Message).options(defer(Message.raw), defer(Message.body_html))
    if kind:
        stmt = stmt.where(Message.kind == kind)
    if status:
        stmt = stmt.where(Message.status == MessageStatus(status))
    return session.exec(stmt.order_by(col(Message.id))).all()


def set_aside(session: Session, *, closed: bool = False) -> Sequence[Message]:
    """Mail read that queued nothing (its `reason` says why), newest first; closed ones only when asked."""
    stmt = (select(Message).options(defer(Message.raw), defer(Message.body_html))
            .where(Message.status == MessageStatus.NOT_EVENT))
    stmt = stmt.where(col(Message.closed_at).is_not(None) if closed else col(Message.closed_at).is_(None))
    return session.exec(stmt.order_by(col(Message.received_at).desc(), col(Message.id).desc())).all()


def close_set_aside(session: Session, message_id: int, *, actor: str) -> Message:
    """A reviewer has seen a set-aside mail and closes it ("Luk"); commit."""
    message = session.get(Message, message_id)
    if message is None or message.status != MessageStatus.NOT_EVENT:
        raise NotFound(f"no set-aside message with id {message_id}")
    message.closed_at, message.closed_by = utcnow(), actor
    session.add(message)
    session.commit()
    return message


def drafts_of(session: Session, message_ids: Iterable[int]) -> dict[int, list[int]]:
    """The draft ids of each message."""
    ids = list(message_ids)
    found: dict[int, list[int]] = {pk: [] for pk in ids}
    for start in range(0, len(ids), 500):
        for draft_id, pk in session.exec(select(Draft.id, Draft.message_pk)
                                         .where(col(Draft.message_pk).in_(ids[start:start + 500]))
                                         .order_by(col(Draft.id))):
            found[pk].append(draft_id)
    return found


def message_to_dict(message: Message, draft_ids: list[int]) -> dict[str, Any]:
    """The JSON shape of a message (`kontakt messages --json`)."""
    return {"id": message.id, "message_id": message.message_id, "subject": message.subject, "sender": message.sender,
            "kind": message.kind, "status": str(message.status), "reason": message.reason or message.error,
            "thread": message.thread_pk, "received_at": _iso(message.received_at), "sent_at": _iso(message.sent_at),
            "closed": message.closed_at is not None, "drafts": draft_ids}


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
        "origin": draft.origin,
        "missing": draft.missing,
        "duplicate_of": draft.duplicate_of,
        "pending_change": draft.pending_change,
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
