"""What is published: the last approved version of each event, and the events taken back since.

Also the two decisions that exist only for a published event: discarding a change to it (the
published version stays, as it is) and withdrawing it (subscribers are told it is cancelled).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.model import EVENT_FIELDS
from store import repo
from store.errors import NotPublished
from store.models import Draft, DraftStatus

LIVE = (DraftStatus.APPROVED, DraftStatus.PENDING)  # pending here = edited after approval: the old version stays out
PUBLISHED_FIELDS = (*EVENT_FIELDS, "description")


@dataclass(frozen=True)
class PublishedEvent:
    uid: str
    sequence: int
    cancelled: bool
    fields: dict[str, Any]  # the approved snapshot: title, start, end, all_day, place, ...
    timezone: str
    last_modified: datetime | None  # the last published change: approval, or the withdrawal when cancelled


def published_events(session: Session, *, include_cancelled: bool = True) -> list[PublishedEvent]:
    # the columns publishing reads, not whole drafts (their evidence and confidence are most of a row)
    stmt = (select(Draft.id, Draft.uid, Draft.sequence, Draft.status, Draft.published, Draft.timezone,
                   Draft.published_at).where(col(Draft.published).is_not(None)).order_by(col(Draft.id)))
    events = []
    for draft_id, uid, sequence, status, published, zone, published_at in session.exec(stmt).all():
        cancelled = status not in LIVE
        if cancelled and not include_cancelled:
            continue
        events.append(PublishedEvent(uid=uid or f"draft-{draft_id}@ledelsesugen.dk", sequence=sequence,
                                     cancelled=cancelled, fields=dict(published or {}), timezone=zone,
                                     last_modified=published_at))
    return sorted(events, key=lambda e: (e.fields.get("start") or "", e.fields.get("title") or ""))


def last_change(session: Session) -> datetime | None:
    """When anything published last changed (an approval, a withdrawal): what feeds' Last-Modified says."""
    return publication_stamp(session)[0]


def publication_stamp(session: Session) -> tuple[datetime | None, int]:
    """(the last published change, how many events are published): changes whenever anything published
    does, since every change to a published snapshot or its status sets published_at. One cheap query,
    for answering a poll without building the feed."""
    latest, count = session.exec(select(func.max(Draft.published_at), func.count())
                                 .where(col(Draft.published).is_not(None))).one()
    return latest, count


def has_published_version(draft: Draft) -> bool:
    """A published event still live (approved, or pending with a change to it): in the feeds as CONFIRMED."""
    return draft.published is not None and draft.status in LIVE


def has_unpublished_change(draft: Draft) -> bool:
    """A published, live event whose working fields differ from what is published (an edit or a reply)."""
    if not has_published_version(draft):
        return False
    return any(getattr(draft, name) != draft.published.get(name) for name in PUBLISHED_FIELDS)


def discard_changes(session: Session, draft_id: int, *, actor: str, expected_version: int | None = None,
                    note: str | None = None) -> Draft:
    """Throw away the unapproved change to a published event; commit.

    The working fields go back to the published snapshot and the status back to approved; what is
    published (its fields, SEQUENCE, the feeds' Last-Modified) does not change. History: "change_discarded".
    """
    draft = repo.get_draft(session, draft_id)
    if not has_unpublished_change(draft) and not (has_published_version(draft) and draft.status == DraftStatus.PENDING):
        raise NotPublished(f"draft {draft_id} has no change to a published event to discard")
    published = {name: draft.published.get(name) for name in PUBLISHED_FIELDS}  # type: ignore[union-attr]
    return repo.update_draft(session, draft_id, actor=actor, action="change_discarded", expected_version=expected_version,
                             values=published, status=DraftStatus.APPROVED, note=note, extra={"changed_by_reply": False})


def withdraw(session: Session, draft_id: int, *, actor: str, expected_version: int | None = None,
             note: str | None = None) -> Draft:
    """Take a published event off the programme; commit. Feeds say STATUS:CANCELLED (SEQUENCE raised),
    the programme shows it as "Aflyst" for a while. History: "withdrawn"."""
    draft = repo.get_draft(session, draft_id)
    if not has_published_version(draft):
        raise NotPublished(f"draft {draft_id} is not a published event, so it cannot be withdrawn")
    return repo.update_draft(session, draft_id, actor=actor, action="withdrawn", expected_version=expected_version,
                             status=DraftStatus.WITHDRAWN, note=note)


