"""The questions the desk's pages ask of the store: the queue, its counts, what needs attention."""

from __future__ import annotations

from collections import Counter

from sqlmodel import Session, col, select

import parsers
from review.deps import FIELD_LABELS, LOW_CONFIDENCE
from store import Draft, DraftStatus, Message, MessageStatus


def needs_attention(draft: Draft, message: Message | None) -> list[str]:
    reasons = []
    low = [FIELD_LABELS.get(k, k) for k, v in (draft.confidence or {}).items() if v < LOW_CONFIDENCE]
    if low:
        reasons.append("usikre felter: " + ", ".join(low))
    if draft.duplicate_of:
        reasons.append("mulig dublet")
    if draft.changed_by_reply:
        reasons.append("ændret af svar")
    if message is not None and message.status == MessageStatus.FAILED:
        reasons.append("fejl ved læsning")
    return reasons


def queue(session: Session, status: str | None, attention: bool, sort: str) -> list[tuple[Draft, Message, list[str]]]:
    stmt = select(Draft, Message).join(Message, Message.id == Draft.message_pk)  # type: ignore[arg-type]
    if status:
        stmt = stmt.where(Draft.status == DraftStatus(status))
    if sort == "event":
        stmt = stmt.order_by(col(Draft.start).is_(None), col(Draft.start), col(Draft.id))
    else:
        stmt = stmt.order_by(col(Message.received_at).desc(), col(Draft.id))
    rows = [(d, m, needs_attention(d, m)) for d, m in session.exec(stmt).all()]
    if attention:
        rows = [r for r in rows if r[2]]
    if not status:  # pending first
        rows.sort(key=lambda r: r[0].status != DraftStatus.PENDING)
    return rows


def status_counts(session: Session) -> Counter:
    return Counter(str(s) for s in session.exec(select(Draft.status)).all())


def reread(message: Message) -> parsers.ParsedMail | None:
    try:
        return parsers.extract(message.raw or b"")
    except Exception:  # a failed mail is shown from its raw bytes instead
        return None
