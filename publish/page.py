"""The public programme page, grouped by day as the secretariat has always published it, and a page per event.

One render path: these functions serve `kontakt serve` (/programme/) and the static export
(`kontakt publish --out DIR`) alike. Every link is relative, and the served pages sit where the
export puts its files (/programme/index.html, /programme/events.ics, /programme/arrangement/KEY.html),
so the same page works in both. Every date and time is written by core.danish.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from itertools import groupby
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from core import danish
from publish.feeds import Site, event_ics_path, event_page_path
from publish.fields import clean_text, event_times, registration_url
from store.publishing import PublishedEvent

_env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"]))


@dataclass(frozen=True)
class Showing:
    """How long a withdrawn event stays on the programme as "Aflyst", as of `now`."""

    now: datetime
    cancelled_for: timedelta

    @classmethod
    def as_of(cls, now: datetime | None, cancelled_days: int) -> "Showing":
        return cls(now or datetime.now(timezone.utc), timedelta(days=cancelled_days))

    def shown(self, event: PublishedEvent) -> bool:
        if not event_times(event.fields).start:
            return False
        return not event.cancelled or self.until(event) > self.now

    def until(self, event: PublishedEvent) -> datetime:
        return (event.last_modified or datetime.min.replace(tzinfo=timezone.utc)) + self.cancelled_for

    def page_changed_at(self, events: list[PublishedEvent], last_change: datetime | None) -> datetime | None:
        """When the programme page last changed: the last published change, or a withdrawn event's
        "Aflyst" running out since (the page changes then without anything being published)."""
        expired = [self.until(e) for e in events if e.cancelled and e.last_modified and self.until(e) <= self.now]
        return max([m for m in (last_change, *expired) if m is not None], default=None)


def _item(event: PublishedEvent, prefix: str) -> dict[str, Any]:
    f = event.fields
    times = event_times(f)
    place = clean_text(f.get("place")) or ("Online" if f.get("online") else None)
    if f.get("online") and clean_text(f.get("place")) and "online" not in (place or "").lower():
        place = f"{place} og online"
    return {"uid": event.uid, "title": clean_text(f.get("title")) or "Arrangement", "cancelled": event.cancelled,
            "description": clean_text(f.get("description")),
            "time": danish.sentence(danish.time_of_day(times.start, times.end, times.all_day)),
            "when": danish.sentence(danish.when(times.start, times.end, times.all_day)),
            "place": place, "audience": clean_text(f.get("audience")), "organizer": clean_text(f.get("organizer")),
            "registration": registration_url(f.get("registration")),
            "deadline": danish.deadline(f.get("registration_deadline")) if f.get("registration_deadline") else None,
            "page": prefix + event_page_path(event), "ics": prefix + event_ics_path(event)}


def render_programme(events: list[PublishedEvent], *, title: str, site: Site, showing: Showing) -> str:
    shown = [e for e in events if showing.shown(e)]
    days = []
    for day, group in groupby(shown, key=lambda e: event_times(e.fields).start[:10]):  # type: ignore[index]
        days.append({"heading": danish.heading(date.fromisoformat(day)), "date": day,
                     "events": [_item(e, "") for e in group]})
    return _env.get_template("programme.html").render(title=title, days=days, root="", webcal=site.webcal())


def render_event(event: PublishedEvent, *, title: str, site: Site) -> str:
    """The event's own page (its feed URL when it has no registration link of its own)."""
    return _env.get_template("event.html").render(title=title, e=_item(event, "../"), root="../",
                                                  webcal=site.webcal())
