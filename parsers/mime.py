"""MIME: raw bytes -> headers, text bodies, HTML bodies and attachments (a `MimeMail`).

Who reads what
--------------
The standard library's compat32 parser turns the bytes into a tree of parts (it is
what mail-parser itself calls; building the tree here lets us bound it first).

mail-parser (`mailparser.MailParser`) then reads the bodies: it sorts the parts into
text, HTML and attachments and decodes them. Its address parser
(`mailparser.utils.get_addresses`, which finds the real mailbox behind a display name
made to look like an address) reads the sender, and its RFC 5322 date reader
(`mailparser.dates.parse_mail_date`, strict: a 100-hour zone or a year past 9999 is
no date) reads the Date header, for every mail.

Our own walk of the same tree (`_walk`) reads the bodies instead when mail-parser
cannot give what we need, decided per message; `MimeMail.fallback` says why.
Measured on the hostile corpus and on hand-built mail (bench/mime.py prints the counts):

- before mail-parser runs (`_survey`): more than MAILPARSER_MAX_PARTS parts, deeper
  than MAILPARSER_MAX_DEPTH (its walk is recursive and does work per part), more than
  MAILPARSER_MAX_HEADERS header fields or MAILPARSER_MAX_HEADER_CHARS of headers;
  a forwarded mail attached as message/rfc822 (it flattens every attached message to a
  string again, so the time grows with the square of the nesting: 50 forwards 0.2 s,
  100 forwards 0.7 s, and from about 150 it raises RecursionError on mail the standard
  library reads in milliseconds; it also keeps no headers of the forwarded mail);
  a multipart whose body has no parts (a missing or unused boundary: it gives no
  text at all); a multipart marked as an attachment; an attachment without a name (it
  invents a random one, so the same mail would read differently each time); a UTF-7
  body (it decodes it, which hides markup: we read UTF-7 as ASCII);
- after it ran: it raised; it could not decode a body in the declared charset
  (CharsetDecodeDefect: it falls back to UTF-8 with U+FFFD, which loses æ, ø and å
  of the windows-1252 text a mislabelled Danish mail nearly always is); a part's
  headers had bytes that are not UTF-8 (MimeHeaderDefect: it replaces them with
  U+FFFD); it kept text of a type other than plain or HTML without its type (an inline
  text/calendar from Outlook); it made a text or HTML part with a ``name=`` but no
  ``Content-Disposition: attachment`` an attachment (it is the body: web forms and
  Outlook name their body parts); a body it decoded is UTF-8 read as latin-1 (mojibake).

Both readers give the same result wherever mail-parser is used (tests compare them).

Headers are decoded here (`header_text`), not by mail-parser's `decode_header_part`:
that joins encoded words without the spaces RFC 2047 keeps ("Åse Frølund<aase@…>")
and drops the bytes it cannot decode ("på Ådalen" in raw latin-1 became "p dalen",
a word in an unknown charset vanished). Here raw 8-bit bytes and words in an unknown
charset are read as UTF-8, else windows-1252, a malformed word is kept as written,
and control and bidi-override characters are removed. Message-ID, In-Reply-To and
References are kept as written (never RFC 2047-decoded).

Nothing here runs or fetches anything. Warnings (English, for developers) go to
`MimeMail.warnings`; nothing raises but ParseError for a message that cannot be parsed
at all (texts for reviewers are Danish).

Limits (mail is hostile input; each limit is a warning when it bites)
---------------------------------------------------------------------
- MAX_FULL_PARSE_BYTES 8 MiB: in a mail larger than that, base64 bodies over
  MAX_ATTACHMENT_BYTES (never decoded anyway) are dropped before parsing, and the
  attachment is listed with its size;
  MAX_PARSE_BYTES 16 MiB: what is left beyond it is not parsed at all.
- Before parsing, a Content-Type or Content-Disposition field is cut to MAX_MIME_HEADER_CHARS
  16 kB and MAX_MIME_PARAMETERS 128 parameters (the standard library's parameter parser
  is quadratic in the ';' inside quotes, and its parser runs it on every multipart).
- MAX_HEADERS 500 distinct header names kept; MAX_HEADER_CHARS 2,000 per value;
  MAX_ADDRESS_CHARS 10,000 of From read for the sender; MAX_REFERENCES 100 ids
  (the thread's root and the most recent ones).
- MAX_PARTS 1,000 parts walked; MAX_DEPTH 512 levels (the walk is iterative, so depth
  costs no stack; the standard library's parser itself gives up at about 900 levels:
  ParseError). mail-parser reads the bodies only below MAILPARSER_MAX_PARTS 200 parts,
  MAILPARSER_MAX_DEPTH 50 levels, MAILPARSER_MAX_HEADERS 1,000 header fields and
  MAILPARSER_MAX_HEADER_CHARS 256 kB of headers (it parses every header: every Received
  line, every address in To and Cc; 5,000 Received cost 0.2 s, 50,000 addresses 5 s).
- MAX_TEXT_CHARS 200,000 per body part, MAX_TOTAL_TEXT_CHARS 1,000,000 over all.
- MAX_ATTACHMENT_BYTES 8 MiB per attachment (larger ones are listed with a note, not
  decoded); MAX_ATTACHMENTS 50 listed; MAX_FORWARDED 20 forwarded mails described.
"""

from __future__ import annotations

import binascii
import email
import email.policy
import email.quoprimime
import logging
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.message import Message
from email.utils import parsedate_tz

from mailparser import MailParser
from mailparser.dates import parse_mail_date
from mailparser.utils import decode_base64_payload, get_addresses

from parsers.errors import ParseError

# mail-parser logs every odd part at warning/error level; on hostile mail that is expected,
# and what matters is in MimeMail.warnings
logging.getLogger("mailparser").setLevel(logging.CRITICAL)

MAX_FULL_PARSE_BYTES = 8 * 1024 * 1024
MAX_PARSE_BYTES = 16 * 1024 * 1024
MAX_HEADERS = 500
MAX_HEADER_CHARS = 2000
MAX_MIME_HEADER_CHARS = 16 * 1024
MAX_MIME_PARAMETERS = 128
MAX_ADDRESS_CHARS = 10_000
MAX_REFERENCES = 100
MAX_PARTS = 1000
MAX_DEPTH = 512
MAILPARSER_MAX_PARTS = 200
MAILPARSER_MAX_DEPTH = 50
MAILPARSER_MAX_HEADERS = 1000
MAILPARSER_MAX_HEADER_CHARS = 256 * 1024
MAX_TEXT_CHARS = 200_000
MAX_TOTAL_TEXT_CHARS = 1_000_000
MAX_ATTACHMENT_BYTES = 8 * 1024 * 1024
MAX_ATTACHMENTS = 50
MAX_FORWARDED = 20
MAX_WARNINGS = 40
BODY_TYPES = ("text/plain", "text/html")
# headers a mail has at most once (RFC 5322 3.6); a second one is read past, with a warning
SINGLE_HEADERS = ("from", "sender", "subject", "date", "message-id", "in-reply-to", "references",
                  "content-type", "content-transfer-encoding", "mime-version")
# charsets whose bytes are all text, so UTF-8 mislabelled as one of them decodes without error into mojibake
SINGLE_BYTE_WESTERN = {"us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1", "iso-8859-15", "windows-1252", "cp1252"}
NEVER_DECODE = {"utf-7", "unicode-1-1-utf-7", "utf7"}  # UTF-7 hides markup ("+ADw-script+AD4-"): read as ASCII
FALLBACK_CHARSETS = ("utf-8", "windows-1252")


@dataclass
class RawAttachment:
    filename: str | None
    content_type: str
    payload: bytes | None  # None when over the size cap or undecodable
    size: int
    note: str | None = None  # for reviewers (Danish): why it was not read
    disposition: str | None = None  # "attachment", "inline" or None, as the part says
    content_id: str | None = None
    charset: str | None = None  # the part's declared charset (a calendar's text)
    forwarded: bool = False  # inside a forwarded mail (message/rfc822)


@dataclass
class ForwardedMail:
    """A mail forwarded as an attachment (message/rfc822): its headers and its own text."""

    subject: str = ""
    sender: str | None = None
    sender_name: str | None = None
    sender_address: str | None = None
    date: datetime | None = None
    message_id: str | None = None
    plain: list[str] = field(default_factory=list)  # also in MimeMail.plain, in order
    html: list[str] = field(default_factory=list)  # also in MimeMail.html


@dataclass
class MimeMail:
    subject: str = ""
    sender: str | None = None  # "Name <addr>" of the first mailbox in From
    sender_name: str | None = None
    sender_address: str | None = None
    date: datetime | None = None  # aware, in the sender's own offset
    message_id: str | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    content_type: str = "text/plain"
    headers: dict[str, str] = field(default_factory=dict)  # lower-case name -> first value, decoded
    plain: list[str] = field(default_factory=list)  # text bodies in order (a forwarded mail's too)
    html: list[str] = field(default_factory=list)
    attachments: list[RawAttachment] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    forwarded: list[ForwardedMail] = field(default_factory=list)  # mails attached as message/rfc822
    reader: str = "mail-parser"  # who read the bodies: "mail-parser" or "walk"
    fallback: str | None = None  # why the walk read them (None when mail-parser did)

    def warn(self, text: str) -> None:
        if len(self.warnings) < MAX_WARNINGS and text not in self.warnings:
            self.warnings.append(text)


# ------------------------------------------------------------------ text


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, str | None]:
    """Text from bytes in the declared charset, else UTF-8, else windows-1252; never raises.

    UTF-8 labelled as a single-byte Western charset (it decodes without error into
    "MorgenmÃ¸de") is read as UTF-8: valid multi-byte UTF-8 does not occur in real latin-1 text.
    Returns the text and a warning, or None when the declared charset served.
    """
    declared = (charset or "").strip().strip("\"'").lower()
    if declared in SINGLE_BYTE_WESTERN and not data.isascii():
        try:
            return data.decode("utf-8"), f"charset {declared!r} declared, but the bytes are UTF-8: read as UTF-8"
        except UnicodeDecodeError:
            pass
    tried: list[str] = []
    for cs in ([declared] if declared else []) + list(FALLBACK_CHARSETS):
        if not cs or cs in tried or cs in NEVER_DECODE:
            continue
        tried.append(cs)
        try:
            text = data.decode(cs)
        except (LookupError, UnicodeError, ValueError):
            continue
        return text, (f"charset {charset!r} not usable, read as {cs}" if declared and cs != declared else None)
    return data.decode("windows-1252", "replace"), f"undecodable text in charset {charset!r}: bad bytes replaced"


def _raw_text(value: str) -> str:
    """A compat32 header value as text: its raw 8-bit bytes (kept as surrogates) read as UTF-8, else windows-1252."""
    if value.isascii():
        return value
    data = value.encode("utf-8", "surrogateescape")
    return decode_bytes(data, None)[0]


# C0 and C1 controls, DEL, bidi embeddings/overrides/isolates, zero-width space and BOM:
# they spoof what a reviewer sees (CVE-2021-42574) or inject lines into logs and headers
_INVISIBLE = "\u200b\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff"
_CONTROLS_KEEP_LINES = re.compile(f"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f{_INVISIBLE}]")
_INVISIBLE_CHARS = re.compile(f"[{_INVISIBLE}]")
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """Body text as the extractor and the database take it: NFC, LF line ends, no controls or lone surrogates."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    return unicodedata.normalize("NFC", _CONTROLS_KEEP_LINES.sub("", text))


def _one_line(text: str, limit: int = MAX_HEADER_CHARS) -> str:
    text = _CONTROLS.sub(" ", _INVISIBLE_CHARS.sub("", text[: limit * 4]))
    return unicodedata.normalize("NFC", " ".join(text.split()))[:limit]


_ENCODED_WORD = re.compile(r"=\?([^?\s]*)\?([bBqQ])\?([^?\s]*)\?=")


def _word_bytes(encoding: str, text: str) -> bytes | None:
    try:
        if encoding in "bB":
            return decode_base64_payload(text)  # mail-parser's lenient base64, as for attachments
        return email.quoprimime.header_decode(text).encode("latin-1", "replace")
    except (binascii.Error, ValueError):
        return None


def _decode_words(text: str) -> str:
    """RFC 2047 encoded words decoded. White space between two words is not text (RFC 2047 6.2),
    and adjacent words in one charset are joined as bytes first (clients split a character across two)."""
    if "=?" not in text:
        return text
    out: list[str] = []
    pending: tuple[str, bytes] | None = None  # a run of words not yet decoded: charset, bytes
    after_word = False
    at = 0
    for m in _ENCODED_WORD.finditer(text):
        gap = text[at:m.start()]
        charset = m.group(1).split("*", 1)[0].lower()  # RFC 2231 language: "utf-8*da" is UTF-8 (Danish)
        data = _word_bytes(m.group(2), m.group(3))
        if data is None:  # malformed: kept as written
            out.extend(_flush(pending) + [gap, m.group(0)])
            pending, after_word = None, False
        elif after_word and not gap.strip(" \t\r\n"):
            if pending and pending[0] == charset:
                pending = (charset, pending[1] + data)
            else:
                out.extend(_flush(pending))
                pending = (charset, data)
        else:
            out.extend(_flush(pending) + [gap])
            pending, after_word = (charset, data), True
        at = m.end()
    out.extend(_flush(pending) + [text[at:]])
    return "".join(out)


def _flush(pending: tuple[str, bytes] | None) -> list[str]:
    return [decode_bytes(pending[1], pending[0])[0]] if pending else []


def header_text(value: object, limit: int = MAX_HEADER_CHARS) -> str:
    """A header value as one line of readable text (see the module docstring); never raises."""
    if value is None:
        return ""
    return _one_line(_decode_words(_raw_text(str(value)[: limit * 8])), limit)


def _id_text(value: str | None) -> str | None:
    """Message-ID and the like: as written (never RFC 2047-decoded), on one line, controls removed."""
    if value is None:
        return None
    return _one_line(_raw_text(value), 1000) or None


# ------------------------------------------------------------------ the message


# a run of base64 lines, matched only from a line's start and without backtracking (possessive), so the
# scan is linear: the earlier pattern "(?:[A-Za-z0-9+/=]{40,}\r?\n){2000,}" took 35 s on 8 MB of 800-line runs
BASE64_RUN = re.compile(rb"^(?:[A-Za-z0-9+/=]{40,}+\r?\n)++", re.MULTILINE)
# what stands in the part for a base64 run dropped before parsing, so the attachment is listed with its size
SKIPPED = re.compile(r"=kontakt-skipped:(\d{1,12})=")


def read_mime(raw: bytes, *, use_mailparser: bool = True) -> MimeMail:
    """Everything the extractor needs from the MIME structure. Raises ParseError only when the
    bytes cannot be parsed into a message at all. `use_mailparser=False`: the walk reads the
    bodies (bench/mime.py and the tests compare the two readers)."""
    mail = MimeMail()
    message = _parse(_bounded(raw, mail))
    _read_headers(message, mail)
    reason = _survey(message, mail) if use_mailparser else "asked for the walk"
    if reason is None:
        reason = _read_with_mailparser(message, mail)
    if reason is not None:
        mail.reader, mail.fallback = "walk", reason
        _walk(message, mail)
    return mail


# Content-Type and Content-Disposition fields, with their continuation lines (linear: anchored, possessive)
MIME_HEADER_FIELD = re.compile(rb"^content-(?:type|disposition)[ \t]*:[^\r\n]*+(?:\r?\n[ \t][^\r\n]*+)*+",
                               re.IGNORECASE | re.MULTILINE)


def _bounded(raw: bytes, mail: MimeMail) -> bytes:
    cut = 0

    def shorten(found: re.Match[bytes]) -> bytes:
        # the standard library's parameter parser is quadratic in the ';' inside quotes (40,000 took 2 s),
        # and its own parser runs it on every multipart's Content-Type: such a field is cut before parsing
        nonlocal cut
        field = found.group(0)
        if len(field) <= MAX_MIME_HEADER_CHARS and field.count(b";") <= MAX_MIME_PARAMETERS:
            return field
        cut += 1
        return b";".join(field[:MAX_MIME_HEADER_CHARS].split(b";")[: MAX_MIME_PARAMETERS + 1])

    raw = MIME_HEADER_FIELD.sub(shorten, raw)
    if cut:
        mail.warn(f"{cut} Content-Type/Content-Disposition field(s) over {MAX_MIME_HEADER_CHARS:,} characters or "
                  f"{MAX_MIME_PARAMETERS} parameters were cut")
    if len(raw) > MAX_FULL_PARSE_BYTES:  # keep memory bounded: drop huge encoded bodies before parsing
        dropped = 0

        def drop(run: re.Match[bytes]) -> bytes:
            nonlocal dropped
            if len(run.group(0)) * 3 // 4 <= MAX_ATTACHMENT_BYTES:  # read as usual
                return run.group(0)
            dropped += 1
            return b"=kontakt-skipped:%d=\r\n" % (len(run.group(0)) * 3 // 4)

        raw = BASE64_RUN.sub(drop, raw)
        if dropped:
            mail.warn(f"{dropped} attachment(s) over {MAX_ATTACHMENT_BYTES // 2**20} MB in a mail over "
                      f"{MAX_FULL_PARSE_BYTES // 2**20} MB: not parsed")
    if len(raw) > MAX_PARSE_BYTES:
        raw = raw[:MAX_PARSE_BYTES]
        mail.warn(f"only the first {MAX_PARSE_BYTES // 2**20} MB of the mail were read")
    return raw


def _parse(raw: bytes) -> Message:
    try:
        return email.message_from_bytes(raw, policy=email.policy.compat32)
    except RecursionError as exc:  # the standard library's parser recurses once per nested multipart
        raise ParseError("Mailens MIME-dele er indlejret i flere hundrede lag og kan ikke læses.") from exc


def _read_headers(message: Message, mail: MimeMail) -> None:
    items = list(message.raw_items())
    counts = Counter(name.lower() for name, _ in items)
    raw: dict[str, str] = {}
    for name, value in items:
        key = name.lower()
        if key in raw:
            continue
        if len(raw) >= MAX_HEADERS:
            mail.warn(f"more than {MAX_HEADERS} different headers: the rest were not read")
            break
        raw[key] = value
        mail.headers[key] = header_text(value)
    for key in SINGLE_HEADERS:
        if counts[key] > 1:
            mail.warn(f"{key} header given {counts[key]} times: the first was read")
    mail.subject = mail.headers.get("subject", "")
    mail.message_id = _id_text(raw.get("message-id"))
    mail.in_reply_to = _id_text(raw.get("in-reply-to"))
    mail.references = _references(raw.get("references"))
    mail.content_type = _view(message).get_content_type()
    mail.sender, mail.sender_name, mail.sender_address = _sender(raw.get("from"), mail)
    mail.date = _date(raw.get("date"), mail)
    for defect in message.defects[:10]:
        mail.warn(f"MIME defect: {defect.__class__.__name__}")


def _references(value: str | None) -> list[str]:
    """The thread's root and the most recent ancestors (a loop may carry thousands)."""
    ids = (value or "").split()
    ids = ids if len(ids) <= MAX_REFERENCES else ids[:1] + ids[-(MAX_REFERENCES - 1):]
    return list(dict.fromkeys(i for i in map(_id_text, ids) if i))


def _sender(value: str | None, mail: MimeMail) -> tuple[str | None, str | None, str | None]:
    """(display "Name <addr>", name, address) of the first mailbox in From, read by mail-parser."""
    if not value:
        return None, None, None
    text = _raw_text(value)[:MAX_ADDRESS_CHARS]
    try:
        addresses = get_addresses(text)
    except Exception as exc:  # a third-party parser on hostile input: no sender rather than no mail
        mail.warn(f"From not readable as addresses: {exc.__class__.__name__}")
        addresses = []
    for name, address in addresses:
        if "@" in address:
            name = header_text(name) or None
            address = _one_line(address, 320).lower()
            return (f"{name} <{address}>" if name else address), name, address
    display = header_text(value)
    return display or None, display or None, None


def _date(value: str | None, mail: MimeMail) -> datetime | None:
    """The Date header, aware, in the sender's own offset (mail-parser's reading; its reasons as warnings)."""
    if not value:
        return None
    text = _one_line(_raw_text(value), 200)
    result = parse_mail_date(text)
    if result.reasons:
        mail.warn(f"Date header {text[:60]!r}: {', '.join(result.reasons)}")
    if result.value is None:
        return None
    try:  # the offset as written (mail-parser keeps it only rounded to a tenth of an hour)
        parts = parsedate_tz(text)
    except (ValueError, IndexError, TypeError, OverflowError):
        parts = None
    offset = parts[9] if parts and parts[9] is not None and abs(parts[9]) < 86400 else 0
    try:
        return result.value.astimezone(timezone(timedelta(seconds=offset)))
    except (OverflowError, ValueError):
        return result.value


# ------------------------------------------------------------------ parts


def _view(part: Message) -> Message:
    """The part's MIME headers as proper text (raw 8-bit bytes read as UTF-8, else windows-1252).

    compat32 returns a header with raw 8-bit bytes as a `Header` object, which has no str
    methods (`'Header' object has no attribute 'split'`); its get_filename/get_param return
    surrogates. The view has the four MIME headers only, as plain strings, so every accessor
    (get_content_type, get_content_disposition, get_filename with RFC 2231, get_content_charset)
    works on it. (mail-parser's `mime_header_view` does the same, but replaces bytes that are not
    UTF-8 with U+FFFD, where a Danish name in windows-1252 keeps its letters here.)"""
    view = Message()
    view.set_default_type(part.get_default_type())
    for name, value in part.raw_items():
        if name.lower() in ("content-type", "content-disposition", "content-id", "content-transfer-encoding"):
            view[name] = _raw_text(value)
    return view


def _filename(view: Message) -> str | None:
    try:
        name = view.get_filename()
    except (UnicodeError, LookupError, ValueError, TypeError):  # RFC 2231 with a broken charset or continuation
        return "(ulæseligt navn)"
    return header_text(name, 255) or None if name else None


def _charset(view: Message) -> str | None:
    try:
        return view.get_content_charset()
    except (UnicodeError, LookupError, ValueError, TypeError):
        return None


def _disposition(value: str | None) -> str | None:
    token = (value or "").split(";", 1)[0].strip().lower()
    return token or None


def _survey(message: Message, mail: MimeMail) -> str | None:
    """Why mail-parser must not read this message's bodies (module docstring), or None. Iterative."""
    if len(message) > MAILPARSER_MAX_HEADERS:
        return f"more than {MAILPARSER_MAX_HEADERS} header fields"
    if sum(len(value) for _, value in message.raw_items()) > MAILPARSER_MAX_HEADER_CHARS:
        return f"headers over {MAILPARSER_MAX_HEADER_CHARS:,} characters"
    stack: list[tuple[Message, int]] = [(message, 0)]
    seen = 0
    while stack:
        part, depth = stack.pop()
        seen += 1
        if seen > MAILPARSER_MAX_PARTS:
            return f"more than {MAILPARSER_MAX_PARTS} parts"
        if depth > MAILPARSER_MAX_DEPTH:
            return f"parts nested deeper than {MAILPARSER_MAX_DEPTH}"
        view = _view(part)
        ctype = view.get_content_type()
        payload = part.get_payload()
        if ctype == "message/rfc822":
            return "a forwarded mail is attached (message/rfc822)"
        if isinstance(payload, list):
            if _disposition(view.get("content-disposition")) == "attachment":
                return "a multipart part is marked as an attachment"
            stack.extend((p, depth + 1) for p in reversed(payload) if isinstance(p, Message))
            continue
        if ctype.startswith("multipart/"):
            return "a multipart without parts (boundary missing or not used)"
        disposition = _disposition(view.get("content-disposition"))
        if not _filename(view) and (disposition == "attachment" or ctype == "text/rtf"):
            return "an attachment without a name"
        if ctype in BODY_TYPES and (_charset(view) or "") in NEVER_DECODE:
            return "a UTF-7 body"
    return None


# a UTF-8 sequence of æ, ø, å, é … read as latin-1 or windows-1252 ("Ã¸", "Ã¥", "Ã©")
_MOJIBAKE = re.compile("[ÂÃ][\u0080-\u00bf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]")


def _read_with_mailparser(message: Message, mail: MimeMail) -> str | None:
    """mail-parser reads the bodies and attachments into `mail`; or the reason it cannot (nothing is set then)."""
    try:
        parser = MailParser(message)
    except Exception as exc:  # a third-party reader on hostile input: any failure means the walk reads it
        return f"mail-parser failed: {exc.__class__.__name__}: {str(exc)[:120]}"
    if "CharsetDecodeDefect" in parser.defects_categories:
        return "a body not decodable in its declared charset"
    if "MimeHeaderDefect" in parser.defects_categories:
        return "a part's headers are not UTF-8"
    if parser.text_not_managed:
        return "a text part other than plain or HTML (such as an inline calendar)"
    texts = _Texts(mail)
    for kind, found in (("plain", parser.text_plain), ("html", parser.text_html)):
        for text in found:
            if _MOJIBAKE.search(text):
                return "a body in UTF-8 labelled as latin-1 (mojibake)"
            texts.add(kind, text, None)
    attachments = []
    for entry in parser.attachments:
        ctype = str(entry.get("mail_content_type") or "application/octet-stream").lower()
        disposition = _disposition(entry.get("content-disposition"))
        if ctype in BODY_TYPES and disposition != "attachment":
            return "a text or HTML body part with a name"
        attachments.append(_mailparser_attachment(entry, ctype, disposition))
    texts.commit()
    for attachment in attachments:
        _add_attachment(mail, attachment)
    return None


def _mailparser_attachment(entry: dict, ctype: str, disposition: str | None) -> RawAttachment:
    content_id = _one_line(str(entry.get("content-id") or ""), 300) or None
    filename = entry.get("filename")
    filename = None if not filename or filename == entry.get("content-id") else _one_line(str(filename), 255)
    encoded = entry.get("payload") or ""
    charset = entry.get("charset") or None
    if not entry.get("binary"):  # text kept as text (mail-parser flattens multipart attachments: not reached)
        data = str(encoded).encode("utf-8", "surrogateescape")
        return _attachment(filename, ctype, data, len(data), disposition, content_id, charset)
    size = _encoded_size(encoded)
    if size > MAX_ATTACHMENT_BYTES:
        return _too_large(filename, ctype, size, disposition, content_id, charset)
    try:
        data = decode_base64_payload(encoded)
    except (binascii.Error, ValueError):
        data = None
    return _attachment(filename, ctype, data, len(data or b""), disposition, content_id, charset)


def _attachment(filename: str | None, ctype: str, data: bytes | None, size: int, disposition: str | None,
                content_id: str | None, charset: str | None, forwarded: bool = False) -> RawAttachment:
    if data is not None and size > MAX_ATTACHMENT_BYTES:
        return _too_large(filename, ctype, size, disposition, content_id, charset, forwarded)
    note = None if data is not None else "kunne ikke afkodes"
    return RawAttachment(filename, ctype, data, size, note, disposition, content_id, charset, forwarded)


def _too_large(filename: str | None, ctype: str, size: int, disposition: str | None, content_id: str | None,
               charset: str | None, forwarded: bool = False) -> RawAttachment:
    note = f"ca. {max(size // 2**20, 1)} MB, over {MAX_ATTACHMENT_BYTES // 2**20} MB: ikke læst"
    return RawAttachment(filename, ctype, None, size, note, disposition, content_id, charset, forwarded)


def _encoded_size(encoded: str) -> int:
    """About how many bytes a base64 body holds (a run dropped by `_bounded` counts with its size)."""
    skipped = SKIPPED.search(encoded) if len(encoded) < 65536 else None
    return int(skipped.group(1)) + len(encoded) * 3 // 4 if skipped else len(encoded) * 3 // 4


def _add_attachment(mail: MimeMail, attachment: RawAttachment) -> None:
    if len(mail.attachments) >= MAX_ATTACHMENTS:
        mail.warn(f"more than {MAX_ATTACHMENTS} attachments: the rest were not listed")
        return
    mail.attachments.append(attachment)


class _Texts:
    """Body texts collected under the caps, then put in the mail at once."""

    def __init__(self, mail: MimeMail) -> None:
        self.mail = mail
        self.found: list[tuple[str, str, ForwardedMail | None]] = []
        self.total = 0

    def add(self, kind: str, text: str, forwarded: ForwardedMail | None) -> None:
        text = clean_text(text[: MAX_TEXT_CHARS * 2])  # cut before cleaning: a 5 MB part costs no more than a short one
        if not text.strip():
            return
        if len(text) > MAX_TEXT_CHARS:
            self.mail.warn(f"a body part over {MAX_TEXT_CHARS:,} characters was cut")
            text = text[:MAX_TEXT_CHARS]
        if self.total + len(text) > MAX_TOTAL_TEXT_CHARS:
            self.mail.warn(f"body text over {MAX_TOTAL_TEXT_CHARS:,} characters: the rest was not read")
            return
        self.total += len(text)
        self.found.append((kind, text, forwarded))

    def commit(self) -> None:
        for kind, text, forwarded in self.found:
            getattr(self.mail, kind).append(text)
            if forwarded is not None:
                getattr(forwarded, kind).append(text)
        self.found = []


# ------------------------------------------------------------------ the walk (fallback)


def _walk(root: Message, mail: MimeMail) -> None:
    """Every part, iteratively and capped; bodies by content type and disposition (module docstring)."""
    texts = _Texts(mail)
    stack: list[tuple[Message, int, ForwardedMail | None]] = [(root, 0, None)]
    seen = 0
    while stack:
        part, depth, forwarded = stack.pop()
        seen += 1
        if seen > MAX_PARTS:
            mail.warn(f"more than {MAX_PARTS} MIME parts: the rest were not read")
            break
        if depth > MAX_DEPTH:
            mail.warn(f"MIME parts nested deeper than {MAX_DEPTH}: the inner ones were not read")
            continue
        view = _view(part)
        ctype = view.get_content_type()
        payload = part.get_payload()
        if isinstance(payload, list):
            if ctype == "message/rfc822":
                forwarded = _forwarded(payload, mail) or forwarded
            stack.extend((p, depth + 1, forwarded) for p in reversed(payload) if isinstance(p, Message))
            continue
        if ctype.startswith("multipart/") and depth < MAX_DEPTH:
            inner = _repaired_multipart(part, view, mail)
            if inner is not None:
                stack.append((inner, depth + 1, forwarded))
                continue
            mail.warn(f"{ctype} without parts: its body read as text")
            ctype = "text/plain"
        _leaf(part, view, ctype, texts, mail, forwarded)
    texts.commit()


def _forwarded(payload: list, mail: MimeMail) -> ForwardedMail | None:
    inner = next((p for p in payload if isinstance(p, Message)), None)
    if inner is None or len(mail.forwarded) >= MAX_FORWARDED:
        return None
    described = MimeMail()
    _read_headers(inner, described)
    forwarded = ForwardedMail(subject=described.subject, sender=described.sender, sender_name=described.sender_name,
                              sender_address=described.sender_address, date=described.date,
                              message_id=described.message_id)
    mail.forwarded.append(forwarded)
    return forwarded


_DELIMITER = re.compile(r"^--([^\s-][^\r\n]{0,69}?)[ \t]*\r?$", re.MULTILINE)


def _repaired_multipart(part: Message, view: Message, mail: MimeMail) -> Message | None:
    """A multipart the parser found no parts in, parsed again: its body decoded when it was (illegally)
    transfer-encoded, and cut at the delimiter lines it really uses when its boundary is missing or another."""
    body = part.get_payload(decode=True) or b""
    cte = (view.get("content-transfer-encoding") or "").strip().lower()
    text = body.decode("ascii", "surrogateescape")
    found = _DELIMITER.search(text)
    if not found or text.count("--" + found.group(1)) < 2:
        return None
    boundary = found.group(1)
    head = f'Content-Type: {view.get_content_type()}; boundary="{boundary}"\r\n\r\n'.encode()
    inner = email.message_from_bytes(head + body, policy=email.policy.compat32)
    if not isinstance(inner.get_payload(), list):
        return None
    how = f"a {cte}-encoded multipart decoded" if cte in ("base64", "quoted-printable") else "a multipart"
    mail.warn(f"{how} and split at the delimiter its body uses ({boundary[:40]!r})")
    return inner


def _leaf(part: Message, view: Message, ctype: str, texts: _Texts, mail: MimeMail,
          forwarded: ForwardedMail | None) -> None:
    disposition = _disposition(view.get("content-disposition"))
    filename = _filename(view)
    charset = _charset(view)
    content_id = _one_line(view.get("content-id") or "", 300) or None
    encoded = part.get_payload()
    if isinstance(encoded, str) and _encoded_size(encoded) > MAX_ATTACHMENT_BYTES:
        # too large to read: not even decoded, so a huge part costs no memory twice
        _add_attachment(mail, _too_large(filename or "(brødtekst)", ctype, _encoded_size(encoded), disposition,
                                         content_id, charset, forwarded is not None))
        return
    cte = (view.get("content-transfer-encoding") or "").strip().lower()
    if cte not in ("", "7bit", "8bit", "binary", "base64", "quoted-printable", "x-uuencode", "uuencode", "uue", "x-uue"):
        mail.warn(f"unknown transfer encoding {cte[:40]!r}: read as 8bit")
    if ctype in BODY_TYPES and disposition != "attachment":
        data = _body_bytes(part, mail)
        text, warning = decode_bytes(data, charset if (charset or "") not in NEVER_DECODE else "us-ascii")
        if warning:
            mail.warn(warning)
        texts.add("plain" if ctype == "text/plain" else "html", text, forwarded)
        return
    if cte == "base64" and isinstance(encoded, str):
        try:
            data = decode_base64_payload(encoded)
        except (binascii.Error, ValueError):
            data = None
    else:
        data = _body_bytes(part, mail)
    _add_attachment(mail, _attachment(filename, ctype, data, len(data or b""), disposition, content_id, charset,
                                      forwarded is not None))


def _body_bytes(part: Message, mail: MimeMail) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except (ValueError, TypeError, binascii.Error, LookupError, AssertionError) as exc:
        mail.warn(f"undecodable part: {exc.__class__.__name__}")
        data = None
    if data is None:
        body = part.get_payload()
        return body.encode("utf-8", "surrogateescape") if isinstance(body, str) else b""
    return data
