"""Danish dates and times as organisers write them.

dateparser reads single, complete dates well, but not "kl. 9-10.30", "26.-27.
oktober" or a year left out; this grammar finds those spans in text and turns
them into values. Words (months, weekdays) come from patterns/calendar.json.

Every hit keeps its character span, so the caller can give the exact text as
evidence and can tell which date a time belongs to.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

_CAL = json.loads((Path(__file__).parent / "patterns" / "calendar.json").read_text(encoding="utf-8"))
MONTHS: dict[str, int] = _CAL["months"]
WEEKDAYS: dict[str, int] = _CAL["weekdays"]
ALL_DAY_WORDS: list[str] = _CAL["all_day_words"]

# a past date this close to the send date is still meant in the send date's year (a late correction)
YEAR_GRACE = timedelta(days=14)


def _alternation(words) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


_MONTH = rf"(?P<month>{_alternation(MONTHS)})\.?"
_WD = rf"(?:(?P<weekday>{_alternation(WEEKDAYS)})\.?,?\s+(?:(?:den|d\.)\s+)?)"
_DEN = r"(?:(?P<den>den|d\.)\s*)"
_YEAR = r"(?:,?\s*(?P<year>(?:19|20)\d\d)\b)"

DATE_WORDED = re.compile(
    rf"(?<![\w.])(?:{_WD}|{_DEN})?(?P<day>[0-3]?\d)(?:\.|st|nd|rd|th)?(?:\s*(?:-|–|—|og|til|and|to)\s*(?P<day2>[0-3]?\d)(?:\.|st|nd|rd|th)?)?"
    rf"\s*(?:of\s+)?{_MONTH}(?![\wæøå]){_YEAR}?",
    re.IGNORECASE,
)
DATE_NUMERIC = re.compile(
    rf"(?<![\w.,/:-])(?:{_WD}|{_DEN})?(?P<day>[0-3]?\d)(?:\.?\s*(?:-|–)\s*(?P<day2>[0-3]?\d))?(?P<sep>[./])(?P<month>[01]?\d)"
    rf"(?:(?:(?P=sep)|(?<=\d)-(?=\d\d(?![\d/.]\d)))(?P<year>(?:20)?\d\d))?(?![\d])(?![.:]\d)",
    re.IGNORECASE,
)
# "27-10-2026", "27-10-26": dashes only with a year ("9-10" is a time range, "26-27" two days)
DATE_DASHED = re.compile(
    rf"(?<![\w.,/:-])(?:{_WD}|{_DEN})?(?P<day>[0-3]?\d)-(?P<month>[01]?\d)-(?P<year>(?:20)?\d\d)(?![\d-])",
    re.IGNORECASE,
)
DATE_ISO = re.compile(r"(?<!\d)(?P<year>20\d\d)-(?P<month>[01]\d)-(?P<day>[0-3]\d)(?!\d)")
# English, month first: "October 27", "Tuesday, October 27th, 2026"
DATE_MONTH_FIRST = re.compile(
    rf"(?<![\w.])(?:(?P<weekday>{_alternation(WEEKDAYS)})\.?,?\s+)?{_MONTH}\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?(?![\d:.]\d)"
    rf"(?:\s*(?:-|–|—|to)\s*(?P<day2>[0-3]?\d)(?:st|nd|rd|th)?)?{_YEAR}?(?![\w])",
    re.IGNORECASE,
)

_H = r"(?:[01]?\d|2[0-3])"
_M = r"[0-5]\d"
_KL = r"(?:kl\.?|klokken)"
TIME_RANGE = re.compile(
    rf"(?<![\w.,/:])(?P<fra>fra\s+)?(?P<kl>{_KL}\s*)?(?P<h1>{_H})(?:[.:](?P<m1>{_M}))?\s*"
    rf"(?:-|–|—|til)\s*(?:{_KL}\s*|ca\.?\s*|cirka\s+)?(?P<h2>{_H})(?:[.:](?P<m2>{_M}))?(?![\d]|\.\d|/)",
    re.IGNORECASE,
)
TIME_SINGLE = re.compile(
    rf"(?<![\w.,/:])(?:(?P<kl>{_KL}\s*)(?P<h1>{_H})(?:[.:](?P<m1>{_M}))?|(?P<h1b>{_H}):(?P<m1b>{_M}))(?![\d]|[.:]\d|/)",
    re.IGNORECASE,
)
_AP = r"(?:a\.?m\.?|p\.?m\.?)(?![\w])"
TIME_AMPM_RANGE = re.compile(
    rf"(?<![\w.,/:])(?P<h1>1[0-2]|0?[1-9])(?:[.:](?P<m1>{_M}))?\s*(?P<ap1>{_AP})?\s*(?:-|–|—|to|until|til)\s*"
    rf"(?P<h2>1[0-2]|0?[1-9])(?:[.:](?P<m2>{_M}))?\s*(?P<ap2>{_AP})",
    re.IGNORECASE,
)
TIME_AMPM = re.compile(rf"(?<![\w.,/:])(?P<h1>1[0-2]|0?[1-9])(?:[.:](?P<m1>{_M}))?\s*(?P<ap1>{_AP})", re.IGNORECASE)
ALL_DAY = re.compile(rf"\b(?:{_alternation(ALL_DAY_WORDS)})\b", re.IGNORECASE)
WEEK_NUMBER = re.compile(r"\buge\s+(?P<week>[1-5]?\d)\b", re.IGNORECASE)
# "tirsdag i uge 44": a day named by its week (full weekday names only: "man i uge 44" is "one, in week 44")
DATE_IN_WEEK = re.compile(
    rf"(?<![\w.])(?P<weekday>{_alternation(_CAL['weekday_names'])})\s+(?:i\s+)?uge\s+(?P<week>[1-5]?\d)\b{_YEAR}?",
    re.IGNORECASE,
)


_DIGIT = re.compile(r"\d")
_MONTH_WORD = re.compile(rf"(?:{_alternation(MONTHS)})(?![\wæøå])", re.IGNORECASE)
_WEEK_WORD = re.compile(r"\b(?:uge|week)\b", re.IGNORECASE)
DOTTED_CUE = re.compile(r"(?<![\wæøå])(?:" + _alternation(_CAL["dotted_date_cues"]) + r")\s*:?\s*(?:den\s+|d\.\s*)?$", re.IGNORECASE)


@dataclass(frozen=True)
class DateHit:
    start: int
    end: int
    text: str
    day: int
    month: int
    year: int | None  # as written; None when left out
    day_end: int | None = None  # "26.-27. oktober"
    weekday: int | None = None  # a named weekday, 0 = Monday
    week: int | None = None  # "tirsdag i uge 44": day and month follow from the year (see `resolve`)


@dataclass(frozen=True)
class TimeHit:
    start: int
    end: int
    text: str
    hour: int
    minute: int
    end_hour: int | None = None
    end_minute: int | None = None
    marked: bool = False  # "kl."/"klokken"/"fra" or minutes: surely a time


def find_dates(text: str) -> list[DateHit]:
    """Every date in the text, in order, without overlaps (worded dates win)."""
    if not _DIGIT.search(text):
        return []  # every form has a number in it
    hits: list[DateHit] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    # each form needs something simple to be there at all: skip the patterns that cannot match (the same hits)
    worded = bool(_MONTH_WORD.search(text))
    for m in DATE_WORDED.finditer(text) if worded else ():
        if _after_kl(text, m.start()) and m.group("day2"):  # "kl. 9 – 27. oktober": an hour, then the date
            m = DATE_WORDED.match(text, m.start("day2")) or m
        hit = _hit(m, int(m.group("day")), MONTHS[m.group("month").lower()], m.group("year"))
        if hit:
            hits.append(hit)
            taken.append((m.start(), m.end()))
    for m in DATE_MONTH_FIRST.finditer(text) if worded else ():
        if free(m.start(), m.end()) and not _after_kl(text, m.start("day")):
            hit = _hit(m, int(m.group("day")), MONTHS[m.group("month").lower()], m.group("year"))
            if hit:
                hits.append(hit)
                taken.append((m.start(), m.end()))
    for m in DATE_IN_WEEK.finditer(text) if _WEEK_WORD.search(text) else ():
        week = int(m.group("week"))
        if 1 <= week <= 53 and free(m.start(), m.end()):
            year = int(m.group("year")) if m.group("year") else None
            hits.append(DateHit(m.start(), m.end(), m.group(0), 0, 0, year,
                                weekday=WEEKDAYS[m.group("weekday").lower()], week=week))
            taken.append((m.start(), m.end()))
    for pattern in (DATE_ISO, DATE_DASHED) if "-" in text else ():  # "2026-10-27", "27-10-2026": always with a year
        for m in pattern.finditer(text):
            if free(m.start(), m.end()):
                hit = _hit(m, int(m.group("day")), int(m.group("month")), m.group("year"))
                if hit:
                    hits.append(hit)
                    taken.append((m.start(), m.end()))
    for m in DATE_NUMERIC.finditer(text) if "/" in text or "." in text else ():
        if not free(m.start(), m.end()):
            continue
        # "9.30" is a time and "1.5" a number: a dotted date needs a year, "den"/"d.", a weekday, or a word
        # before it that only dates follow ("senest 22.10", "Tilmeldingsfrist: 21.10.")
        if m.group("sep") == "." and not (m.group("year") or m.group("den") or m.group("weekday")) and \
                not DOTTED_CUE.search(text[max(0, m.start() - 24):m.start()]):
            continue
        if _after_kl(text, m.start()):
            continue
        hit = _hit(m, int(m.group("day")), int(m.group("month")), m.group("year"))
        if hit:
            hits.append(hit)
            taken.append((m.start(), m.end()))
    return sorted(hits, key=lambda h: h.start)


def _after_kl(text: str, pos: int) -> bool:
    return bool(re.search(r"(?:kl\.?|klokken)\s*$", text[max(0, pos - 9):pos], re.IGNORECASE))


def _hit(m: re.Match, day: int, month: int, year: str | None) -> DateHit | None:
    day2 = int(m.group("day2")) if m.groupdict().get("day2") else None
    y = int(year) if year else None
    if y is not None and y < 100:
        y += 2000
    if not (1 <= month <= 12 and 1 <= day <= 31) or (day2 is not None and not day < day2 <= 31):
        return None
    try:
        date(y or 2024, month, day)  # 2024: a leap year, so 29/2 passes when the year is unknown
    except ValueError:
        return None
    wd = m.groupdict().get("weekday")
    return DateHit(m.start(), m.end(), m.group(0), day, month, y, day2, WEEKDAYS[wd.lower()] if wd else None)


def find_times(text: str, *, labelled: bool = False) -> list[TimeHit]:
    """Time ranges ("kl. 9-10.30", "fra 13 til 15") and single times ("kl. 14", "13:00"), in order.

    `labelled`: the text is the value of a time label ("Tid: 9-12"), where a bare range is a time too.
    """
    if not _DIGIT.search(text):
        return []
    hits: list[TimeHit] = []
    taken: list[tuple[int, int]] = []
    for m in TIME_AMPM_RANGE.finditer(text):  # "2-4 pm", "9:30 am to 12 pm"
        if any(not (m.end() <= s or m.start() >= e) for s, e in taken):
            continue
        ap2 = m.group("ap2").lower()[0]
        ap1 = (m.group("ap1") or "").lower()[:1] or ap2
        h1, h2 = _hour_24(int(m.group("h1")), ap1), _hour_24(int(m.group("h2")), ap2)
        if not m.group("ap1") and h1 > h2 and ap2 == "p":  # "11-1 pm": 11 in the morning
            h1 = int(m.group("h1"))
        m1, m2 = int(m.group("m1") or 0), int(m.group("m2") or 0)
        if (h2, m2) <= (h1, m1):
            continue
        hits.append(TimeHit(m.start(), m.end(), m.group(0).strip(), h1, m1, h2, m2, True))
        taken.append((m.start(), m.end()))
    for m in TIME_AMPM.finditer(text):
        if any(not (m.end() <= s or m.start() >= e) for s, e in taken):
            continue
        hits.append(TimeHit(m.start(), m.end(), m.group(0).strip(), _hour_24(int(m.group("h1")), m.group("ap1").lower()[0]),
                            int(m.group("m1") or 0), marked=True))
        taken.append((m.start(), m.end()))
    for m in TIME_RANGE.finditer(text):
        if any(not (m.end() <= s or m.start() >= e) for s, e in taken):
            continue
        marked = bool(m.group("kl") or m.group("fra") or m.group("m1") or m.group("m2"))
        if not marked and not labelled:
            continue  # "9-10" alone may be anything (a score, a page range)
        h1, m1 = int(m.group("h1")), int(m.group("m1") or 0)
        h2, m2 = int(m.group("h2")), int(m.group("m2") or 0)
        if (h2, m2) <= (h1, m1):
            continue
        hits.append(TimeHit(m.start(), m.end(), m.group(0).strip(), h1, m1, h2, m2, True))
        taken.append((m.start(), m.end()))
    for m in TIME_SINGLE.finditer(text):
        if any(not (m.end() <= s or m.start() >= e) for s, e in taken):
            continue
        h = m.group("h1") or m.group("h1b")
        mm = m.group("m1") or m.group("m1b") or 0
        hits.append(TimeHit(m.start(), m.end(), m.group(0).strip(), int(h), int(mm), marked=True))
    return sorted(hits, key=lambda h: h.start)


def _hour_24(hour: int, half: str) -> int:
    """12-hour clock to 24: "2 pm" -> 14, "12 am" -> 0, "12 pm" -> 12."""
    if half == "p":
        return hour if hour == 12 else hour + 12
    return 0 if hour == 12 else hour


def is_all_day(text: str) -> str | None:
    m = ALL_DAY.search(text)
    return m.group(0) if m else None


def infer_year(month: int, day: int, sent: datetime | date | None, *, fallback_year: int | None = None) -> int:
    """The year a reader infers: the next such date on or after the send date (with a little grace)."""
    if sent is None:
        return fallback_year or datetime.now().year

    def day_in(year: int) -> date | None:
        try:
            return date(year, month, day)
        except ValueError:  # 29 February
            return None

    return _year_from(day_in, sent)


def _year_from(day_in: Callable[[int], date | None], sent: datetime | date) -> int:
    """The send date's year, or the next when the day in it is already past (a little grace allowed)."""
    sent_day = sent.date() if isinstance(sent, datetime) else sent
    candidate = day_in(sent_day.year)
    return sent_day.year + 1 if candidate is not None and candidate < sent_day - YEAR_GRACE else sent_day.year


def resolve(hit: DateHit, sent: datetime | None) -> tuple[date, date | None, bool]:
    """(first day, last day or None, weekday agrees) for a date hit."""
    if hit.week is not None:
        return _in_week(hit, sent), None, True
    year = hit.year or infer_year(hit.month, hit.day, sent)
    try:
        first = date(year, hit.month, hit.day)
    except ValueError:
        first = date(year, hit.month, 28)
    last = None
    if hit.day_end:
        try:
            last = date(year, hit.month, hit.day_end)
        except ValueError:
            last = None
    agrees = hit.weekday is None or hit.weekday in (first.weekday(), last.weekday() if last else None)
    return first, last, agrees


def _in_week(hit: DateHit, sent: datetime | None) -> date:
    """The day of an ISO week: in the year written, else the next one on or after the send date."""
    def day_in(year: int) -> date:
        try:
            return date.fromisocalendar(year, hit.week or 1, (hit.weekday or 0) + 1)
        except ValueError:  # week 53 in a year that has 52
            return date.fromisocalendar(year, 52, (hit.weekday or 0) + 1)

    return day_in(hit.year or _year_from(day_in, sent or date.today()))


def iso_date(d: date) -> str:
    return d.strftime("%Y-%m-%d")


def iso_minute(d: date, hour: int, minute: int) -> str:
    return f"{d:%Y-%m-%d}T{hour:02d}:{minute:02d}"


_CUES = json.loads((Path(__file__).parent / "patterns" / "cues.json").read_text(encoding="utf-8"))
RELATIVE_DAYS: dict[str, int] = _CUES["relative_days"]
RELATIVE = re.compile(
    r"(?<![\w])(?:(?P<days>" + _alternation(RELATIVE_DAYS) + r")|(?P<lead>" + _alternation(_CUES["relative_weekday_lead"])
    + r")\s+(?P<weekday>" + _alternation(list(_CAL["weekday_names"]) + [w for w, n in WEEKDAYS.items() if len(w) > 5]) + r"))(?![\w])",
    re.IGNORECASE,
)


def find_relative_dates(text: str, sent: datetime | None) -> list[DateHit]:
    """"i morgen", "på tirsdag", "next Tuesday": dates said relative to the send date, as hits with their year.

    The grammar finds the phrase; dateparser does the calendar arithmetic from the send date (it does
    not read the Danish phrases whole, so it is given the day word); a phrase it cannot read is counted
    from the table of day offsets in patterns/cues.json.
    """
    if sent is None:
        return []
    hits = []
    for m in RELATIVE.finditer(text):
        day = _relative_day(m, sent)
        if day is not None:
            hits.append(DateHit(m.start(), m.end(), m.group(0), day.day, day.month, day.year,
                                weekday=day.weekday() if m.group("weekday") else None))
    return hits


def _relative_day(m: re.Match, sent: datetime) -> date | None:
    base = sent.replace(tzinfo=None)
    if m.group("days"):
        offset = RELATIVE_DAYS[m.group("days").lower()]
        phrase = {0: "today", 1: "tomorrow"}.get(offset)
        ahead = _offset(phrase, base.weekday(), ("en",)) if phrase else None
        return (base + timedelta(days=offset if ahead is None else ahead)).date()
    weekday = WEEKDAYS[m.group("weekday").lower()]
    ahead = _offset(m.group("weekday").lower(), base.weekday(), ("da", "en"))
    if ahead is None or ahead <= 0 or (base.weekday() + ahead) % 7 != weekday:
        ahead = (weekday - base.weekday()) % 7 or 7
    return (base + timedelta(days=ahead)).date()


_MONDAY = datetime(2024, 1, 1, 12, 0)  # a Monday: the reference day for dateparser's answers


@lru_cache(maxsize=256)
def _offset(phrase: str, weekday: int, languages: tuple[str, ...]) -> int | None:
    """Days from a day of this weekday to what dateparser reads the phrase as (cached: dateparser is slow)."""
    import dateparser  # imported late: it is slow to load and only relative dates need it

    base = _MONDAY + timedelta(days=weekday)
    settings = {"RELATIVE_BASE": base, "PREFER_DATES_FROM": "future", "RETURN_AS_TIMEZONE_AWARE": False}
    try:
        value = dateparser.parse(phrase, languages=list(languages), settings=settings)
    except (ValueError, OverflowError, RecursionError):
        return None
    return (value.date() - base.date()).days if value else None
