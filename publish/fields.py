"""A published event's fields as every output shows them alike (feed, JSON, programme, event page).

- An all-day event's start and end are dates (a time the desk kept on either is dropped): it runs
  from its first to its last day, and the .ics gives the day after the last as the exclusive DTEND.
- Text has plain newlines (a textarea sends CRLF).
- A registration is a link: a web address (www. gets https://) or, for an e-mail address, mailto:.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from core import danish
from store.publishing import PublishedEvent

KEY_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class Times:
    """When an event is, as wall-clock strings of the model (``YYYY-MM-DDTHH:MM``, or dates when all day)."""

    start: str | None
    end: str | None  # all day: the last day (inclusive); None when the mail gave no end
    all_day: bool


def event_times(fields: dict[str, Any]) -> Times:
    start, end = fields.get("start") or None, fields.get("end") or None
    all_day = bool(fields.get("all_day")) or (start is not None and len(start) == 10)
    if start is None or danish.parse_wall(start) is None:
        return Times(start, end, all_day)
    if end is not None and danish.parse_wall(end) is None:
        end = None
    if all_day:
        first = start[:10]
        last = end[:10] if end and end[:10] > first else None
        return Times(first, last, True)
    if end is not None and (len(end) == 10 or end <= start):  # a bare day or an end before the start: no end known
        end = None
    return Times(start, end, False)


def clean_text(value: Any) -> str | None:
    """Text with plain newlines and no trailing space; None for nothing."""
    if value is None:
        return None
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").strip()
    return text or None


def registration_url(value: str | None) -> str | None:
    """A registration as a link: URLs as they are (www. gets https://), e-mail addresses as mailto:."""
    if not value:
        return None
    if "@" in value and "/" not in value:
        return f"mailto:{value.removeprefix('mailto:')}"
    return value if value.startswith(("http://", "https://")) else f"https://{value}"


def event_key(uid: str) -> str:
    """The event's name in addresses and file names: its UID before the @, with only safe characters."""
    return KEY_UNSAFE.sub("-", uid.split("@", 1)[0]) or "arrangement"


def on_days(event: PublishedEvent, days: set[date]) -> bool:
    """Whether the event takes place on any of these days (a multi-day event on each of its days)."""
    times = event_times(event.fields)
    first = danish.parse_wall(times.start)
    if first is None:
        return False
    last = danish.parse_wall(times.end)
    last_day = last[0] if last is not None and last[0] >= first[0] else first[0]
    return any(first[0] <= day <= last_day for day in days)


def by_organizer(event: PublishedEvent, text: str) -> bool:
    """Whether the organiser's name contains the text, ignoring case and spacing."""
    wanted = " ".join(text.split()).casefold()
    return bool(wanted) and wanted in " ".join((event.fields.get("organizer") or "").split()).casefold()
