"""Text from attachments: calendar invites, PDF flyers, Word documents.

Read, never run: icalendar, pypdf and python-docx parse the bytes; sizes and
page counts are capped; an attachment that cannot be read gets a note instead.
"""

from __future__ import annotations

import io
import logging
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from parsers.mime import RawAttachment, decode_bytes
from core.model import Attachment

log = logging.getLogger(__name__)
logging.getLogger("pypdf").setLevel(logging.ERROR)  # broken PDFs are expected; their details are not news

MAX_PDF_PAGES = 20
MAX_TEXT = 100_000
MAX_DOCX_UNCOMPRESSED = 20 * 1024 * 1024  # a zip bomb is refused before it is inflated
CALENDAR_TYPES = {"text/calendar", "application/ics", "text/x-vcalendar"}
PDF_TYPES = {"application/pdf", "application/x-pdf"}
DOCX_TYPES = {"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


@dataclass
class CalendarEvent:
    summary: str | None
    start: datetime | date | None
    end: datetime | date | None
    location: str | None
    description: str | None
    organizer: str | None
    url: str | None


def kind_of(att: RawAttachment) -> str | None:
    name = (att.filename or "").lower()
    if att.content_type in CALENDAR_TYPES or name.endswith(".ics"):
        return "calendar"
    if att.content_type in PDF_TYPES or name.endswith(".pdf"):
        return "pdf"
    if att.content_type in DOCX_TYPES or name.endswith(".docx"):
        return "docx"
    return None


def read_attachment(att: RawAttachment) -> Attachment:
    out = Attachment(filename=att.filename, content_type=att.content_type, size=att.size, note=att.note)
    kind = kind_of(att)
    if att.payload is None or kind is None:
        if kind is None and out.note is None:
            out.note = "not read (not a calendar, PDF or Word file)"
        return out
    try:
        if kind == "calendar":
            out.text = decode_bytes(att.payload, "utf-8")[0].replace("\r\n", "\n")[:MAX_TEXT]
        elif kind == "pdf":
            out.text = _pdf_text(att.payload)
        else:
            out.text = _docx_text(att.payload)
    except Exception as exc:  # third-party readers raise anything on broken files
        out.text = None
        out.note = f"could not be read: {exc.__class__.__name__}: {str(exc)[:200]}"
    return out


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data), strict=False)
    pages = []
    for page in reader.pages[:MAX_PDF_PAGES]:
        pages.append(page.extract_text() or "")
        if sum(map(len, pages)) > MAX_TEXT:
            break
    return "\n".join(pages)[:MAX_TEXT]


def _docx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_DOCX_UNCOMPRESSED:
            raise ValueError("the document unpacks to more than 20 MB")
    import docx

    document = docx.Document(io.BytesIO(data))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" ".join(cell.text.strip() for cell in row.cells))
    return "\n".join(lines)[:MAX_TEXT]


def calendar_events(text: str, tz: str) -> list[CalendarEvent]:
    """VEVENTs of an invite, times converted to the local zone (TZID honoured)."""
    import icalendar

    try:
        cal = icalendar.Calendar.from_ical(text)
    except Exception:  # any malformed calendar: no events from it
        return []
    zone = ZoneInfo(tz)
    events = []
    for component in cal.walk("VEVENT")[:20]:
        def value(name: str):
            prop = component.get(name)
            try:
                return getattr(prop, "dt", None) if prop is not None else None
            except Exception:  # icalendar raises on a broken date property when it is read
                return None

        start, end = value("DTSTART"), value("DTEND")
        start, end = (_local(x, zone) for x in (start, end))
        organizer = component.get("ORGANIZER")
        org_name = organizer.params.get("CN") if organizer is not None and hasattr(organizer, "params") else None
        events.append(CalendarEvent(
            summary=_text(component.get("SUMMARY")), start=start, end=end,
            location=_text(component.get("LOCATION")), description=_text(component.get("DESCRIPTION")),
            organizer=str(org_name) if org_name else None, url=_text(component.get("URL")),
        ))
    return events


def _text(value: object) -> str | None:
    return str(value).strip() or None if value is not None else None


def _local(value: object, zone: ZoneInfo) -> datetime | date | None:
    if isinstance(value, datetime):
        return value.astimezone(zone).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return value
    return None
