"""What kind of mail this is: an event submission, or something to set aside.

Headers decide first (they are machine-set and reliable): Auto-Submitted,
multipart/report, List-Unsubscribe. Words decide the rest; they live in
patterns/kinds.json.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from core.model import MailKind
from parsers.mime import MimeMail

_KINDS = json.loads((Path(__file__).parent / "patterns" / "kinds.json").read_text(encoding="utf-8"))


def _any(words: list[str], text: str) -> bool:
    return any(w in text for w in words)


def is_machine_mail(mime: MimeMail) -> bool:
    """Mail that must never be answered automatically (RFC 3834 and bulk/list headers)."""
    h = mime.headers
    auto = h.get("auto-submitted", "no").strip().lower()
    return (auto not in ("", "no") or "list-unsubscribe" in h or "list-id" in h
            or h.get("precedence", "").lower() in ("bulk", "list", "junk", "auto_reply")
            or "x-autoreply" in h or "x-autorespond" in h)


def header_kind(mime: MimeMail) -> MailKind | None:
    h = mime.headers
    subject = mime.subject.lower()
    sender = (mime.sender or "").lower()
    if mime.content_type == "multipart/report" or _any(_KINDS["bounce_senders"], sender) or (
        _any(_KINDS["bounce_subject"], subject) and "report" in h.get("content-type", "")):
        return MailKind.BOUNCE
    auto = h.get("auto-submitted", "no").strip().lower()
    if auto.startswith("auto-replied") or "x-autoreply" in h or "x-autorespond" in h or (
        h.get("precedence", "").lower() == "auto_reply"):
        return MailKind.AUTO_REPLY
    if _any(_KINDS["auto_reply_subject"], subject) and (auto not in ("", "no") or "x-auto-response-suppress" in h):
        return MailKind.AUTO_REPLY
    if "list-unsubscribe" in h or "list-id" in h or h.get("precedence", "").lower() in ("bulk", "list"):
        return MailKind.NEWSLETTER
    if auto not in ("", "no"):
        return MailKind.OTHER
    return None


def text_kind(subject: str, own_text: str, has_event: bool, *, dates_asked: bool = False) -> MailKind:
    """Kind from the words of the author's own text, when no header decided it.

    `dates_asked`: every event date found stands in a question ("Kan vi mødes tirsdag den 13. oktober?").
    """
    s, t = subject.lower(), own_text.lower()
    if _any(_KINDS["bounce_subject"], s):
        return MailKind.BOUNCE
    if _any(_KINDS["auto_reply_subject"], s) and _any(_KINDS["auto_reply_body"], t):
        return MailKind.AUTO_REPLY
    if _any(_KINDS["newsletter_body"], t):
        return MailKind.NEWSLETTER
    if has_event and _any(_KINDS["private_markers"], t) and re.search(r"skal ikke (?:i|med i) (?:kalenderen|programmet)|ikke offentlig|internt", t):
        return MailKind.OTHER
    if has_event and dates_asked:
        return MailKind.QUESTION  # "can we meet on …?": a date asked about is not an event announced
    if has_event and _any(_KINDS["rsvp_markers"], t) and not _any(_KINDS["offer_markers"], t):
        return MailKind.OTHER  # "tak for invitationen … jeg kommer gerne"
    questions = t.count("?")
    if questions and _any(_KINDS["tentative_markers"], t) and (questions >= 2 or _any(_KINDS["question_markers"], t)):
        return MailKind.QUESTION  # "we are thinking of a date …, how do we take part?": not yet an event
    if not has_event:
        return MailKind.QUESTION if questions and _any(_KINDS["question_markers"], t) or questions >= 2 else MailKind.OTHER
    return MailKind.EVENT
