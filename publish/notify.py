"""Notifications as an outbox: what is owed is derived from the store, sent over SMTP, and recorded.

Owed: a receipt for each new submission thread ("Vi har modtaget …", with what we
read), a note when an event is approved (published) or rejected (with the reason),
and after each run a digest to the reviewers. The Notification table keys each
mail (receipt:THREAD, decision:CHANGE, digest:RUN), so nothing is sent twice,
whoever made the decision (web desk, CLI) and whenever `send_pending` runs.

Never answered: auto-replies, bounces, newsletters, lists, no-reply senders, and
any mail carrying Auto-Submitted or Precedence bulk/list/junk. Our own mail says
`Auto-Submitted: auto-replied` (RFC 3834), so two responders can never loop.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from email.utils import formatdate, getaddresses, make_msgid

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.errors import KontaktError
from core.settings import NotifySettings, Settings, secret_from_env
from store.models import Draft, DraftChange, Message, MessageStatus, Notification, Run, utcnow

log = logging.getLogger(__name__)

NO_REPLY = re.compile(r"^(?:no-?reply|do-?not-?reply|noreply|mailer-daemon|postmaster|bounce|bounces|nyhedsbrev)[\w.+-]*@",
                      re.IGNORECASE)
MAX_ATTEMPTS = 3
DECISION_WINDOW = timedelta(days=14)  # decisions older than this when notifications are switched on are not news


class NotifyError(KontaktError):
    """The SMTP server could not be reached or refused us."""


@dataclass
class Outgoing:
    key: str
    kind: str
    to: str
    subject: str
    body: str
    in_reply_to: str | None = None
    references: str | None = None
    message_pk: int | None = None
    draft_pk: int | None = None


def answerable_address(message: Message) -> str | None:
    """The organiser's address if their mail may be answered automatically; None if it must not be."""
    if message.raw is None or message.kind != "event":
        return None
    headers = BytesHeaderParser(policy=default_policy).parsebytes(message.raw[:64_000])
    auto = str(headers.get("Auto-Submitted", "no")).strip().lower()
    if auto not in ("", "no") or str(headers.get("Precedence", "")).lower() in ("bulk", "list", "junk", "auto_reply"):
        return None
    if headers.get("List-Id") or headers.get("List-Unsubscribe") or headers.get("X-Autoreply") or headers.get("X-Autorespond"):
        return None
    reply_to = getaddresses([str(headers.get("Reply-To", "") or headers.get("From", ""))])
    address = reply_to[0][1] if reply_to else ""
    if not address or "@" not in address or NO_REPLY.match(address):
        return None
    return address


def owed(session: Session, settings: Settings) -> list[Outgoing]:
    sent = set(session.exec(select(Notification.key).where(col(Notification.sent_at).is_not(None)
                                                            | (Notification.attempts >= MAX_ATTEMPTS))).all())
    out: list[Outgoing] = []
    if settings.notify.receipts:
        out += [o for o in _receipts(session) if o.key not in sent]
        out += [o for o in _decisions(session) if o.key not in sent]
    if settings.notify.digest and settings.notify.reviewers:
        out += [o for o in _digests(session, settings.notify.reviewers) if o.key not in sent]
    return out


def _thread_key(message: Message, raw_refs: list[str]) -> str:
    return (raw_refs[0] if raw_refs else message.in_reply_to or message.message_id or f"message-{message.id}")[:250]


def _receipts(session: Session) -> list[Outgoing]:
    out = []
    for message in session.exec(select(Message).where(Message.status == MessageStatus.QUEUED)).all():
        to = answerable_address(message)
        if to is None:
            continue
        headers = BytesHeaderParser(policy=default_policy).parsebytes(message.raw[:64_000])
        refs = str(headers.get("References", "") or "").split()
        drafts = session.exec(select(Draft).where(Draft.message_pk == message.id)).all()
        lines = ["Tak for din mail til Ledelsesugen. Vi har modtaget følgende og læser det igennem, før det kommer i programmet:", ""]
        for d in drafts:
            lines += [f"• {d.title or '(uden titel)'}", f"  Tid: {d.start or '?'}{' – ' + d.end if d.end else ''}",
                      f"  Sted: {d.place or ('online' if d.online else 'ikke angivet')}",
                      f"  Tilmelding: {d.registration or 'ikke angivet'}", ""]
        lines += ["Er noget forkert, så svar blot på denne mail med rettelsen.", "", "Venlig hilsen", "Ledelsesugen"]
        out.append(Outgoing(key=f"receipt:{_thread_key(message, refs)}", kind="receipt", to=to,
                            subject=f"Vi har modtaget: {message.subject}"[:300], body="\n".join(lines),
                            in_reply_to=message.message_id, references=" ".join(refs + [message.message_id or ""]).strip(),
                            message_pk=message.id))
    return out


def _decisions(session: Session) -> list[Outgoing]:
    out = []
    since = utcnow() - DECISION_WINDOW
    stmt = select(DraftChange).where(col(DraftChange.action).in_(["approved", "rejected"]), DraftChange.at >= since)
    for change in session.exec(stmt).all():
        draft = session.get(Draft, change.draft_pk)
        message = session.get(Message, draft.message_pk) if draft else None
        to = answerable_address(message) if message else None
        if draft is None or to is None:
            continue
        if change.action == "approved":
            subject = f"Dit arrangement er i programmet: {draft.title}"
            body = (f"Dit arrangement \"{draft.title}\" ({draft.start}) er nu med i programmet for Ledelsesugen.\n\n"
                    "Er der ændringer, så svar blot på denne mail.\n\nVenlig hilsen\nLedelsesugen")
        else:
            subject = f"Dit arrangement kom ikke i programmet: {draft.title}"
            body = (f"Vi har desværre ikke kunnet tage \"{draft.title}\" med i programmet for Ledelsesugen.\n\n"
                    f"Begrundelse: {change.note or 'ikke angivet'}\n\nSvar gerne på denne mail, hvis du har spørgsmål.\n\n"
                    "Venlig hilsen\nLedelsesugen")
        out.append(Outgoing(key=f"decision:{change.id}", kind="decision", to=to, subject=subject[:300], body=body,
                            in_reply_to=message.message_id, references=message.message_id, message_pk=message.id,
                            draft_pk=draft.id))
    return out


def _digests(session: Session, reviewers: list) -> list[Outgoing]:
    out = []
    runs = session.exec(select(Run).where(Run.outcome == "ok", Run.finished_at >= utcnow() - timedelta(days=2))).all()
    for run in runs:
        if not (run.new_drafts or run.updated_drafts or run.failed):
            continue
        body = (f"Kørsel {run.id} ({run.started_at:%d.%m.%Y %H:%M} UTC):\n"
                f"  {run.fetched} nye mails, {run.new_drafts} nye kladder, {run.updated_drafts} ændret af svar, "
                f"{run.failed} kunne ikke læses.\n\nSe køen i kladdeværktøjet.\n")
        for reviewer in reviewers:
            out.append(Outgoing(key=f"digest:{run.id}:{reviewer}"[:300], kind="digest", to=str(reviewer),
                                subject=f"Ledelsesugen: {run.new_drafts} nye kladder", body=body))
    return out


def compose(item: Outgoing, settings: NotifySettings) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.sender
    msg["To"] = item.to
    msg["Subject"] = item.subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=settings.sender.rsplit("@", 1)[-1])
    msg["Auto-Submitted"] = "auto-replied" if item.kind != "digest" else "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"  # Exchange: do not answer this with an out-of-office
    if item.in_reply_to:
        msg["In-Reply-To"] = item.in_reply_to
    if item.references:
        msg["References"] = item.references
    msg.set_content(item.body)
    return msg


def _smtp(settings: NotifySettings) -> smtplib.SMTP:
    context = ssl.create_default_context(cafile=settings.smtp_ca_file or None)
    try:
        if settings.smtp_security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, context=context, timeout=30)
        else:
            client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30)
            if settings.smtp_security == "starttls":
                client.starttls(context=context)
        if settings.smtp_user:
            client.login(settings.smtp_user, secret_from_env(settings.smtp_password_env, "[notify] smtp_password_env"))
    except (OSError, smtplib.SMTPException) as exc:
        raise NotifyError(f"cannot send mail via {settings.smtp_host}:{settings.smtp_port}: {exc}") from exc
    return client


def send_pending(settings: Settings, engine: Engine) -> int:
    """Send what is owed; returns how many were sent. Each outcome is recorded."""
    with Session(engine) as session:
        items = owed(session, settings)
        if not items:
            return 0
        client = _smtp(settings.notify)
        sent = 0
        try:
            for item in items:
                row = session.exec(select(Notification).where(Notification.key == item.key)).first() or Notification(
                    key=item.key, kind=item.kind, recipient=item.to, subject=item.subject, message_pk=item.message_pk,
                    draft_pk=item.draft_pk)
                row.attempts += 1
                try:
                    client.send_message(compose(item, settings.notify))
                    row.sent_at, row.error = utcnow(), None
                    sent += 1
                except smtplib.SMTPException as exc:
                    row.error = str(exc)[:1000]
                    log.warning("notification %s to message %s not sent: %s", item.kind, item.message_pk, exc)
                session.add(row)
                session.commit()
        finally:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                pass
        return sent
