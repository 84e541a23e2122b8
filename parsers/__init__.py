"""Mail bytes -> events. Pure functions: no database, no network, no mailbox.

    from parsers import extract
    parsed = extract(raw_bytes)          # -> ParsedMail
    parsed.kind, parsed.events[0].start

`extract` raises ParseError for a message it cannot read at all; anything it
can survive is reported in ParsedMail.warnings instead.
"""

from parsers.errors import ParseError
from parsers.extract import extract
from core.model import EVENT_FIELDS, Attachment, Event, MailKind, ParsedMail

__all__ = ["extract", "ParseError", "ParsedMail", "Event", "Attachment", "MailKind", "EVENT_FIELDS"]
