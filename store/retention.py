"""GDPR retention: raw mail and personal fields are deleted once they are no longer needed.

A message is past retention `days` after its last event ended, or after its
drafts were decided (rejected, not an event, merged), or, with no drafts at all,
after it was received. Its raw bytes, subject and sender go; drafts that were
never published lose their personal fields and evidence; published events stay
as published (they are public). An anonymous count is kept (PurgeRecord).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session, select

from store.models import Draft, DraftChange, DraftStatus, Message, MessageStatus, PurgeRecord, utcnow

PERSONAL_FIELDS = ("title", "place", "registration", "organizer", "audience", "description", "reject_reason")


def purge_expired(session: Session, days: int, *, now: datetime | None = None) -> PurgeRecord:
    now = now or utcnow()
    cutoff = now - timedelta(days=days)
    messages = session.exec(select(Message).where(Message.status != MessageStatus.PURGED,
                                                  Message.received_at < cutoff)).all()
    purged = scrubbed = 0
    for message in messages:
        drafts = session.exec(select(Draft).where(Draft.message_pk == message.id)).all()
        if not all(_past(d, cutoff) for d in drafts):
            continue
        for draft in drafts:
            scrubbed += _scrub(session, draft)
        message.raw = None
        message.subject = ""
        message.sender = ""
        message.error = None
        message.body_text = message.body_html = message.reason = None  # what the desk showed of it
        message.attachments, message.warnings = [], []
        message.status = MessageStatus.PURGED
        session.add(message)
        purged += 1
    record = PurgeRecord(at=now, messages=purged, drafts_scrubbed=scrubbed)
    session.add(record)
    session.commit()
    return record


def _past(draft: Draft, cutoff: datetime) -> bool:
    if draft.status in (DraftStatus.PENDING,) or draft.pending_change:
        return False  # still waiting for a reviewer: never purged under them
    if draft.status in (DraftStatus.APPROVED, DraftStatus.WITHDRAWN):
        last = draft.end or draft.start
        return bool(last) and date.fromisoformat(last[:10]) < cutoff.date()
    return draft.reviewed_at is None or draft.reviewed_at < cutoff


def _scrub(session: Session, draft: Draft) -> int:
    draft.evidence = {}
    draft.pending_change = None  # a reply's proposal quotes the mail
    if draft.status not in (DraftStatus.APPROVED, DraftStatus.WITHDRAWN):
        for name in PERSONAL_FIELDS:
            setattr(draft, name, None)
    session.add(draft)
    for change in session.exec(select(DraftChange).where(DraftChange.draft_pk == draft.id)).all():
        change.changes = {name: ["(slettet)", "(slettet)"] for name in change.changes}
        change.note = None
        session.add(change)
    return 1
