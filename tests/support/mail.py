"""Build realistic Danish test mails with the stdlib email package (real MIME, real encodings)."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from datetime import datetime, timedelta, timezone
from pathlib import Path

CPH_SUMMER = timezone(timedelta(hours=2))


def event_mail(
    *,
    title: str = "Ledelse i forandring – morgenmøde",
    when: str = "Tirsdag den 27. oktober kl. 9-11",
    place: str = "Rådhuset, Torvet 1, 7100 Vejle",
    sender: str = "Mette Holm <meho@vejle.example>",
    subject: str | None = None,
    sent: datetime = datetime(2026, 9, 14, 10, 30, tzinfo=CPH_SUMMER),
    msgid: str | None = None,
    extra_headers: dict[str, str] | None = None,
    charset: str = "utf-8",
) -> bytes:
    """A plain-text submission with the common 'Tid:/Sted:' labels."""
    body = (
        "Hej Ledelsesugen\n\n"
        "Vi vil gerne have dette arrangement med i programmet.\n\n"
        f"{title}\n\n"
        f"Tid: {when}\n"
        f"Sted: {place}\n"
        "Målgruppe: Ledere i den offentlige sektor\n"
        "Tilmelding senest den 16. oktober til meho@vejle.example\n\n"
        "Venlig hilsen\nMette Holm\n"
    )
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "kontakt@ledelsesugen.dk"
    msg["Subject"] = subject if subject is not None else f"Arrangement: {title}"
    msg["Date"] = format_datetime(sent)
    msg["Message-ID"] = msgid or make_msgid(domain="vejle.example")
    for name, value in (extra_headers or {}).items():
        msg[name] = value
    msg.set_content(body, charset=charset)
    return bytes(msg)


def auto_reply(*, sent: datetime = datetime(2026, 9, 15, 8, 0, tzinfo=CPH_SUMMER)) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Jens Bo <jebo@kommune.example>"
    msg["To"] = "kontakt@ledelsesugen.dk"
    msg["Subject"] = "Automatisk svar: Ledelsesugen"
    msg["Date"] = format_datetime(sent)
    msg["Message-ID"] = make_msgid(domain="kommune.example")
    msg["Auto-Submitted"] = "auto-replied"
    msg.set_content("Jeg er fraværende til og med 20. september og læser ikke mails.\n")
    return bytes(msg)


def write_mails(folder: Path, mails: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, raw in mails.items():
        (folder / name).write_bytes(raw)
    return folder
