"""Recognising mail the store has seen in another form: the same message again,
the same event again, or a reply in a thread that changes an earlier event."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlmodel import Session, col, select

from parsers.model import Event, ParsedMail
from store.models import Draft, DraftStatus, Message, MessageStatus

REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|sv|vs|aw|fw|fwd|antw)\s*:\s*)+", re.IGNORECASE)
OPEN = (DraftStatus.PENDING, DraftStatus.APPROVED)


def same_message_elsewhere(session: Session, message: Message, message_id: str | None) -> Message | None:
    """An earlier stored message with the same Message-ID (delivered twice, with other headers)."""
    if not message_id:
        return None
    stmt = (select(Message).where(Message.message_id == message_id, Message.id != message.id,
                                  col(Message.status).in_([MessageStatus.QUEUED, MessageStatus.NOT_EVENT]))
            .order_by(col(Message.id)))
    return session.exec(stmt).first()


def same_event(session: Session, event: Event, message: Message) -> Draft | None:
    """A live draft of another mail with the same title and start: the same submission sent again."""
    if not event.title or not event.start:
        return None
    stmt = select(Draft).where(Draft.start == event.start, col(Draft.status).in_(OPEN), Draft.message_pk != message.id)
    wanted = _norm(event.title)
    return next((d for d in session.exec(stmt).all() if _norm(d.title or "") == wanted), None)


def earlier_in_thread(session: Session, message: Message, parsed: ParsedMail) -> Message | None:
    """The earlier submission this mail replies to (In-Reply-To/References; else a 'SV:' subject from the same sender)."""
    ids = [i for i in [parsed.in_reply_to, *reversed(parsed.references)] if i]
    for message_id in ids:
        stmt = select(Message).where(Message.message_id == message_id, Message.status == MessageStatus.QUEUED,
                                     Message.id != message.id)
        found = session.exec(stmt).first()
        if found:
            return found
    if REPLY_PREFIX.match(parsed.subject or "") and parsed.sender_address:
        base = _norm(REPLY_PREFIX.sub("", parsed.subject))
        stmt = (select(Message).where(Message.status == MessageStatus.QUEUED, Message.id != message.id,
                                      col(Message.sender).contains(parsed.sender_address))
                .order_by(col(Message.id).desc()))
        for candidate in session.exec(stmt).all():
            if _norm(REPLY_PREFIX.sub("", candidate.subject)) == base:
                return candidate
    return None


def drafts_of(session: Session, message: Message) -> Sequence[Draft]:
    stmt = select(Draft).where(Draft.message_pk == message.id, col(Draft.status).in_(OPEN)).order_by(col(Draft.event_index))
    return session.exec(stmt).all()


def best_match(drafts: Sequence[Draft], event: Event) -> Draft | None:
    """The earlier draft an event of the reply corrects: the only one, or the one with the same title."""
    if len(drafts) == 1:
        return drafts[0]
    wanted = _norm(event.title or "")
    return next((d for d in drafts if _norm(d.title or "") == wanted), None)


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))
