"""Recognising mail the store has seen in another form: the same message again,
the same event again, or a reply in a thread that changes an earlier event."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from parsers.model import Event, ParsedMail
from store.models import Draft, DraftStatus, Message, MessageStatus

REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|sv|vs|aw|fw|fwd|antw)\s*:\s*)+", re.IGNORECASE)
OPEN = (DraftStatus.PENDING, DraftStatus.APPROVED)


@dataclass
class KnownMail:
    """What the store already holds, loaded once per run and kept current as the run queues mail:
    Message-IDs of read messages, and the live events (normalised title, start) with their message."""

    by_message_id: dict[str, int] = field(default_factory=dict)
    by_event: dict[tuple[str, str], int] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session) -> "KnownMail":
        known = cls()
        read = (MessageStatus.QUEUED, MessageStatus.NOT_EVENT)
        for message_id, pk in session.exec(select(Message.message_id, Message.id).where(
                col(Message.status).in_(read), col(Message.message_id).is_not(None)).order_by(col(Message.id).desc())):
            known.by_message_id[message_id] = pk  # descending: the earliest copy wins
        for title, start, pk in session.exec(select(Draft.title, Draft.start, Draft.message_pk).where(
                col(Draft.status).in_(OPEN)).order_by(col(Draft.id).desc())):
            if title and start:
                known.by_event[(_norm(title), start)] = pk
        return known

    def same_message(self, message: Message, message_id: str | None) -> int | None:
        """An earlier message with the same Message-ID (delivered twice, with other headers)."""
        pk = self.by_message_id.get(message_id) if message_id else None
        return pk if pk != message.id else None

    def same_events(self, message: Message, events: list[Event]) -> int | None:
        """The message whose live drafts already hold every one of these events (sent again)."""
        pks = [self.by_event.get((_norm(e.title), e.start)) if e.title and e.start else None for e in events]
        if not events or any(pk is None or pk == message.id for pk in pks):
            return None
        return pks[0]

    def remember(self, message: Message, events: list[Event]) -> None:
        if message.message_id:
            self.by_message_id.setdefault(message.message_id, message.id)
        for e in events:
            if e.title and e.start:
                self.by_event.setdefault((_norm(e.title), e.start), message.id)


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
