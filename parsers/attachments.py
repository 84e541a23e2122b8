"""Text from attachments: calendar invites, PDF flyers, Word documents.

Read, never run: icalendar, recurring-ical-events, pypdf and python-docx parse the
bytes; nothing is written to disk, no attachment name is used as a path, nothing
external is called (pypdf's jbig2dec binary is switched off). An attachment that
cannot be read gets a note for reviewers (Danish) instead of text.

Calendars (`read_calendar`): every VEVENT, with the calendar's METHOD (REQUEST,
REPLY, CANCEL, PUBLISH …) and each event's STATUS, UID and SEQUENCE, so a classifier
can tell an invitation from an "Accepteret:" reply or a cancellation. Recurring
events (RRULE, RDATE, with EXDATE and moved occurrences) are expanded into their
occurrences by recurring-ical-events, bounded: that library expands whatever a rule
says (FREQ=SECONDLY without an end took 16 s for 100 occurrences), so each rule is
first cut down (`_bounded_rule`). Times are converted to local wall-clock time:
TZID=Europe/Copenhagen, Outlook's "Romance Standard Time" (icalendar maps Windows
names), UTC; a TZID nobody knows is read as local time, with a warning.

Limits
------
- MAX_TEXT 100,000 characters of text kept per attachment.
- Calendars: MAX_VEVENTS 100 VEVENTs read (the text is cut after the 100th, before
  parsing: 5,000 VEVENTs took icalendar 1.1 s); MAX_SERIES 20 recurring VEVENTs
  expanded; a rule more frequent than daily, one starting outside 1900-2200 and
  BYHOUR/BYMINUTE/BYSECOND with several values are not expanded (the first
  occurrence is read); at most MAX_SERIES_OCCURRENCES 50 occurrences of one series,
  within SERIES_WINDOW 366 days of its first; MAX_EVENTS 50 events from one calendar.
- PDF: MAX_PDF_PAGES 20 pages; a stream inflates to at most MAX_PDF_STREAM_BYTES 20 MB.
- Word: the archive may hold at most MAX_DOCX_MEMBERS 1,000 files unpacking to at most
  MAX_DOCX_UNCOMPRESSED 20 MB (zipfile stops at the declared size, so a zip bomb is
  refused before it is inflated); entities are never resolved (python-docx's parser).
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from parsers.mime import RawAttachment, decode_bytes
from core.model import Attachment

log = logging.getLogger(__name__)
logging.getLogger("pypdf").setLevel(logging.ERROR)  # broken PDFs are expected; their details are not news

MAX_TEXT = 100_000
MAX_PDF_PAGES = 20
MAX_PDF_STREAM_BYTES = 20 * 1024 * 1024
MAX_DOCX_UNCOMPRESSED = 20 * 1024 * 1024
MAX_DOCX_MEMBERS = 1000
MAX_VEVENTS = 100
MAX_SERIES = 20
MAX_SERIES_OCCURRENCES = 50
MAX_EVENTS = 50
SERIES_WINDOW = timedelta(days=366)
EXPANDED_FREQUENCIES = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
CALENDAR_TYPES = {"text/calendar", "application/ics", "text/x-vcalendar"}
PDF_TYPES = {"application/pdf", "application/x-pdf"}
DOCX_TYPES = {"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


class Unreadable(ValueError):
    """An attachment refused by a limit or a check; the text says why, in Danish, for reviewers."""


@dataclass
class CalendarEvent:
    summary: str | None
    start: datetime | date | None  # local wall-clock time (naive), or a date for an all-day event
    end: datetime | date | None  # DTEND, or DTSTART + DURATION; a DATE end is exclusive (RFC 5545)
    location: str | None
    description: str | None
    organizer: str | None
    url: str | None
    uid: str | None = None
    status: str | None = None  # the VEVENT's STATUS: CONFIRMED, TENTATIVE, CANCELLED (upper case)
    method: str | None = None  # the calendar's METHOD: REQUEST, REPLY, CANCEL, PUBLISH … (upper case)
    sequence: int | None = None
    series: bool = False  # one occurrence of a recurring VEVENT (RRULE/RDATE)
    recurrence_id: datetime | date | None = None  # that occurrence's own start, local
    attendee_status: str | None = None  # the first ATTENDEE's PARTSTAT (ACCEPTED, DECLINED …): what a REPLY answers


@dataclass
class CalendarInvite:
    method: str | None  # REQUEST, REPLY, CANCEL, PUBLISH … (upper case), None when the calendar gives none
    events: list[CalendarEvent] = field(default_factory=list)  # in start order
    warnings: list[str] = field(default_factory=list)


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
            out.note = "ikke læst (hverken kalender, PDF eller Word-dokument)"
        return out
    try:
        if kind == "calendar":
            out.text = decode_bytes(att.payload, att.charset or "utf-8")[0].replace("\r\n", "\n")[:MAX_TEXT]
        elif kind == "pdf":
            out.text = _pdf_text(att.payload)
        else:
            out.text = _docx_text(att.payload)
    except Exception as exc:  # third-party readers raise anything on broken files
        out.text = None
        out.note = f"kunne ikke læses: {_reason(exc, kind)}"
    return out


def _reason(exc: Exception, kind: str) -> str:
    if isinstance(exc, Unreadable):
        return str(exc)
    if kind == "pdf":
        from pypdf.errors import LimitReachedError

        if isinstance(exc, LimitReachedError):
            return f"PDF-filen pakker ud til over {MAX_PDF_STREAM_BYTES // 2**20} MB"
    if isinstance(exc, zipfile.BadZipFile):
        return "filen er ikke et Word-dokument (ikke en zip-fil)" if kind == "docx" else "beskadiget zip-fil"
    what = {"pdf": "PDF-filen", "docx": "Word-dokumentet"}.get(kind, "filen")
    return f"{what} er beskadiget ({exc.__class__.__name__})"


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader, apply_configuration

    limits = dict(jbig2dec_binary=None, zlib_maximum_output_length=MAX_PDF_STREAM_BYTES,
                  lzw_maximum_output_length=MAX_PDF_STREAM_BYTES, run_length_maximum_output_length=MAX_PDF_STREAM_BYTES,
                  maximum_declared_stream_length=MAX_PDF_STREAM_BYTES)
    with apply_configuration(**limits):
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise Unreadable("PDF-filen er krypteret")
        pages: list[str] = []
        for page in reader.pages[:MAX_PDF_PAGES]:
            pages.append(page.extract_text() or "")
            if sum(map(len, pages)) > MAX_TEXT:
                break
    return "\n".join(pages)[:MAX_TEXT]


def _docx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
        if len(members) > MAX_DOCX_MEMBERS:
            raise Unreadable(f"Word-dokumentet rummer over {MAX_DOCX_MEMBERS} filer")
        if sum(info.file_size for info in members) > MAX_DOCX_UNCOMPRESSED:
            raise Unreadable(f"Word-dokumentet fylder over {MAX_DOCX_UNCOMPRESSED // 2**20} MB udpakket")
    import docx

    document = docx.Document(io.BytesIO(data))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" ".join(cell.text.strip() for cell in row.cells))
    return "\n".join(lines)[:MAX_TEXT]


# ------------------------------------------------------------------ calendars


def calendar_events(text: str, tz: str) -> list[CalendarEvent]:
    """The events of an invite (occurrences of a series each one), times in local wall-clock time."""
    return read_calendar(text, tz).events


def read_calendar(text: str, tz: str) -> CalendarInvite:
    """The calendar's METHOD, its events and what was not read (module docstring); never raises."""
    import icalendar

    warnings: list[str] = []
    try:
        calendars = icalendar.Calendar.from_ical(_bounded_calendar(text, warnings), multiple=True)
    except Exception as exc:  # any malformed calendar: no events from it
        return CalendarInvite(None, [], [f"unreadable calendar: {exc.__class__.__name__}"])
    zone = ZoneInfo(tz)
    method = next((_upper(cal.get("METHOD")) for cal in calendars if cal.get("METHOD")), None)
    components = [c for cal in calendars for c in cal.walk("VEVENT")][:MAX_VEVENTS]
    masters = {_text(c.get("UID")) for c in components if "RRULE" in c or "RDATE" in c}
    events: list[CalendarEvent] = []
    series = 0
    for component in components:
        uid = _text(component.get("UID"))
        start = _value(component, "DTSTART")
        if not isinstance(start, date):
            warnings.append(f"a VEVENT without a readable DTSTART was skipped ({uid or 'no UID'})")
            continue
        if "RECURRENCE-ID" in component and uid in masters:
            continue  # a moved occurrence: expanded with its series
        if ("RRULE" in component or "RDATE" in component) and series < MAX_SERIES:
            series += 1
            events.extend(_occurrences(component, [c for c in components if _text(c.get("UID")) == uid and c is not component],
                                       start, method, zone, warnings))
        else:
            events.append(_event(component, method, zone, warnings))
    if len(events) > MAX_EVENTS:
        warnings.append(f"{len(events)} events in the calendar: the first {MAX_EVENTS} were read")
    events = sorted(events, key=lambda e: _sort_key(e.start))[:MAX_EVENTS]
    return CalendarInvite(method, events, list(dict.fromkeys(warnings)))


_END_VEVENT = re.compile(r"^END:VEVENT[ \t]*$", re.MULTILINE | re.IGNORECASE)


def _bounded_calendar(text: str, warnings: list[str]) -> str:
    """At most MAX_TEXT characters and MAX_VEVENTS VEVENTs; a text cut short is closed after its last whole VEVENT."""
    text = text[:MAX_TEXT].replace("\r\n", "\n")
    ends = [m.end() for m in _END_VEVENT.finditer(text)]
    complete = re.search(r"^END:VCALENDAR[ \t]*\s*$", text[-200:], re.MULTILINE | re.IGNORECASE)
    if len(ends) > MAX_VEVENTS:
        warnings.append(f"more than {MAX_VEVENTS} VEVENTs: the rest were not read")
        return text[:ends[MAX_VEVENTS - 1]] + "\nEND:VCALENDAR\n"
    if ends and not complete:
        warnings.append("the calendar was cut short: read up to its last whole VEVENT")
        return text[:ends[-1]] + "\nEND:VCALENDAR\n"
    return text


def _occurrences(master, overrides: list, start: datetime | date, method: str | None, zone: ZoneInfo,
                 warnings: list[str]) -> list[CalendarEvent]:
    """A recurring VEVENT's occurrences within its window, bounded; its first occurrence when it cannot be expanded."""
    import icalendar
    import recurring_ical_events

    if not _bounded_rule(master, start, warnings):
        return [_event(master, method, zone, warnings)]
    series = icalendar.Calendar()
    for component in [master, *overrides]:
        series.add_component(component)
    try:
        found = recurring_ical_events.of(series).between(start, start + SERIES_WINDOW)
    except Exception as exc:  # a broken series (end before start, bad RDATE …): read as one event
        warnings.append(f"a recurrence was not expanded ({exc.__class__.__name__}): its first occurrence is read")
        return [_event(master, method, zone, warnings)]
    occurrences = [_event(c, method, zone, warnings, series=True) for c in found]
    occurrences.sort(key=lambda e: _sort_key(e.start))
    if len(occurrences) > MAX_SERIES_OCCURRENCES:
        warnings.append(f"a series of {len(occurrences)} occurrences: the first {MAX_SERIES_OCCURRENCES} were read")
    return occurrences[:MAX_SERIES_OCCURRENCES] or [_event(master, method, zone, warnings)]


def _bounded_rule(component, start: datetime | date, warnings: list[str]) -> bool:
    """Cut the RRULE down to what can be expanded quickly (module docstring); False: not a series any more."""
    rules = component.get("RRULE")
    if rules is None:
        return "RDATE" in component
    if isinstance(rules, list):
        if len(rules) > 1:
            warnings.append("a VEVENT with several RRULEs: the first was read")
        rules = rules[0]
    frequency = str((rules.get("FREQ") or [""])[0]).upper()
    if frequency not in EXPANDED_FREQUENCIES or not 1900 <= start.year <= 2200:
        warnings.append(f"a {frequency.lower() or 'broken'} recurrence starting in year {start.year} was not expanded: "
                        "its first occurrence is read")
        del component["RRULE"]
        return "RDATE" in component
    for part in ("BYSECOND", "BYMINUTE", "BYHOUR"):
        if len(rules.get(part) or []) > 1:
            warnings.append(f"a recurrence several times a day ({part}) was read once a day")
            del rules[part]
    count = rules.get("COUNT")
    try:
        count = int(count[0]) if count else None
    except (TypeError, ValueError):
        count = None
    if count is not None and count > MAX_SERIES_OCCURRENCES:
        rules["COUNT"] = [MAX_SERIES_OCCURRENCES]
    elif count is None and not rules.get("UNTIL"):
        rules["COUNT"] = [MAX_SERIES_OCCURRENCES]  # no end: the window and this count bound it
    component["RRULE"] = rules
    return True


def _event(component, method: str | None, zone: ZoneInfo, warnings: list[str], *, series: bool = False) -> CalendarEvent:
    start = _value(component, "DTSTART")
    end = _value(component, "DTEND")
    if end is None and isinstance(start, date) and (duration := _value(component, "DURATION")) is not None:
        end = _plus(start, duration)
    if isinstance(start, datetime) and start.tzinfo is None and "TZID" in getattr(component.get("DTSTART"), "params", {}):
        tzid = component["DTSTART"].params["TZID"]
        warnings.append(f"unknown time zone {str(tzid)[:60]!r}: read as {zone.key}")
    organizer = component.get("ORGANIZER")
    org_name = organizer.params.get("CN") if organizer is not None and hasattr(organizer, "params") else None
    return CalendarEvent(
        summary=_text(component.get("SUMMARY")), start=_local(start, zone), end=_local(end, zone),
        location=_text(component.get("LOCATION")), description=_text(component.get("DESCRIPTION")),
        organizer=str(org_name) if org_name else None, url=_text(component.get("URL")),
        uid=_text(component.get("UID")), status=_upper(component.get("STATUS")), method=method,
        sequence=_int(component.get("SEQUENCE")), series=series,
        recurrence_id=_local(start, zone) if series else None, attendee_status=_attendee_status(component),
    )


def _value(component, name: str):
    prop = component.get(name)
    if prop is None:
        return None
    try:
        return getattr(prop, "dt", None)
    except Exception:  # icalendar raises on a broken date property when it is read
        return None


def _plus(start: datetime | date, duration: object) -> datetime | date | None:
    if not isinstance(duration, timedelta) or duration < timedelta(0) or duration > timedelta(days=366):
        return None
    try:
        return start + duration
    except OverflowError:
        return None


def _attendee_status(component) -> str | None:
    attendees = component.get("ATTENDEE")
    first = attendees[0] if isinstance(attendees, list) and attendees else attendees
    partstat = first.params.get("PARTSTAT") if first is not None and hasattr(first, "params") else None
    return str(partstat).upper() if partstat else None


def _text(value: object) -> str | None:
    return str(value).strip() or None if value is not None else None


def _upper(value: object) -> str | None:
    text = _text(value)
    return text.upper() if text else None


def _int(value: object) -> int | None:
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None


def _local(value: object, zone: ZoneInfo) -> datetime | date | None:
    if isinstance(value, datetime):
        try:
            return value.astimezone(zone).replace(tzinfo=None) if value.tzinfo else value
        except (OverflowError, ValueError):
            return None
    if isinstance(value, date):
        return value
    return None


def _sort_key(value: datetime | date | None) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return datetime.max
