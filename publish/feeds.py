"""The iCalendar feed (RFC 5545 with RFC 7986's REFRESH-INTERVAL, built with icalendar) and the JSON feed
(schema version 1).

Nothing here reads the clock (but for the zone's year in a feed that has never had an event): DTSTAMP
and LAST-MODIFIED are each event's last published change, and the JSON's "generated" is the last change
of all, so an unchanged programme gives the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

from core import danish
from publish.fields import clean_text, event_key, event_times, registration_url
from publish.vtimezone import vtimezone
from store.publishing import PublishedEvent

JSON_SCHEMA_VERSION = 1
PRODID = "-//Ledelsesugen//kontakt//DA"
REFRESH = timedelta(hours=1)  # how often subscribed calendars should fetch the feed again
UNKNOWN_END = timedelta(hours=1)  # a timed event whose mail gave no end is shown as one hour
NO_CHANGE_YET = datetime(1970, 1, 1, tzinfo=timezone.utc)
DEFAULT_ZONE = "Europe/Copenhagen"  # DTSTAMP of an event stored without its publishing time
# characters a property parameter (ORGANIZER;CN=…) cannot carry plainly: RFC 6868's ^' and ^^ are read by
# few clients, so a name's straight double quotes become typographic ones and a caret a look-alike
PARAMETER_TEXT = str.maketrans({'"': "”", "^": "ˆ", "\n": " ", "\r": " ", "\t": " "})


@dataclass(frozen=True)
class Site:
    """Where the programme is published: every event's page and .ics are addressed from here."""

    base_url: str  # the programme's public address, ending in "/" ([publish] site_url)

    @classmethod
    def at(cls, url: str) -> "Site":
        return cls(url if url.endswith("/") else url + "/")

    def event_page(self, event: PublishedEvent) -> str:
        return f"{self.base_url}{event_page_path(event)}"

    def feed(self) -> str:
        return f"{self.base_url}events.ics"

    def webcal(self) -> str:
        """The feed as a subscription link: calendar apps subscribe to webcal:// instead of importing a copy."""
        return "webcal://" + self.feed().split("://", 1)[-1]


def event_page_path(event: PublishedEvent) -> str:
    return f"arrangement/{event_key(event.uid)}.html"


def event_ics_path(event: PublishedEvent) -> str:
    return f"arrangement/{event_key(event.uid)}.ics"


def ics_feed(events: list[PublishedEvent], *, name: str, site: Site) -> bytes:
    """The calendar to subscribe to: these events, each zone's VTIMEZONE once, and how often to refresh."""
    cal = _calendar()
    cal.add("name", name)
    cal.add("x-wr-calname", name)
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", icalendar.vDuration(REFRESH))  # the same, for Outlook
    cal.add("source", site.feed(), parameters={"VALUE": "URI"})
    return _finished(cal, events, site)


def ics_event(event: PublishedEvent, *, site: Site) -> bytes:
    """One event as a file to add to a calendar (the event page's "Føj til din kalender"): no calendar name,
    so clients add the event instead of making a calendar of it."""
    return _finished(_calendar(), [event], site)


def _calendar() -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    return cal


def _finished(cal: icalendar.Calendar, events: list[PublishedEvent], site: Site) -> bytes:
    years: dict[str, set[int]] = {}
    for event in events:
        years.setdefault(event.timezone, set()).update(_years(event))
    zones = {tzid: found for tzid, found in years.items() if found}
    if not events:  # RFC 5545 wants a component: the zone alone, for this year
        zones = {DEFAULT_ZONE: {date.today().year}}
    end = b"END:VCALENDAR\r\n"
    parts = [cal.to_ical().removesuffix(end)]  # the properties; the components follow, kept ready-written
    parts.extend(_vtimezone_ical(tzid, min(zones[tzid]), max(zones[tzid])) for tzid in sorted(zones))
    parts.extend(_vevent_ical(event.uid, event.sequence, event.cancelled, event.timezone, event.last_modified,
                              json.dumps(event.fields, sort_keys=True, default=str), site.base_url) for event in events)
    parts.append(end)
    return b"".join(parts)


# icalendar takes about 3 ms to write an event: each event's text is kept, keyed by all it is made of
@lru_cache(maxsize=8192)
def _vevent_ical(uid: str, sequence: int, cancelled: bool, zone: str, last_modified: datetime | None,
                 fields_json: str, base_url: str) -> bytes:
    event = PublishedEvent(uid=uid, sequence=sequence, cancelled=cancelled, fields=json.loads(fields_json),
                           timezone=zone, last_modified=last_modified)
    return _vevent(event, Site(base_url)).to_ical()


@lru_cache(maxsize=64)
def _vtimezone_ical(tzid: str, first: int, last: int) -> bytes:
    return vtimezone(tzid, {first, last}).to_ical()


def _years(event: PublishedEvent) -> set[int]:
    """The years of the event's timed start and end (dates carry no zone)."""
    times = event_times(event.fields)
    if times.all_day:
        return set()
    return {parsed[0].year for parsed in (danish.parse_wall(times.start), danish.parse_wall(times.end)) if parsed}


def _vevent(event: PublishedEvent, site: Site) -> icalendar.Event:
    f = event.fields
    v = icalendar.Event()
    v.add("uid", event.uid)
    v.add("sequence", event.sequence)
    stamp = event.last_modified or NO_CHANGE_YET
    v.add("dtstamp", stamp)
    v.add("last-modified", stamp)
    v.add("summary", clean_text(f.get("title")) or "Arrangement")
    times = event_times(f)
    start = danish.parse_wall(times.start)
    if start is not None:
        if times.all_day:
            last = danish.parse_wall(times.end)
            v.add("dtstart", start[0])
            v.add("dtend", danish.exclusive_end(last[0] if last else start[0]))  # DTEND of a DATE is exclusive
        else:
            zone = ZoneInfo(event.timezone)
            begins = datetime.fromisoformat(times.start).replace(tzinfo=zone)  # type: ignore[arg-type]
            v.add("dtstart", begins)
            if times.end is not None:
                v.add("dtend", datetime.fromisoformat(times.end).replace(tzinfo=zone))
            else:
                v.add("dtend", begins + UNKNOWN_END)  # clients disagree on no DTEND (an hour, or nothing)
    if clean_text(f.get("place")):
        v.add("location", clean_text(f.get("place")))
    url = registration_url(f.get("registration"))
    v.add("url", url if url and url.startswith("http") else site.event_page(event))
    organizer = clean_text(f.get("organizer"))
    if url and url.startswith("mailto:") and organizer:
        v.add("organizer", url, parameters={"CN": " ".join(organizer.translate(PARAMETER_TEXT).split())})
    description = _description(f, times, url)
    if description:
        v.add("description", description)
    v.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    if f.get("online"):
        v.add("x-ledelsesugen-online", "TRUE")
    return v


def _description(f: dict[str, Any], times: Any, url: str | None) -> str:
    lines = [clean_text(f["description"])] if clean_text(f.get("description")) else []
    for label, key in (("Arrangør", "organizer"), ("Målgruppe", "audience")):
        if clean_text(f.get(key)):
            lines.append(f"{label}: {clean_text(f[key])}")
    if not times.all_day and times.start and times.end is None:
        lines.append("Sluttidspunktet er ikke oplyst.")
    if f.get("registration_deadline"):
        lines.append(f"Tilmeldingsfrist: {danish.deadline(f['registration_deadline'])}")
    if url:
        lines.append(f"Tilmelding: {url.removeprefix('mailto:')}")
    if f.get("online"):
        lines.append("Kan følges online.")
    return "\n".join(lines)  # type: ignore[arg-type]


def json_feed(events: list[PublishedEvent], *, title: str, generated: datetime | None) -> bytes:
    """The JSON feed; `generated` is the last published change (not the clock), null before any."""
    data = {
        "version": JSON_SCHEMA_VERSION,
        "title": title,
        "generated": generated.isoformat(timespec="seconds") if generated else None,
        "events": [json_event(e) for e in events],
    }
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def json_event(event: PublishedEvent) -> dict[str, Any]:
    f = event.fields
    times = event_times(f)
    return {
        "uid": event.uid,
        "sequence": event.sequence,
        "status": "cancelled" if event.cancelled else "confirmed",
        "title": clean_text(f.get("title")),
        "start": times.start,
        "end": times.end,
        "all_day": times.all_day,
        "timezone": event.timezone,
        "place": clean_text(f.get("place")),
        "online": bool(f.get("online")),
        "registration": f.get("registration"),
        "registration_url": registration_url(f.get("registration")),
        "registration_deadline": f.get("registration_deadline"),
        "organizer": clean_text(f.get("organizer")),
        "audience": clean_text(f.get("audience")),
        "description": clean_text(f.get("description")),
        "last_modified": event.last_modified.isoformat(timespec="seconds") if event.last_modified else None,
    }
