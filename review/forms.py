"""Checking a reviewer's edits, with messages in Danish.

Times are typed as reviewers write them ("27/10 kl. 9", "27.10.2026 9.30-11", "tirsdag den 27.
oktober kl. 13", or a date picker's 2026-10-27) and read with the parser's own Danish grammar
(`parsers.danish_time`); a date without a year is in the event's year. What cannot be read is
kept as typed, with the reason, so nothing a reviewer wrote is lost.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from core import danish
from parsers.danish_time import find_dates, find_times, iso_date, iso_minute, resolve

EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(\.[\w-]+)*\.[a-z]{2,}$", re.IGNORECASE)
URL = re.compile(r"^(https?://|www\.)[^\s<>\"']+$", re.IGNORECASE)
TEXT_FIELDS = ("title", "place", "registration", "organizer", "audience", "description")
TIME_FIELDS = ("start", "end", "registration_deadline")
MAX_LENGTH = {"title": 300, "place": 500, "registration": 500, "organizer": 300, "audience": 500, "description": 5000}
MAX_TYPED_TIME = 100
EXAMPLE = "fx 27/10 kl. 9, 27.10.2026 9.30-11 eller tirsdag den 27. oktober kl. 13"
# what may stand between the date and the time: "kl.", "fra", "den", commas, dashes
FILLER = re.compile(r"^(?:[\s,.\-–—]|\b(?:kl|klokken|fra|den|d)\b)*$", re.IGNORECASE)
WEEKDAY_NAMES = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")


@dataclass(frozen=True)
class TypedTime:
    """What a reviewer typed into a time field, read: the model value (or None), a range's end, or why not."""

    value: str | None = None
    end: str | None = None  # "9.30-11" typed into the start: the end it gives
    error: str | None = None

    @property
    def shown(self) -> str:
        """The reading shown back, with its weekday: "tirsdag den 27. oktober 2026 kl. 09.00"."""
        return danish.when(self.value, self.end) if self.value else ""


def read_time(typed: str, *, year: int, label: str) -> TypedTime:
    """Read one typed date (and time, or time range) in the event's `year`."""
    text = " ".join(typed.split())
    if not text:
        return TypedTime()
    if len(text) > MAX_TYPED_TIME:
        return TypedTime(error=f"{label}: højst {MAX_TYPED_TIME} tegn.")
    iso = _iso(text)
    if iso is not None:
        return TypedTime(iso)
    dates = find_dates(text)
    if not dates:  # "27.10 kl. 9": in a date field a dotted day and month is a date (in text it needs "den")
        dates = [dataclasses.replace(h, start=max(0, h.start - 4), end=h.end - 4) for h in find_dates("den " + text)]
    if not dates:
        return TypedTime(error=f"{label}: datoen kunne ikke læses. Skriv den, {EXAMPLE}.")
    if len(dates) > 1:
        return TypedTime(error=f"{label}: skriv kun én dato ({len(dates)} fundet), {EXAMPLE}.")
    hit = dates[0]
    if hit.year is None:
        hit = dataclasses.replace(hit, year=year)
    day, last, agrees = resolve(hit, None)
    if last is not None:
        return TypedTime(error=f"{label}: skriv én dag, ikke et tidsrum af dage.")
    if not agrees and hit.weekday is not None:
        return TypedTime(error=f"{label}: {danish.typed(iso_date(day))} er en {WEEKDAY_NAMES[day.weekday()]}, "
                               f"ikke en {WEEKDAY_NAMES[hit.weekday]}.")
    rest = (text[:hit.start] + " " + text[hit.end:]).strip()
    if not rest:
        return TypedTime(iso_date(day))
    if not re.match(r"(?:kl\.?|klokken|fra)\b", rest, re.IGNORECASE):
        rest = "kl. " + rest  # a bare "9.30" after the date is a time: this is a time field
    times = find_times(rest, labelled=True)
    leftover = rest
    for t in reversed(times):
        leftover = leftover[:t.start] + " " + leftover[t.end:]
    if len(times) != 1 or not FILLER.match(leftover):
        return TypedTime(error=f"{label}: klokkeslættet kunne ikke læses. Skriv det, {EXAMPLE}.")
    t = times[0]
    end = iso_minute(day, t.end_hour, t.end_minute or 0) if t.end_hour is not None else None
    return TypedTime(iso_minute(day, t.hour, t.minute), end=end)


def _iso(text: str) -> str | None:
    """The model's own form ("2026-10-27T09:30", "2026-10-27 09:30", "2026-10-27"), as a date picker sends it."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text).isoformat()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text):
            return datetime.fromisoformat(text.replace(" ", "T")).strftime("%Y-%m-%dT%H:%M")
    except ValueError:
        return None
    return None


@dataclass
class DraftForm:
    values: dict[str, Any] = field(default_factory=dict)  # what is saved (model values)
    typed: dict[str, str] = field(default_factory=dict)  # the time fields as typed, shown again on an error
    readings: dict[str, str] = field(default_factory=dict)  # the time fields as read, with their weekday
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def shown(self) -> dict[str, Any]:
        """The values to show in the form again: what was typed, never a value wiped by an error."""
        return {**self.values, **self.typed}


TIME_LABELS = {"start": "Start", "end": "Slut", "registration_deadline": "Tilmeldingsfrist"}


def check_draft(form: dict[str, str], *, year: int, readings: bool = True) -> DraftForm:
    """The edited fields, checked. Times without a year are read in `year` (the event's); `readings`: also
    say each time back in words (for the form, not for a check alone)."""
    result = DraftForm()
    v = result.values
    for name in TEXT_FIELDS:
        text = " ".join((form.get(name) or "").split()) if name != "description" else (form.get(name) or "").strip()
        if len(text) > MAX_LENGTH[name]:
            result.errors[name] = f"Højst {MAX_LENGTH[name]} tegn."
        v[name] = text or None
    if not v["title"]:
        result.errors["title"] = "Arrangementet skal have en titel."
    readings: dict[str, TypedTime] = {}
    for name in TIME_FIELDS:
        typed = form.get(name) or ""
        if name == "end" and not typed.strip() and v.get("end"):
            continue  # given by a range typed into the start
        result.typed[name] = typed
        reading = read_time(typed, year=_year_of(v.get("start")) or year, label=TIME_LABELS[name])
        readings[name] = reading
        if reading.error:
            result.errors[name] = reading.error
        v[name] = reading.value
        if name == "start" and reading.end and not (form.get("end") or "").strip():
            v["end"], result.typed["end"] = reading.end, danish.typed(reading.end)  # "9.30-11" gives the end too
        if reading.value and readings:
            result.readings[name] = danish.when(reading.value) if name != "registration_deadline" \
                else danish.deadline(reading.value)
    if not v["start"] and "start" not in result.errors:
        result.errors["start"] = "Arrangementet skal have en start."
    v["all_day"] = form.get("all_day") in ("on", "true", "1")
    v["online"] = form.get("online") in ("on", "true", "1")
    if v["start"] and v["end"] and "end" not in result.errors and v["end"] < v["start"]:
        result.errors["end"] = "Slut skal ligge efter start."
    if v["start"] and v["registration_deadline"] and v["registration_deadline"][:10] > v["start"][:10]:
        result.errors["registration_deadline"] = "Tilmeldingsfristen skal ligge før arrangementet."
    for name in ("start", "end"):  # all day: both ends are dates (the feed's DTEND is the day after the end)
        if v["all_day"] and v[name] and len(v[name]) > 10:
            v[name] = v[name][:10]
    reg = v["registration"]
    if reg and not (EMAIL.match(reg) or URL.match(reg)):
        result.errors["registration"] = "Tilmelding skal være et link (https://…) eller en e-mailadresse."
    return result


def _year_of(value: str | None) -> int | None:
    return int(value[:4]) if value and re.match(r"\d{4}-", value) else None


def draft_problems(values: dict[str, Any]) -> dict[str, str]:
    """What the desk would refuse in a draft's stored values (the same checks as a reviewer's save)."""
    form = {name: ("" if values.get(name) is None else str(values.get(name))) for name in (*TEXT_FIELDS, *TIME_FIELDS)}
    form.update(all_day="on" if values.get("all_day") else "", online="on" if values.get("online") else "")
    year = _year_of(values.get("start")) or date.today().year
    return check_draft(form, year=year, readings=False).errors
