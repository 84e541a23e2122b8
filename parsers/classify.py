"""Mail that a machine says what it is: bounces, auto-replies, mailing lists, read receipts.

These headers are set by mail servers and programs (RFC 3464 delivery reports, RFC 3798 read
receipts, RFC 3834 Auto-Submitted, RFC 2369 List-*), so they decide before any words are read.
Everything else, the mail people write, is left to the fitted kind model (parsers/decide.py).
Words live in patterns/kinds.json.
"""

from __future__ import annotations

import json
from pathlib import Path

from core.model import MailKind

_KINDS = json.loads((Path(__file__).parent / "patterns" / "kinds.json").read_text(encoding="utf-8"))


def _any(words: list[str], text: str) -> bool:
    return any(w in text for w in words)


def machine_kind(headers: dict[str, str], subject: str, sender: str | None) -> MailKind | None:
    """The kind a mail's machine-set headers give it, or None when people wrote it."""
    h = headers
    subject = subject.lower()
    sender = (sender or "").lower()
    ctype = h.get("content-type", "").lower()
    auto = h.get("auto-submitted", "no").strip().lower()
    if "multipart/report" in ctype and "disposition-notification" in ctype:
        return MailKind.OTHER  # a read receipt
    if "multipart/report" in ctype or _any(_KINDS["bounce_senders"], sender) and _any(_KINDS["bounce_subject"], subject):
        return MailKind.BOUNCE  # a report, or the mail system's sender with a bounce's subject (not a spoofed "Postmaster")
    if auto.startswith("auto-replied") or "x-autoreply" in h or "x-autorespond" in h or \
            h.get("precedence", "").lower() == "auto_reply":
        return MailKind.AUTO_REPLY
    if _any(_KINDS["auto_reply_subject"], subject) and (auto not in ("", "no") or "x-auto-response-suppress" in h):
        return MailKind.AUTO_REPLY
    if auto not in ("", "no"):
        return MailKind.OTHER  # auto-generated: a reminder, a notice from a system (lists may send those too)
    if "list-unsubscribe" in h or "list-id" in h:
        return MailKind.NEWSLETTER
    return None
