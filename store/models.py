"""The tables. One class a table; choices as StrEnums beside them.

Instants (when something happened) are stored as aware UTC datetimes. Event
times are the mail's wall-clock strings (``YYYY-MM-DDTHH:MM`` or a bare date,
as the parser gives them) in `Draft.timezone`: a Danish event at 10:00 stays
at 10:00 whatever the server's zone, and ISO strings sort correctly.
"""

from __future__ import annotations

from datetime import datetime, timezone
from enum import StrEnum
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Column, Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """An aware datetime, stored as UTC; SQLite (which keeps no zone) gives it back aware."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware instant is required")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _when(**kw: Any) -> Any:
    return Field(sa_column=Column(UTCDateTime(), **kw))


def _choice(enum: type[StrEnum], default: StrEnum) -> Any:
    """A StrEnum column stored as its plain value in a VARCHAR (no native enum type to migrate)."""
    sa_type = sa.Enum(enum, native_enum=False, create_constraint=False, length=20,
                      values_callable=lambda members: [m.value for m in members])
    return Field(default=default, sa_type=sa_type, index=True)


def _json(default: Any) -> Any:
    return Field(default_factory=default, sa_column=Column(sa.JSON, nullable=False))


class MessageStatus(StrEnum):
    RECEIVED = "received"  # stored, not yet read (or the reader died: picked up next run)
    QUEUED = "queued"  # read: its drafts, or the change it proposes to earlier drafts, wait for a reviewer
    NOT_EVENT = "not_event"  # read and set aside: no event in it (`reason` says why); listed in the desk
    DUPLICATE = "duplicate"  # older versions only: a copy linked to an earlier message (now a draft marked duplicate_of)
    FAILED = "failed"  # could not be read; `error` says why
    PURGED = "purged"  # raw mail deleted under the retention policy


class DraftStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    NOT_EVENT = "not_event"  # a reviewer said "ikke et arrangement"
    MERGED = "merged"  # folded into another draft (a duplicate)
    WITHDRAWN = "withdrawn"  # was approved and published, then cancelled


class Message(SQLModel, table=True):
    """One raw mail, kept byte for byte, exactly once (unique sha256)."""

    id: Optional[int] = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, sa_column_kwargs={"unique": True}, index=True)
    message_id: Optional[str] = Field(default=None, max_length=998, index=True)
    raw: Optional[bytes] = Field(default=None, sa_column=Column(sa.LargeBinary, nullable=True))
    size: int = 0
    source: str = Field(max_length=1000)  # the mailbox it came from (no secrets)
    source_ref: str = Field(default="", max_length=1000)  # file name, or FOLDER/UIDVALIDITY/UID
    subject: str = Field(default="", max_length=2000)
    sender: str = Field(default="", max_length=1000)
    sent_at: Optional[datetime] = _when(nullable=True)
    received_at: datetime = _when(nullable=False, default=utcnow)
    in_reply_to: Optional[str] = Field(default=None, max_length=998)
    status: MessageStatus = _choice(MessageStatus, MessageStatus.RECEIVED)
    kind: Optional[str] = Field(default=None, max_length=20)
    error: Optional[str] = Field(default=None, sa_column=Column(sa.Text, nullable=True))
    attempts: int = 0  # parse attempts; a message failing again and again is left failed
    duplicate_of: Optional[int] = Field(default=None, foreign_key="message.id")
    processed_at: Optional[datetime] = _when(nullable=True)
    # what the desk shows, kept when the mail is read, so a page view never reads the raw mail again
    body_text: Optional[str] = Field(default=None, sa_column=Column(sa.Text, nullable=True))  # the evidence points here
    body_html: Optional[str] = Field(default=None, sa_column=Column(sa.Text, nullable=True))  # sanitised
    attachments: list = _json(list)  # [{filename, content_type, size, note}]
    warnings: list = _json(list)  # defects the reader survived
    reason: Optional[str] = Field(default=None, sa_column=Column(sa.Text, nullable=True))  # why it was set aside (Danish)
    thread_pk: Optional[int] = Field(default=None, foreign_key="message.id", index=True)  # the submission it answers
    closed_at: Optional[datetime] = _when(nullable=True)  # set aside, and a reviewer closed it ("Luk")
    closed_by: Optional[str] = Field(default=None, max_length=200)


class Draft(SQLModel, table=True):
    """One event read from a mail, waiting for (or past) review."""

    id: Optional[int] = Field(default=None, primary_key=True)
    message_pk: int = Field(foreign_key="message.id", index=True)
    event_index: int = 0  # which event of the mail
    status: DraftStatus = _choice(DraftStatus, DraftStatus.PENDING)
    version: int = 1  # optimistic lock: raised on every save
    title: Optional[str] = Field(default=None, max_length=1000)
    start: Optional[str] = Field(default=None, max_length=16, index=True)
    end: Optional[str] = Field(default=None, max_length=16)
    all_day: bool = False
    place: Optional[str] = Field(default=None, max_length=1000)
    online: bool = False
    registration_deadline: Optional[str] = Field(default=None, max_length=16)
    registration: Optional[str] = Field(default=None, max_length=2000)
    organizer: Optional[str] = Field(default=None, max_length=1000)
    audience: Optional[str] = Field(default=None, max_length=1000)
    description: Optional[str] = Field(default=None, sa_column=Column(sa.Text, nullable=True))
    timezone: str = Field(default="Europe/Copenhagen", max_length=64)
    confidence: dict = _json(dict)
    evidence: dict = _json(dict)
    changed_by_reply: bool = False  # older versions only: a reply changed it directly (now: pending_change)
    duplicate_of: Optional[int] = Field(default=None, foreign_key="draft.id")  # a possible copy of that draft
    # a reply's proposal, waiting for a reviewer: {"from_message": id, "cancel": bool, "at": ISO instant,
    #  "fields": {name: {"current": value, "proposed": value, "evidence": text}}}
    pending_change: Optional[dict] = Field(default=None, sa_column=Column(sa.JSON(none_as_null=True), nullable=True))
    origin: dict = _json(dict)  # per field: where in the mail it was read (core.model.Origin)
    missing: list = _json(list)  # fields such a mail normally gives that this one did not
    reject_reason: Optional[str] = Field(default=None, sa_column=Column(sa.Text, nullable=True))
    # publishing: what was last approved is what is published (edits wait for re-approval)
    uid: str = Field(default="", max_length=200)  # stable iCalendar UID
    published: Optional[dict] = Field(default=None, sa_column=Column(sa.JSON(none_as_null=True), nullable=True))
    sequence: int = 0  # iCalendar SEQUENCE, raised at every approved change
    published_at: Optional[datetime] = _when(nullable=True)
    reviewed_by: Optional[str] = Field(default=None, max_length=200)
    reviewed_at: Optional[datetime] = _when(nullable=True)
    created_at: datetime = _when(nullable=False, default=utcnow)
    updated_at: datetime = _when(nullable=False, default=utcnow)



class DraftChange(SQLModel, table=True):
    """The history: who did what to a draft, when, and from which mail."""

    id: Optional[int] = Field(default=None, primary_key=True)
    draft_pk: int = Field(foreign_key="draft.id", index=True)
    at: datetime = _when(nullable=False, default=utcnow)
    actor: str = Field(max_length=200)  # a user name, or "kontakt" for the pipeline
    action: str = Field(max_length=40)  # created, edited, approved, rejected, ...
    changes: dict = _json(dict)  # {field: [old, new]}
    message_pk: Optional[int] = Field(default=None, foreign_key="message.id")
    note: Optional[str] = Field(default=None, sa_column=Column(sa.Text, nullable=True))


class Run(SQLModel, table=True):
    """One pass of the pipeline, recorded whatever its outcome."""

    id: Optional[int] = Field(default=None, primary_key=True)
    started_at: datetime = _when(nullable=False, default=utcnow)
    finished_at: Optional[datetime] = _when(nullable=True)
    trigger: str = Field(default="manual", max_length=20)  # manual | schedule
    source: str = Field(default="", max_length=1000)
    outcome: str = Field(default="running", max_length=20)  # running | ok | failed
    fetched: int = 0
    new_messages: int = 0
    new_drafts: int = 0
    updated_drafts: int = 0
    failed: int = 0
    error: Optional[str] = Field(default=None, sa_column=Column(sa.Text, nullable=True))


class SeenMail(SQLModel, table=True):
    """The intake ledger: every mailbox item already taken in, so it is never taken twice."""

    id: Optional[int] = Field(default=None, primary_key=True)
    source: str = Field(max_length=1000)  # looked up through the unique (source, ref) index
    ref: str = Field(max_length=1000)  # file name, or FOLDER/UIDVALIDITY/UID
    message_pk: Optional[int] = Field(default=None, foreign_key="message.id")
    seen_at: datetime = _when(nullable=False, default=utcnow)
    action_done: bool = False  # the mailbox follow-up (seen/flag/move) is done, or not wanted (over-size mail)

    __table_args__ = (sa.UniqueConstraint("source", "ref", name="uq_seenmail_source_ref"),)


class User(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, sa_column_kwargs={"unique": True})
    password_hash: str = Field(max_length=500)
    is_admin: bool = False
    created_at: datetime = _when(nullable=False, default=utcnow)
    preferences: dict = _json(dict)  # the desk's settings of this user, e.g. {"shortcuts": false}


class Notification(SQLModel, table=True):
    """The outbox ledger: every mail kontakt sends, once (unique key), with its outcome."""

    id: Optional[int] = Field(default=None, primary_key=True)
    key: str = Field(max_length=300, sa_column_kwargs={"unique": True})  # receipt:THREAD, decision:CHANGE, digest:RUN
    kind: str = Field(max_length=20)
    recipient: str = Field(max_length=1000)
    subject: str = Field(default="", max_length=1000)
    message_pk: Optional[int] = Field(default=None, foreign_key="message.id")
    draft_pk: Optional[int] = Field(default=None, foreign_key="draft.id")
    attempts: int = 0
    sent_at: Optional[datetime] = _when(nullable=True)
    error: Optional[str] = Field(default=None, sa_column=Column(sa.Text, nullable=True))
    # the Message-ID it was sent with: a reply to it belongs to the thread of `message_pk`
    message_id: Optional[str] = Field(default=None, max_length=998, index=True)


class PurgeRecord(SQLModel, table=True):
    """An anonymous count of what a purge deleted (GDPR: no content kept)."""

    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = _when(nullable=False, default=utcnow)
    messages: int = 0
    drafts_scrubbed: int = 0


class DecisionUndo(SQLModel, table=True):
    """A decision made in the desk that can still be taken back ("Fortryd"): each draft's state before it."""

    __tablename__ = "decision_undo"

    id: Optional[int] = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, sa_column_kwargs={"unique": True})  # the random name the desk's button carries
    actor: str = Field(max_length=200, index=True)
    action: str = Field(max_length=40)  # approved, rejected, withdrawn, ...
    at: datetime = _when(nullable=False, default=utcnow)
    # [{"draft": id, "version": the version the decision left, "before": {column: value}}]
    entries: list = Field(default_factory=list, sa_column=Column(sa.JSON, nullable=False))
    undone_at: Optional[datetime] = _when(nullable=True)
