"""What the parser returns: plain data, no behaviour beyond (de)serialising.

`ParsedMail` is one message read; `Event` is one event found in it. Field
values follow ../shared/corpus/FORMAT.md: local Danish wall-clock time as
``YYYY-MM-DDTHH:MM``, a bare ``YYYY-MM-DD`` for a date without a time, None
where the mail does not say.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum

EVENT_FIELDS = (
    "title",
    "start",
    "end",
    "all_day",
    "place",
    "online",
    "registration_deadline",
    "registration",
    "organizer",
    "audience",
)


class MailKind(StrEnum):
    EVENT = "event"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    QUESTION = "question"
    NEWSLETTER = "newsletter"
    CANCELLATION = "cancellation"  # calls off an earlier submission ("Vi må desværre aflyse …")
    OTHER = "other"


class Origin(StrEnum):
    """Where in the mail a field's value was read: a reviewer is told when it is not the author's own words,
    and a reply changes only what its own new words say."""

    TEXT = "text"  # the author's own words in the body
    QUOTE = "quote"  # an earlier mail quoted in a reply
    FORWARDED = "forwarded"  # the body of a forwarded mail
    SUBJECT = "subject"
    SIGNATURE = "signature"
    HEADER = "header"  # From, Sender, the sender's domain
    CALENDAR = "calendar"  # an attached or inline .ics
    ATTACHMENT = "attachment"  # a PDF or Word document
    REPLY = "reply"  # a later mail in the thread, accepted by a reviewer (its evidence is in that mail)


@dataclass
class Event:
    title: str | None = None
    start: str | None = None
    end: str | None = None
    all_day: bool = False
    place: str | None = None
    online: bool = False
    registration_deadline: str | None = None
    registration: str | None = None
    organizer: str | None = None
    audience: str | None = None
    # per field: 0..1, and the exact text (a substring of ParsedMail.text or an attachment's text)
    confidence: dict[str, float] = field(default_factory=dict)
    evidence: dict[str, str] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)  # per field: an Origin value
    missing: list[str] = field(default_factory=list)  # fields such a mail normally gives that this one did not

    def fields(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in EVENT_FIELDS}

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class Attachment:
    filename: str | None
    content_type: str
    size: int
    text: str | None = None  # extracted text (calendar, PDF, docx), None when not read
    note: str | None = None  # why it was not read (too large, unsupported, broken)


@dataclass
class ParsedMail:
    message_id: str | None
    subject: str
    sender: str | None  # "Name <addr>" as decoded
    sender_address: str | None
    date: datetime | None  # the Date header, aware
    in_reply_to: str | None
    references: list[str]
    kind: MailKind
    events: list[Event]
    text: str  # the cleaned body text the evidence points into
    html: str | None = None  # the HTML body as received (unsanitised: sanitise before showing)
    attachments: list[Attachment] = field(default_factory=list)
    auto_submitted: bool = False  # Auto-Submitted/auto-reply/bulk headers: never answer it
    warnings: list[str] = field(default_factory=list)  # defects noticed but survived
    cancels: str | None = None  # kind cancellation: the Message-ID of the mail it calls off, when known
    corrects: str | None = None  # a reply that changes an earlier submission: that mail's Message-ID
    reply_text: str | None = None  # a reply's own new words, the quoted mail taken away (None: not a reply)

    @property
    def is_event_submission(self) -> bool:
        return self.kind == MailKind.EVENT and bool(self.events)

    def to_json(self, source: str | None = None) -> dict[str, object]:
        """The `kontakt extract --json` contract (documented in README)."""
        return {
            "source": source,
            "message_id": self.message_id,
            "subject": self.subject,
            "is_event_submission": self.is_event_submission,
            "kind": str(self.kind),
            "cancels": self.cancels,
            "corrects": self.corrects,
            "events": [e.to_dict() for e in self.events],
        }


# ------------------------------------------------------------------ what the store keeps, as plain values
# The store hands these to the decisions about threads, changes and copies (triage/), which know no database.

DraftRef = tuple[int, int]  # (message pk, event index): names a draft, stored or staged in the current batch


@dataclass(frozen=True)
class KeptMessage:
    """A message already read: what a later mail may reply to, or repeat."""

    pk: int
    message_id: str | None
    sender_address: str | None
    subject: str
    thread_pk: int | None = None  # the submission it belongs to, when it is itself a reply
    submitted: bool = False  # it queued drafts of its own


@dataclass(frozen=True)
class KeptDraft:
    """An open draft (pending or approved): its current values, which a reply may propose to change."""

    ref: DraftRef
    status: str
    fields: dict[str, object]
    published: bool = False
    sender_address: str | None = None
