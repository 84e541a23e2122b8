"""MIME: raw bytes -> headers, text bodies, HTML bodies and attachments.

mail-parser does the usual work; the standard library's lenient parser, walked
iteratively with caps, takes over when mail-parser gives up. Nothing here runs
or fetches anything; sizes and depth are capped because mail is hostile input.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

log = logging.getLogger(__name__)

MAX_PARTS = 200
MAX_DEPTH = 256  # the walk is iterative: depth costs no stack
MAX_TEXT_CHARS = 200_000
MAX_ATTACHMENT_BYTES = 8 * 1024 * 1024
FALLBACK_CHARSETS = ("utf-8", "windows-1252")


@dataclass
class RawAttachment:
    filename: str | None
    content_type: str
    payload: bytes | None  # None when over the size cap or undecodable
    size: int
    note: str | None = None


@dataclass
class MimeMail:
    subject: str = ""
    sender: str | None = None
    sender_name: str | None = None
    sender_address: str | None = None
    date: datetime | None = None
    message_id: str | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    content_type: str = "text/plain"
    headers: dict[str, str] = field(default_factory=dict)  # lower-case name -> first value, decoded
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[RawAttachment] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, str | None]:
    """Text from bytes with the declared charset, else utf-8, else windows-1252; never raises."""
    tried = []
    for cs in ([charset] if charset else []) + list(FALLBACK_CHARSETS):
        cs = (cs or "").strip().strip('"').lower()
        if not cs or cs in tried or cs in ("utf-7", "unicode-1-1-utf-7"):  # utf-7 hides markup; never decode it
            continue
        tried.append(cs)
        try:
            fell_back = bool(charset) and cs != charset.strip().strip('"').lower()
            return data.decode(cs), f"charset {charset!r} not usable, read as {cs}" if fell_back else None
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", "replace"), f"undecodable text in charset {charset!r}, bad bytes replaced"


def header_text(value: object) -> str:
    """A header as readable text (RFC 2047 decoded, raw 8-bit tolerated, lone surrogates removed)."""
    if value is None:
        return ""
    text = str(value)
    try:
        text = str(make_header(decode_header(text)))
    except (UnicodeError, LookupError, ValueError, binascii.Error, AssertionError):
        pass
    text = text.encode("utf-8", "replace").decode("utf-8")
    return " ".join(text.split())[:2000]


MAX_FULL_PARSE_BYTES = 8 * 1024 * 1024
# a long run of base64 lines: an attachment's body, which is never read past the size cap anyway
LONG_BASE64_RUN = re.compile(rb"(?:[A-Za-z0-9+/=]{40,}\r?\n){2000,}")


def read_mime(raw: bytes) -> MimeMail:
    """Everything the extractor needs from the MIME structure."""
    skipped = False
    if len(raw) > MAX_FULL_PARSE_BYTES:  # keep memory bounded: drop huge encoded bodies before parsing
        raw, count = LONG_BASE64_RUN.subn(b"", raw)
        skipped = count > 0
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    mail = MimeMail()
    if skipped:
        mail.warnings.append(f"encoded parts over {MAX_FULL_PARSE_BYTES // 2**20} MB were not read")
    mail.headers = {}
    for name, value in msg.items()[:500]:
        mail.headers.setdefault(name.lower(), header_text(value))
    mail.subject = mail.headers.get("subject", "")
    mail.message_id = (mail.headers.get("message-id") or "").strip() or None
    mail.in_reply_to = (mail.headers.get("in-reply-to") or "").strip() or None
    mail.references = (mail.headers.get("references") or "").split()[:100]
    mail.content_type = msg.get_content_type()
    addresses = getaddresses([mail.headers.get("from", "")])
    if addresses and (addresses[0][0] or addresses[0][1]):
        name, addr = addresses[0]
        mail.sender_name = name or None
        mail.sender_address = addr.lower() if "@" in addr else None
        mail.sender = mail.headers.get("from")
    try:
        mail.date = parsedate_to_datetime(mail.headers.get("date", ""))
        if mail.date is not None and mail.date.tzinfo is None:
            mail.date = None
    except (TypeError, ValueError, IndexError, OverflowError):
        mail.date = None
        if mail.headers.get("date"):
            mail.warnings.append("unreadable Date header")
    for defect in msg.defects[:10]:
        mail.warnings.append(f"MIME defect: {defect.__class__.__name__}")
    _walk(msg, mail)
    return mail


def _walk(root: Message, mail: MimeMail) -> None:
    """Iterative, capped walk (hostile mail nests hundreds deep)."""
    stack: list[tuple[Message, int]] = [(root, 0)]
    seen = 0
    while stack:
        part, depth = stack.pop()
        seen += 1
        if seen > MAX_PARTS:
            mail.warnings.append(f"more than {MAX_PARTS} MIME parts: the rest were not read")
            return
        if depth > MAX_DEPTH:
            mail.warnings.append("MIME nesting too deep: inner parts not read")
            continue
        ctype = part.get_content_type()
        payload = part.get_payload()
        if part.is_multipart() and isinstance(payload, list):
            stack.extend((p, depth + 1) for p in reversed(payload) if isinstance(p, Message))
            continue
        if ctype == "message/rfc822" and isinstance(payload, list):
            stack.extend((p, depth + 1) for p in reversed(payload) if isinstance(p, Message))
            continue
        if ctype.startswith("multipart/"):
            # declared multipart but no parts found: read the body as text
            ctype = "text/plain"
        _leaf(part, ctype, mail)


def _leaf(part: Message, ctype: str, mail: MimeMail) -> None:
    filename = _filename(part)
    disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
    encoded = part.get_payload()
    if isinstance(encoded, str) and len(encoded) > MAX_ATTACHMENT_BYTES * 4 // 3 + 4096:
        # too large to read: not even decoded, so a huge part costs no memory twice
        size = len(encoded) * 3 // 4
        note = f"about {size // 2**20} MB, over {MAX_ATTACHMENT_BYTES // 2**20} MB: not read"
        mail.attachments.append(RawAttachment(filename or "(body part)", ctype, None, size, note))
        return
    data = _payload_bytes(part, mail)
    is_body_text = ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename
    if is_body_text:
        text, warning = decode_bytes(data or b"", part.get_content_charset())
        if warning:
            mail.warnings.append(warning)
        text = text[:MAX_TEXT_CHARS]
        (mail.plain if ctype == "text/plain" else mail.html).append(text)
        return
    size = len(data or b"")
    if data is not None and size > MAX_ATTACHMENT_BYTES:
        mail.attachments.append(RawAttachment(filename, ctype, None, size, f"over {MAX_ATTACHMENT_BYTES // 2**20} MB: not read"))
        return
    mail.attachments.append(RawAttachment(filename, ctype, data, size))


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except (UnicodeError, LookupError, ValueError, TypeError):
        return "(unreadable name)"
    return header_text(name)[:255] if name else None


def _payload_bytes(part: Message, mail: MimeMail) -> bytes | None:
    cte = (part.get("Content-Transfer-Encoding") or "").strip().lower()
    try:
        if cte == "base64":
            body = part.get_payload(decode=False)
            if not isinstance(body, str):
                return None
            return _lenient_b64(body)
        data = part.get_payload(decode=True)
    except (ValueError, TypeError, binascii.Error, LookupError, AssertionError) as exc:
        mail.warnings.append(f"undecodable part: {exc.__class__.__name__}")
        return None
    if data is None:
        body = part.get_payload()
        return body.encode("utf-8", "replace") if isinstance(body, str) else None
    return data


NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/]+")


def _lenient_b64(text: str) -> bytes:
    """Base64 that keeps what it can: drops characters outside the alphabet and a broken tail."""
    cleaned = NOT_BASE64.sub("", text.split("=", 1)[0])
    if len(cleaned) % 4 == 1:  # one stray character cannot encode anything
        cleaned = cleaned[:-1]
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned, validate=False)
    except (binascii.Error, ValueError):
        return b""
