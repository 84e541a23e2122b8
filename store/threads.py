"""Recognising mail the store has seen in another form: the same message again,
the same event again, or a reply in a thread that changes an earlier event."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.utils import parseaddr

from sqlmodel import Session, col, select

from core.model import Event, ParsedMail
from store.models import Draft, Message, MessageStatus
from store.repo import OPEN, PendingDraft

REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|sv|vs|aw|fw|fwd|antw)\s*:\s*)+", re.IGNORECASE)


@dataclass
class KnownMail:
    """What the store already holds, loaded once per run and kept current as the run queues mail, so
    recognising a copy, a resent event or a reply costs no query per mail:
    Message-IDs of read messages, the live events (normalised title, start), and the queued messages
    a reply can belong to (by Message-ID, and by sender and subject)."""

    by_message_id: dict[str, int] = field(default_factory=dict)
    by_event: dict[tuple[str, str], int] = field(default_factory=dict)
    queued_by_message_id: dict[str, int] = field(default_factory=dict)
    queued_by_sender_subject: dict[tuple[str, str], int] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session) -> "KnownMail":
        known = cls()
        read = (MessageStatus.QUEUED, MessageStatus.NOT_EVENT)
        rows = session.exec(select(Message.id, Message.message_id, Message.sender, Message.subject, Message.status)
                            .where(col(Message.status).in_(read)).order_by(col(Message.id)))
        for pk, message_id, sender, subject, status in rows:
            known._add(pk, message_id, sender, subject, queued=status == MessageStatus.QUEUED)
        for title, start, pk in session.exec(select(Draft.title, Draft.start, Draft.message_pk).where(
                col(Draft.status).in_(OPEN)).order_by(col(Draft.id).desc())):
            if title and start:
                known.by_event[(_norm(title), start)] = pk  # descending: the earliest draft wins
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

    def earlier_in_thread(self, message: Message, parsed: ParsedMail) -> int | None:
        """The queued submission this mail replies to: In-Reply-To/References, else the latest
        from the same sender whose subject is this one without 'SV:'/'Re:'."""
        for message_id in [parsed.in_reply_to, *reversed(parsed.references)]:
            pk = self.queued_by_message_id.get(message_id) if message_id else None
            if pk is not None and pk != message.id:
                return pk
        if REPLY_PREFIX.match(parsed.subject or "") and parsed.sender_address:
            pk = self.queued_by_sender_subject.get((parsed.sender_address, _base_subject(parsed.subject)))
            if pk is not None and pk != message.id:
                return pk
        return None

    def remember(self, message: Message, events: list[Event]) -> None:
        """A message this run has read (queued when it is a submission: a reply may follow)."""
        self._add(message.id, message.message_id, message.sender, message.subject,
                  queued=message.status == MessageStatus.QUEUED)
        for e in events:
            if e.title and e.start:
                self.by_event.setdefault((_norm(e.title), e.start), message.id)

    def _add(self, pk: int | None, message_id: str | None, sender: str | None, subject: str | None, *,
             queued: bool) -> None:
        if pk is None:
            return
        if message_id:
            self.by_message_id.setdefault(message_id, pk)  # the earliest copy wins
            if queued:
                self.queued_by_message_id.setdefault(message_id, pk)
        address = parseaddr(sender or "")[1].lower()
        if queued and "@" in address:
            self.queued_by_sender_subject[(address, _base_subject(subject or ""))] = pk  # the latest wins


def best_match(drafts: Sequence[Draft | PendingDraft], event: Event) -> Draft | PendingDraft | None:
    """The earlier draft an event of the reply corrects: the only one, or the one with the same title."""
    if len(drafts) == 1:
        return drafts[0]
    wanted = _norm(event.title or "")
    return next((d for d in drafts if _norm(d.title or "") == wanted), None)


def _base_subject(subject: str) -> str:
    return _norm(REPLY_PREFIX.sub("", subject))


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))
