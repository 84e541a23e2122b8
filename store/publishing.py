"""What is published: the last approved version of each event, and the events taken back since."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from store.models import Draft, DraftStatus

LIVE = (DraftStatus.APPROVED, DraftStatus.PENDING)  # pending here = edited after approval: the old version stays out


@dataclass(frozen=True)
class PublishedEvent:
    uid: str
    sequence: int
    cancelled: bool
    fields: dict[str, Any]  # the approved snapshot: title, start, end, all_day, place, ...
    timezone: str
    last_modified: datetime | None


def published_events(session: Session, *, include_cancelled: bool = True) -> list[PublishedEvent]:
    stmt = select(Draft).where(col(Draft.published).is_not(None)).order_by(col(Draft.id))
    events = []
    for draft in session.exec(stmt).all():
        cancelled = draft.status not in LIVE
        if cancelled and not include_cancelled:
            continue
        events.append(PublishedEvent(uid=draft.uid or f"draft-{draft.id}@ledelsesugen.dk", sequence=draft.sequence,
                                     cancelled=cancelled, fields=dict(draft.published or {}), timezone=draft.timezone,
                                     last_modified=draft.published_at))
    return sorted(events, key=lambda e: (e.fields.get("start") or "", e.fields.get("title") or ""))
