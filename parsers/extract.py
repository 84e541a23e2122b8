"""A first, thin extractor: MIME via the stdlib, 'Tid:/Sted:/Tilmelding' labels.

The deep Danish work replaces this module (issue 3); its signature stays.
"""

from __future__ import annotations

import email
import email.policy
import re
from email.utils import parseaddr, parsedate_to_datetime

from parsers.errors import ParseError
from parsers.model import Event, MailKind, ParsedMail

MONTHS = {"januar": 1, "februar": 2, "marts": 3, "april": 4, "maj": 5, "juni": 6, "juli": 7,
          "august": 8, "september": 9, "oktober": 10, "november": 11, "december": 12}


def extract(raw: bytes, *, tz: str = "Europe/Copenhagen") -> ParsedMail:
    if not isinstance(raw, (bytes, bytearray)) or not raw.strip():
        raise ParseError("empty message")
    try:
        msg = email.message_from_bytes(bytes(raw), policy=email.policy.default)
        subject = str(msg.get("Subject", "") or "")
        sender = str(msg.get("From", "") or "") or None
        body = msg.get_body(preferencelist=("plain", "html"))
        text = body.get_content() if body is not None else ""
    except Exception as exc:  # the stdlib raises many kinds on broken mail
        raise ParseError(f"unreadable MIME: {exc}") from exc
    try:
        date = parsedate_to_datetime(str(msg.get("Date", "")))
    except (TypeError, ValueError):
        date = None
    kind = MailKind.AUTO_REPLY if msg.get("Auto-Submitted", "no").lower() != "no" else MailKind.EVENT
    events = []
    m = re.search(r"(\d{1,2})\. (\w+) kl\. (\d{1,2})", text)
    if kind == MailKind.EVENT and m and m.group(2).lower() in MONTHS and date:
        start = f"{date.year}-{MONTHS[m.group(2).lower()]:02d}-{int(m.group(1)):02d}T{int(m.group(3)):02d}:00"
        events.append(Event(title=subject, start=start, confidence={"title": 0.3, "start": 0.5},
                            evidence={"title": subject, "start": m.group(0)}))
    if not events:
        kind = MailKind.OTHER if kind == MailKind.EVENT else kind
    return ParsedMail(
        message_id=str(msg.get("Message-ID", "") or "").strip() or None,
        subject=subject, sender=sender, sender_address=parseaddr(sender or "")[1] or None,
        date=date, in_reply_to=str(msg.get("In-Reply-To", "") or "").strip() or None,
        references=str(msg.get("References", "") or "").split(), kind=kind, events=events, text=text,
    )
