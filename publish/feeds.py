"""The iCalendar feed (RFC 5545, built with icalendar) and the JSON feed (schema version 1)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

from store.publishing import PublishedEvent

JSON_SCHEMA_VERSION = 1
PRODID = "-//Ledelsesugen//kontakt//DA"


def registration_url(value: str | None) -> str | None:
    """A registration as a link: URLs as they are (www. gets https://), e-mail addresses as mailto:."""
    if not value:
        return None
    if "@" in value and "/" not in value:
        return f"mailto:{value}"
    return value if value.startswith(("http://", "https://")) else f"https://{value}"


def _when(value: str, zone: ZoneInfo) -> date | datetime:
    if len(value) == 10:
        return date.fromisoformat(value)
    return datetime.fromisoformat(value).replace(tzinfo=zone)


def ics_feed(events: list[PublishedEvent], *, name: str = "Ledelsesugen", now: datetime | None = None) -> bytes:
    now = now or datetime.now(timezone.utc)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    zones = {e.timezone for e in events} or {"Europe/Copenhagen"}
    for tzid in sorted(zones):
        cal.add_component(icalendar.Timezone.from_tzid(tzid, first_date=date(2020, 1, 1), last_date=date(2035, 1, 1)))
    for event in events:
        cal.add_component(_vevent(event, now))
    return cal.to_ical()


def _vevent(event: PublishedEvent, now: datetime) -> icalendar.Event:
    f = event.fields
    zone = ZoneInfo(event.timezone)
    v = icalendar.Event()
    v.add("uid", event.uid)
    v.add("sequence", event.sequence)
    v.add("dtstamp", now)
    if event.last_modified:
        v.add("last-modified", event.last_modified)
    v.add("summary", f.get("title") or "Arrangement")
    start = _when(f["start"], zone) if f.get("start") else None
    if start is not None:
        v.add("dtstart", start)
        end = _when(f["end"], zone) if f.get("end") else None
        if isinstance(start, date) and not isinstance(start, datetime):
            last = end if isinstance(end, date) and not isinstance(end, datetime) else start
            v.add("dtend", last + timedelta(days=1))  # DTEND of a DATE is exclusive
        elif isinstance(end, datetime):
            v.add("dtend", end)
    if f.get("place"):
        v.add("location", f["place"])
    url = registration_url(f.get("registration"))
    if url and url.startswith("http"):
        v.add("url", url)
    if url and url.startswith("mailto:") and f.get("organizer"):
        v.add("organizer", url, parameters={"CN": f["organizer"]})
    v.add("description", _description(f, url))
    v.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    if f.get("online"):
        v.add("x-ledelsesugen-online", "TRUE")
    return v


def _description(f: dict[str, Any], url: str | None) -> str:
    lines = [f["description"]] if f.get("description") else []
    for label, key in (("Arrangør", "organizer"), ("Målgruppe", "audience")):
        if f.get(key):
            lines.append(f"{label}: {f[key]}")
    if f.get("registration_deadline"):
        lines.append(f"Tilmeldingsfrist: {f['registration_deadline']}")
    if url:
        lines.append(f"Tilmelding: {url.removeprefix('mailto:')}")
    if f.get("online"):
        lines.append("Kan følges online.")
    return "\n".join(lines)


def json_feed(events: list[PublishedEvent], *, title: str, now: datetime | None = None) -> bytes:
    now = now or datetime.now(timezone.utc)
    data = {
        "version": JSON_SCHEMA_VERSION,
        "title": title,
        "generated": now.isoformat(timespec="seconds"),
        "events": [json_event(e) for e in events],
    }
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def json_event(event: PublishedEvent) -> dict[str, Any]:
    f = event.fields
    return {
        "uid": event.uid,
        "sequence": event.sequence,
        "status": "cancelled" if event.cancelled else "confirmed",
        "title": f.get("title"),
        "start": f.get("start"),
        "end": f.get("end"),
        "all_day": bool(f.get("all_day")),
        "timezone": event.timezone,
        "place": f.get("place"),
        "online": bool(f.get("online")),
        "registration": f.get("registration"),
        "registration_url": registration_url(f.get("registration")),
        "registration_deadline": f.get("registration_deadline"),
        "organizer": f.get("organizer"),
        "audience": f.get("audience"),
        "description": f.get("description"),
        "last_modified": event.last_modified.isoformat(timespec="seconds") if event.last_modified else None,
    }
