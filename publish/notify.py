"""Notifications as an outbox: what is owed is derived from the store, sent over SMTP, and recorded.

Owed, in Danish, as a good secretariat writes:
- a receipt for each new submission thread ("Vi har modtaget: …") with every field that was read,
  how to correct it (reply to the receipt) and what happens next;
- one mail per submission listing its events once they are approved (or updated after a reply),
  rejected (with the reason) or withdrawn;
- after each run a digest to the reviewers.
The Notification table keys each decision and receipt (receipt:THREAD, decision:CHANGE, digest:RUN),
so nothing is sent twice, whoever made the decision (web desk, CLI) and whenever `send_pending` runs;
the Message-ID each mail went out with is kept, so a reply to it finds its thread.

Never answered: auto-replies, bounces, newsletters, lists, no-reply senders, mail carrying
Auto-Submitted or Precedence bulk/list/junk, replies to kontakt's own mail, and mail received before
notifications were first turned on or sent more than `[notify] max_age_days` ago. Our own mail says
`Auto-Submitted: auto-replied` (RFC 3834), so two responders can never loop.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import SMTP as SMTP_POLICY
from email.policy import default as default_policy
from email.utils import formatdate, getaddresses, make_msgid

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core import danish, own_mail
from core.errors import KontaktError
from core.settings import NotifySettings, Settings, secret_from_env
from store.models import Draft, DraftChange, Message, MessageStatus, Notification, Run, utcnow

log = logging.getLogger(__name__)

NO_REPLY = re.compile(r"^(?:no-?reply|do-?not-?reply|noreply|mailer-daemon|postmaster|bounce|bounces|nyhedsbrev)[\w.+-]*@",
                      re.IGNORECASE)
MAX_ATTEMPTS = 3
DECISION_WINDOW = timedelta(days=14)  # decisions older than this are not news
ENABLED_KEY = "notifications-enabled"  # a ledger row: when kontakt first ran with notifications on
# Message-IDs and References go out as written: RFC 5322 allows 998 characters a line, and a longer fold
# would make the email package encode them (RFC 2047), which breaks threading in mail clients
POLICY = SMTP_POLICY.clone(max_line_length=998)
MESSAGE_ID = re.compile(r"^<[!-~]+>$")  # printable ASCII in angle brackets, nothing else
FIELD_LINES = (("title", "Titel"), ("when", "Tid"), ("place", "Sted"), ("online", "Online"),
               ("registration_deadline", "Tilmeldingsfrist"), ("registration", "Tilmelding"),
               ("organizer", "Arrangør"), ("audience", "Målgruppe"))
DECISIONS = {  # action -> (subject prefix, what happened, per event)
    "approved": (own_mail.APPROVED, "er nu med i programmet for Ledelsesugen"),
    "change_accepted": (own_mail.APPROVED, "er opdateret i programmet for Ledelsesugen"),
    "rejected": (own_mail.REJECTED, "er ikke kommet med i programmet for Ledelsesugen"),
    "withdrawn": (own_mail.WITHDRAWN, "er nu vist som aflyst i programmet for Ledelsesugen"),
}
SIGNATURE = ["Venlig hilsen", "Ledelsesugen", "kontakt@ledelsesugen.dk"]


class NotifyError(KontaktError):
    """The SMTP server could not be reached or refused us."""


@dataclass
class Outgoing:
    keys: list[str]  # the ledger keys this one mail settles (a decision mail lists several events)
    kind: str
    to: str
    subject: str
    body: str
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    message_pk: int | None = None
    draft_pk: int | None = None

    @property
    def key(self) -> str:
        return self.keys[0]


def answerable_address(message: Message) -> str | None:
    """The organiser's address if their mail may be answered automatically; None if it must not be."""
    if message.raw is None or message.kind not in ("event", "cancellation"):
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


def enabled_since(session: Session) -> datetime | None:
    row = session.exec(select(Notification).where(Notification.key == ENABLED_KEY)).first()
    return row.sent_at if row else None


def note_enabled(session: Session) -> datetime:
    """Notifications are on: note since when (once), so mail received before that is never answered."""
    since = enabled_since(session)
    if since is None:
        since = utcnow()
        session.add(Notification(key=ENABLED_KEY, kind="marker", recipient="", subject="notifications turned on",
                                 sent_at=since))
        session.commit()
    return since


def owed(session: Session, settings: Settings, *, now: datetime | None = None) -> list[Outgoing]:
    now = now or utcnow()
    settled = set(session.exec(select(Notification.key).where(col(Notification.sent_at).is_not(None)
                                                               | (Notification.attempts >= MAX_ATTEMPTS))).all())
    since = enabled_since(session) or now
    oldest = now - timedelta(days=settings.notify.max_age_days) if settings.notify.max_age_days else None
    out: list[Outgoing] = []
    if settings.notify.receipts:
        out += _receipts(session, since, oldest, settled)
        out += _decisions(session, max(since, now - DECISION_WINDOW), settled)
    if settings.notify.digest and settings.notify.reviewers:
        out += [o for o in _digests(session, settings.notify.reviewers, since) if o.key not in settled]
    return out


def _fresh(message: Message, since: datetime, oldest: datetime | None) -> bool:
    """Received since notifications were turned on, and not sent long ago (old mail found in a mailbox)."""
    sent = message.sent_at or message.received_at
    return message.received_at >= since and (oldest is None or sent >= oldest)


def _receipts(session: Session, since: datetime, oldest: datetime | None, settled: set[str]) -> list[Outgoing]:
    out = []
    own = set(session.exec(select(Notification.message_id).where(col(Notification.message_id).is_not(None))).all())
    # submissions only: a reply in a known thread (thread_pk) belongs to a thread that has had its receipt
    submissions = session.exec(select(Message).where(Message.status == MessageStatus.QUEUED,
                                                     col(Message.thread_pk).is_(None), Message.received_at >= since))
    for message in submissions:
        key = f"receipt:{message.id}"
        if key in settled or not _fresh(message, since, oldest):
            continue
        drafts = session.exec(select(Draft).where(Draft.message_pk == message.id).order_by(col(Draft.event_index))).all()
        to = answerable_address(message)
        refs = _references(message)
        if to is None or not drafts or (set(refs) & own):  # a reply to kontakt's own mail gets no receipt
            continue
        several = len(drafts) > 1
        lines = ["Tak for din mail til Ledelsesugen.", "",
                 f"Vi har læst {'disse arrangementer' if several else 'dette arrangement'} ud af den:", ""]
        for draft in drafts:
            lines += _event_lines(draft) + [""]
        lines += ["Er noget forkert eller mangler noget, så svar blot på denne mail med rettelsen, fx",
                  '"Vi starter kl. 13.30" eller "Stedet er nu Store Sal". Skal arrangementet aflyses, så skriv det.', "",
                  "Hvad sker der nu: en redaktør ser arrangementet igennem, før det kommer i programmet på",
                  "ledelsesugen.dk. Du får en mail, når det er sket.", "", *SIGNATURE]
        out.append(Outgoing(keys=[key], kind="receipt", to=to, subject=f"{own_mail.RECEIPT}: {message.subject}"[:300],
                            body="\n".join(lines), in_reply_to=message.message_id, references=refs,
                            message_pk=message.id))
    return out


def _decisions(session: Session, since: datetime, settled: set[str]) -> list[Outgoing]:
    """One mail per submission and kind of decision, listing its events."""
    stmt = (select(DraftChange, Draft).join(Draft, Draft.id == DraftChange.draft_pk)  # type: ignore[arg-type]
            .where(col(DraftChange.action).in_(list(DECISIONS)), DraftChange.at >= since)
            .order_by(col(DraftChange.id)))
    groups: dict[tuple[int, str], list[tuple[DraftChange, Draft]]] = {}
    for change, draft in session.exec(stmt).all():
        if f"decision:{change.id}" not in settled:
            groups.setdefault((draft.message_pk, change.action), []).append((change, draft))
    out = []
    for (message_pk, action), items in groups.items():
        message = session.get(Message, message_pk)
        to = answerable_address(message) if message is not None else None
        if message is None or to is None:
            continue
        prefix, happened = DECISIONS[action]
        latest = {draft.id: (change, draft) for change, draft in items}  # one line per event, its latest decision
        titles = [d.title or "(uden titel)" for _, d in latest.values()]
        subject = f"{prefix}: {titles[0]}" + (f" (og {len(titles) - 1} til)" if len(titles) > 1 else "")
        lines = [f"Tak for din mail \"{message.subject}\".", ""]
        for change, draft in latest.values():
            lines += [f"\"{draft.title or '(uden titel)'}\" {happened}."]
            if action == "rejected":
                lines += [f"Begrundelse: {change.note or 'ikke angivet'}"]
            lines += _event_lines(draft) + [""]
        if action in ("approved", "change_accepted"):
            lines += ["Er der ændringer, så svar blot på denne mail. Skal arrangementet aflyses, så skriv det."]
        else:
            lines += ["Svar gerne på denne mail, hvis du har spørgsmål."]
        lines += ["", *SIGNATURE]
        out.append(Outgoing(keys=[f"decision:{c.id}" for c, _ in items], kind="decision", to=to, subject=subject[:300],
                            body="\n".join(lines), in_reply_to=message.message_id, references=_references(message),
                            message_pk=message.id, draft_pk=items[-1][1].id))
    return out


def _event_lines(draft: Draft) -> list[str]:
    """Every field, as the programme will show it; what the mail did not say is said to be missing."""
    values = {"title": draft.title, "when": danish.when(draft.start, draft.end, draft.all_day) if draft.start else None,
              "place": draft.place, "online": "ja" if draft.online else "nej",
              "registration_deadline": danish.deadline(draft.registration_deadline) if draft.registration_deadline else None,
              "registration": draft.registration, "organizer": draft.organizer, "audience": draft.audience}
    return [f"  {label}: {values[name] or 'ikke angivet i mailen'}" for name, label in FIELD_LINES]


def _digests(session: Session, reviewers: list, since: datetime) -> list[Outgoing]:
    out = []
    runs = session.exec(select(Run).where(Run.outcome == "ok", Run.finished_at >= max(since, utcnow() - timedelta(days=2)))).all()
    for run in runs:
        if not (run.new_drafts or run.updated_drafts or run.failed):
            continue
        counts = [_count(run.new_drafts, "ny kladde", "nye kladder"),
                  _count(run.updated_drafts, "ændring foreslået af svar", "ændringer foreslået af svar"),
                  _count(run.failed, "mail kunne ikke læses", "mails kunne ikke læses")]
        body = (f"Kørslen {danish.instant(run.started_at)} hentede {_count(run.fetched, 'ny mail', 'nye mails')}:\n"
                + "".join(f"  {line}\n" for line in counts) + "\nSe køen i kladdeværktøjet.\n")
        for reviewer in reviewers:
            out.append(Outgoing(keys=[f"digest:{run.id}:{reviewer}"[:300]], kind="digest", to=str(reviewer),
                                subject=f"Ledelsesugen: {_count(run.new_drafts, 'ny kladde', 'nye kladder')}", body=body))
    return out


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _references(message: Message) -> list[str]:
    """The organiser's thread (their References and their own Message-ID), plain and valid only."""
    refs: list[str] = []
    if message.raw is not None:
        headers = BytesHeaderParser(policy=default_policy).parsebytes(message.raw[:64_000])
        refs = str(headers.get("References", "") or "").split()
    refs.append(message.message_id or "")
    return [r for r in dict.fromkeys(refs) if MESSAGE_ID.match(r)][-20:]


def compose(item: Outgoing, settings: NotifySettings) -> EmailMessage:
    msg = EmailMessage(policy=POLICY)
    msg["From"] = settings.sender
    msg["To"] = item.to
    msg["Subject"] = item.subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=settings.sender.rsplit("@", 1)[-1])
    msg["Auto-Submitted"] = "auto-replied" if item.kind != "digest" else "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"  # Exchange: do not answer this with an out-of-office
    if item.in_reply_to and MESSAGE_ID.match(item.in_reply_to):
        msg["In-Reply-To"] = item.in_reply_to
    if item.references:
        msg["References"] = " ".join(item.references)
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
        raise NotifyError(f"cannot send mail via {settings.smtp_host}:{settings.smtp_port}: {exc}; check [notify] "
                          "smtp_host, smtp_port and smtp_security, and that the mail server is running") from exc
    return client


def send_pending(settings: Settings, engine: Engine) -> int:
    """Send what is owed; returns how many mails were sent. Each outcome is recorded."""
    with Session(engine) as session:
        note_enabled(session)
        items = owed(session, settings)
        if not items:
            return 0
        client = _smtp(settings.notify)
        sent = 0
        try:
            for item in items:
                mail = compose(item, settings.notify)
                rows = [session.exec(select(Notification).where(Notification.key == key)).first() or Notification(
                    key=key, kind=item.kind, recipient=item.to, subject=item.subject, message_pk=item.message_pk,
                    draft_pk=item.draft_pk) for key in item.keys]
                error, gone = None, None
                try:
                    client.send_message(mail)
                    sent += 1
                except smtplib.SMTPServerDisconnected as exc:  # the server went away mid-send
                    error, gone = str(exc)[:1000], exc
                except smtplib.SMTPException as exc:  # this one refused (a recipient, a size): the rest go on
                    error = str(exc)[:1000]
                    log.warning("notification %s to message %s not sent: %s", item.kind, item.message_pk, exc)
                except OSError as exc:  # the connection broke (SMTPException is an OSError too: it comes first)
                    error, gone = str(exc)[:1000], exc
                for row in rows:
                    row.attempts += 1
                    if error is None:
                        row.sent_at, row.error, row.message_id = utcnow(), None, str(mail["Message-ID"])
                    else:
                        row.error = error
                    session.add(row)
                session.commit()
                if gone is not None:
                    raise NotifyError(f"the mail server {settings.notify.smtp_host}:{settings.notify.smtp_port} went "
                                      f"away while sending ({gone}); {sent} sent, the rest go with the next run") from gone
        finally:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                pass
        return sent
