"""Reviewers' decisions that can be taken back: one draft or many at once, and "Fortryd" for a while after.

`decide` applies one decision to drafts through `repo.update_draft` (history, publication, the version
check) and keeps what each draft was before in a `DecisionUndo`. `undo` puts them back, as long as
nobody has changed the draft since, within `UNDO_WINDOW`; it is recorded in the history like any change,
and a published event's SEQUENCE only ever goes up, so subscribed calendars follow.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, select

from core.model import EVENT_FIELDS
from store import repo
from store.errors import Conflict, NotFound, NotPublished
from store.models import DecisionUndo, Draft, DraftChange, DraftStatus, utcnow

UNDO_WINDOW = timedelta(minutes=10)
# what a decision may change on a draft, and so what undoing it puts back
RESTORED = (*EVENT_FIELDS, "description", "status", "published", "published_at", "reviewed_by", "reviewed_at",
            "reject_reason", "duplicate_of", "changed_by_reply")
_INSTANTS = ("published_at", "reviewed_at")


class Refusal(StrEnum):
    """Why a draft was left as it was."""

    CHANGED = "changed"  # someone changed it in between (a stale version)
    MISSING = "missing"
    INVALID = "invalid"  # the caller found it cannot take this decision (e.g. a required field missing)
    PUBLISHED = "published"  # a published event is not rejected: it is withdrawn, or its change discarded


@dataclass
class Decided:
    """What became of a decision over some drafts: those done, those refused (with why), and its undo key."""

    done: list[Draft] = field(default_factory=list)
    refused: dict[int, Refusal] = field(default_factory=dict)
    undo_key: str | None = None


def _snapshot(draft: Draft) -> dict[str, Any]:
    values = {name: getattr(draft, name) for name in RESTORED}
    values["status"] = str(draft.status)
    for name in _INSTANTS:
        values[name] = values[name].isoformat() if values[name] else None
    return values


def decide(session: Session, drafts: Iterable[tuple[int, int | None]], *, actor: str, action: str,
           status: DraftStatus, note: str | None = None, values: dict[str, Any] | None = None,
           duplicate_of: int | None = None) -> Decided:
    """Apply one decision to each (draft id, expected version or None); commit. Keeps how to undo it."""
    result = Decided()
    entries = []
    for draft_id, version in drafts:
        draft = session.get(Draft, draft_id)
        if draft is None:
            result.refused[draft_id] = Refusal.MISSING
            continue
        before = _snapshot(draft)
        try:
            if duplicate_of is not None:
                draft.duplicate_of = duplicate_of
            changed = repo.update_draft(session, draft_id, actor=actor, action=action, expected_version=version,
                                        values=values, status=status, note=note)
        except Conflict:
            session.rollback()
            result.refused[draft_id] = Refusal.CHANGED
            continue
        except NotPublished:  # rejecting a published event: it is withdrawn, or its change discarded, instead
            session.rollback()
            result.refused[draft_id] = Refusal.PUBLISHED
            continue
        result.done.append(changed)
        entries.append({"draft": draft_id, "version": changed.version, "before": before})
    if entries:
        undo = DecisionUndo(key=secrets.token_urlsafe(24), actor=actor, action=action, entries=entries)
        session.add(undo)
        session.commit()
        result.undo_key = undo.key
    return result


def latest_undo(session: Session, actor: str, now: datetime | None = None) -> DecisionUndo | None:
    """The actor's last decision that can still be taken back."""
    since = (now or utcnow()) - UNDO_WINDOW
    stmt = (select(DecisionUndo).where(DecisionUndo.actor == actor, col(DecisionUndo.undone_at).is_(None),
                                       col(DecisionUndo.at) >= since)
            .order_by(col(DecisionUndo.id).desc()).limit(1))
    return session.exec(stmt).first()


class UndoRefused(NotFound):
    """The decision cannot be taken back any more: `reason` is "expired" or "undone" (or it is not the actor's)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"this decision cannot be undone: {reason}")
        self.reason = reason


def undo(session: Session, key: str, *, actor: str, now: datetime | None = None) -> Decided:
    """Put back the drafts of the actor's decision `key`; commit. A draft changed since is left (refused)."""
    now = now or utcnow()
    record = session.exec(select(DecisionUndo).where(DecisionUndo.key == key, DecisionUndo.actor == actor)).first()
    if record is None:
        raise UndoRefused("unknown")
    if record.undone_at is not None:
        raise UndoRefused("undone")
    if record.at < now - UNDO_WINDOW:
        raise UndoRefused("expired")
    result = Decided()
    for entry in record.entries:
        draft = session.get(Draft, entry["draft"])
        if draft is None:
            result.refused[entry["draft"]] = Refusal.MISSING
            continue
        session.refresh(draft)
        if draft.version != entry["version"]:
            result.refused[draft.id] = Refusal.CHANGED
            continue
        if _restore(session, draft, entry["before"], actor=actor, action=record.action):
            result.done.append(draft)
        else:
            result.refused[draft.id] = Refusal.CHANGED
    record.undone_at = now
    session.add(record)
    session.commit()
    return result


def _restore(session: Session, draft: Draft, before: dict[str, Any], *, actor: str, action: str) -> bool:
    restored = dict(before)
    restored["status"] = DraftStatus(before["status"])
    for name in _INSTANTS:
        restored[name] = datetime.fromisoformat(before[name]) if before[name] else None
    changes = {name: [_plain(getattr(draft, name)), _plain(restored[name])] for name in (*EVENT_FIELDS, "description",
                                                                                      "status")
               if getattr(draft, name) != restored[name]}
    assignments = dict(restored)
    live = (DraftStatus.APPROVED, DraftStatus.PENDING)
    was_live = draft.published is not None and draft.status in live
    will_live = restored["published"] is not None and restored["status"] in live
    if draft.published != restored["published"] or was_live != will_live:
        # what feeds show changes again: a higher SEQUENCE (never a lower one) so calendars take the change
        assignments["sequence"] = draft.sequence + 1
        assignments["published_at"] = utcnow()
    assignments["version"] = draft.version + 1
    assignments["updated_at"] = utcnow()
    table = Draft.__table__  # type: ignore[attr-defined]
    result = session.execute(table.update().where(table.c.id == draft.id, table.c.version == draft.version)
                             .values(**assignments))
    if result.rowcount != 1:
        session.rollback()
        return False
    session.add(DraftChange(draft_pk=draft.id, actor=actor, action="undone", changes=changes,
                            note=action, message_pk=draft.message_pk))
    session.flush()
    session.refresh(draft)
    return True


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, StrEnum) else value


def confirm_fields(session: Session, draft_id: int, values: dict[str, Any], *, actor: str) -> None:
    """A person has looked at these fields and confirms their values (no longer "usikker"); history, commit."""
    draft = repo.get_draft(session, draft_id)
    confirmed = {name: [value, value] for name, value in values.items() if getattr(draft, name, None) == value}
    if confirmed:
        session.add(DraftChange(draft_pk=draft_id, actor=actor, action="checked", changes=confirmed,
                                message_pk=draft.message_pk))
        session.commit()
