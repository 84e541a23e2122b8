"""Dates and times as people in Denmark write them, for every page and mail kontakt shows.

    tirsdag den 27. oktober 2026 kl. 13.00–15.30        (style "long": mails, the programme)
    tirs. 27. okt. 2026 kl. 13.00–15.30                 (style "short": the desk's lists)

Babel's `da` locale (CLDR) gives the day and month names. Event times are the wall-clock strings
of the model (``YYYY-MM-DDTHH:MM`` or a bare date); instants (when a mail was sent) are aware
datetimes, shown in Europe/Copenhagen unless told otherwise.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date

LOCALE = "da_DK"
DANISH_ZONE = ZoneInfo("Europe/Copenhagen")
DAY_FORMATS = {"long": "EEEE 'den' d. MMMM y", "short": "EEE d. MMM y"}
DAY_FORMATS_NO_YEAR = {"long": "EEEE 'den' d. MMMM", "short": "EEE d. MMM"}


@lru_cache(maxsize=4096)  # a page shows the same few days many times; Babel's formatting is the slow part
def day(value: date, style: str = "long", *, year: bool = True) -> str:
    """"tirsdag den 27. oktober 2026" (long) or "tirs. 27. okt. 2026" (short)."""
    return format_date(value, (DAY_FORMATS if year else DAY_FORMATS_NO_YEAR)[style], locale=LOCALE)


def clock(hour: int, minute: int) -> str:
    """"13.00": Danish writes the hour and minute with a full stop."""
    return f"{hour:02d}.{minute:02d}"


def parse_wall(value: str | None) -> tuple[date, tuple[int, int] | None] | None:
    """A model time string as (day, (hour, minute) or None); None when empty or unreadable."""
    if not value:
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value), None
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.date(), (moment.hour, moment.minute)


def when(start: str | None, end: str | None = None, all_day: bool = False, style: str = "long") -> str:
    """An event's time in one phrase: "tirsdag den 27. oktober 2026 kl. 13.00–15.30",
    "mandag den 26. oktober – tirsdag den 27. oktober 2026", "fredag den 30. oktober 2026, hele dagen".
    An unreadable value is shown as written (a person should see what is there)."""
    first = parse_wall(start)
    if first is None:
        return start or ""
    last = parse_wall(end)
    first_day, first_time = first
    if all_day:
        first_time = None
    if last is not None and last[0] != first_day:
        last_day, last_time = last
        same_year = last_day.year == first_day.year
        head = day(first_day, style, year=not same_year)
        if first_time and last_time and not all_day:
            return f"{head} kl. {clock(*first_time)} – {day(last_day, style)} kl. {clock(*last_time)}"
        return f"{head} – {day(last_day, style)}"
    text = day(first_day, style)
    if first_time is None:
        return f"{text}, hele dagen" if all_day else text
    text += f" kl. {clock(*first_time)}"
    if last is not None and last[1] is not None and not all_day:
        text += f"–{clock(*last[1])}"
    return text


def deadline(value: str | None, style: str = "long") -> str:
    """A registration deadline: "fredag den 9. oktober 2026 kl. 12.00" or the day alone."""
    parsed = parse_wall(value)
    if parsed is None:
        return value or ""
    text = day(parsed[0], style)
    return f"{text} kl. {clock(*parsed[1])}" if parsed[1] else text


def instant(moment: datetime | None, style: str = "short", zone: ZoneInfo = DANISH_ZONE) -> str:
    """When something happened, in Danish local time: "tirs. 27. okt. 2026 kl. 08.05"."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        raise ValueError("an instant must be aware (UTC or with its offset)")
    local = moment.astimezone(zone)
    return f"{day(local.date(), style)} kl. {clock(local.hour, local.minute)}"


def typed(value: str | None) -> str:
    """A model time string as a reviewer would type it back: "27.10.2026 kl. 09.00" or "27.10.2026".
    Readable in a form field, and read again as it stands (never the ISO form)."""
    parsed = parse_wall(value)
    if parsed is None:
        return value or ""
    the_day, the_time = parsed
    text = f"{the_day.day:02d}.{the_day.month:02d}.{the_day.year}"
    return f"{text} kl. {clock(*the_time)}" if the_time else text


def exclusive_end(last_day: date) -> date:
    """The day after an all-day event's last day (iCalendar's DTEND of a DATE is exclusive)."""
    return last_day + timedelta(days=1)


def heading(value: date) -> str:
    """A day as a heading of the programme: "Mandag den 26. oktober" (no year, capital first letter)."""
    return sentence(day(value, "long", year=False))


def sentence(text: str) -> str:
    """The text with a capital first letter, as a line of its own begins: "hele dagen" -> "Hele dagen"."""
    return text[:1].upper() + text[1:]


def time_of_day(start: str | None, end: str | None = None, all_day: bool = False) -> str:
    """An event's time under its day's heading (the day is said there): "kl. 09.00–10.30", "kl. 09.00",
    "hele dagen", "hele dagen, til og med fredag den 30. oktober", "kl. 09.00 til tirsdag den 27. oktober
    kl. 16.00". An unreadable value is shown as written."""
    first = parse_wall(start)
    if first is None:
        return start or ""
    last = parse_wall(end)
    first_day, first_time = first
    later_day = last is not None and last[0] > first_day
    if all_day or first_time is None:
        return f"hele dagen, til og med {day(last[0], year=False)}" if later_day else "hele dagen"  # type: ignore[index]
    text = f"kl. {clock(*first_time)}"
    if later_day and last[1] is not None:  # type: ignore[index]
        return f"{text} til {day(last[0], year=False)} kl. {clock(*last[1])}"  # type: ignore[index]
    if last is not None and last[1] is not None and last[0] == first_day:
        return f"{text}–{clock(*last[1])}"
    return text
