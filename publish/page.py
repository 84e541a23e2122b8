"""The public programme page, grouped by day as the secretariat has always published it.

One render path: `render_programme` serves `kontakt serve` (/programme/) and the
static export (`kontakt publish --out DIR`) alike.
"""

from __future__ import annotations

from datetime import date
from itertools import groupby
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from core import danish
from publish.feeds import registration_url
from store.publishing import PublishedEvent

WEEKDAYS = ["Mandag", "Tirsdag", "Onsdag", "Torsdag", "Fredag", "Lørdag", "Søndag"]
MONTHS = ["januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober", "november",
          "december"]
_env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"]))


def day_heading(day: date) -> str:
    """"Mandag den 26. oktober"."""
    return f"{WEEKDAYS[day.weekday()]} den {day.day}. {MONTHS[day.month - 1]}"


def _clock(value: str | None) -> str | None:
    return value[11:16].replace(":", ".") if value and len(value) > 10 else None


def when_text(f: dict[str, Any]) -> str:
    start, end = f.get("start") or "", f.get("end") or ""
    if f.get("all_day") or len(start) == 10:
        if end and end[:10] != start[:10]:
            last = date.fromisoformat(end[:10])
            return f"Hele dagen, til og med {day_heading(last).lower()}"
        return "Hele dagen"
    first, last = _clock(start), _clock(end)
    if end and end[:10] != start[:10]:
        return f"Kl. {first} til {day_heading(date.fromisoformat(end[:10])).lower()} kl. {last}"
    return f"Kl. {first}–{last}" if last else f"Kl. {first}"


def render_programme(events: list[PublishedEvent], *, title: str, assets: str = "/programme/static/",
                     feeds: str = "/") -> str:
    live = [e for e in events if not e.cancelled and e.fields.get("start")]
    days = []
    for day, group in groupby(live, key=lambda e: e.fields["start"][:10]):
        items = []
        for e in group:
            f = e.fields
            place = f.get("place") or ("Online" if f.get("online") else None)
            if f.get("online") and f.get("place") and "online" not in (f.get("place") or "").lower():
                place = f"{f['place']} og online"
            items.append({"uid": e.uid, "title": f.get("title"), "description": f.get("description"),
                          "when": when_text(f), "place": place, "audience": f.get("audience"),
                          "organizer": f.get("organizer"), "registration": registration_url(f.get("registration")),
                          "deadline": danish.deadline(f.get("registration_deadline"))})
        days.append({"heading": day_heading(date.fromisoformat(day)), "date": day, "events": items})
    return _env.get_template("programme.html").render(title=title, days=days, assets=assets, feeds=feeds)
