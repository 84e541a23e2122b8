"""A VTIMEZONE in the form every calendar client reads: one STANDARD and one DAYLIGHT rule with RRULEs.

Written from the zone's own data (zoneinfo), for the years the feed's events fall in:

    BEGIN:VTIMEZONE
    TZID:Europe/Copenhagen
    BEGIN:DAYLIGHT                       summer time from the last Sunday of March, 02:00 local (01:00 UTC)
    DTSTART:19960331T020000
    RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
    TZOFFSETFROM:+0100 / TZOFFSETTO:+0200
    ...
    BEGIN:STANDARD                       back on the last Sunday of October, 03:00 local (01:00 UTC)

Each onset is written in the wall-clock time in force just before it (RFC 5545 3.6.5), and each rule
starts in the first year from which the zone has followed it without a break, so the block is the same
whatever year the events are in while the rules stay. A comma-separated list of RDATEs (what
`icalendar.Timezone.from_tzid` writes) is read by vobject, and stored by Radicale, as its first date
only; a zone whose switches follow no yearly rule (the rule must hold the year after too, so one year
is never taken for a rule) gets one component per switch instead, after the one in force on 1 January.
A switch to a later clock is written DAYLIGHT and one to an earlier clock STANDARD, whatever the zone
data calls summer: dateutil's tzical (under vobject and icalendar) places the hour that comes twice by it.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import icalendar

EARLIEST_YEAR = 1970  # how far back a rule's start is looked for
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class Switch:
    """One change of a zone's offset: the instant, the offsets before and after, and the name after."""

    at: datetime  # UTC
    offset_from: timedelta
    offset_to: timedelta
    name: str
    dst: bool  # the clock goes forward (written as DAYLIGHT)

    @property
    def local_onset(self) -> datetime:
        """The onset as a naive wall-clock time in the offset in force before it."""
        return (self.at + self.offset_from).replace(tzinfo=None)

    def rule(self) -> tuple:
        """What makes this switch the same as last year's: month, weekday, time of day, offsets, name."""
        onset = self.local_onset
        return (onset.month, onset.weekday(), onset.time(), self.offset_from, self.offset_to, self.name, self.dst)

    def ordinals(self) -> set[int]:
        """Which weekday of the month the onset is: its count from the start and, in the last week, -1."""
        onset = self.local_onset
        found = {(onset.day - 1) // 7 + 1}
        if onset.day + 7 > calendar.monthrange(onset.year, onset.month)[1]:
            found.add(-1)
        return found


def _offset(zone: ZoneInfo, moment: datetime) -> timedelta:
    return moment.astimezone(zone).utcoffset() or timedelta(0)


@lru_cache(maxsize=256)
def switches(tzid: str, year: int) -> tuple[Switch, ...]:
    """Every change of offset in the zone in one year, to the minute."""
    zone = ZoneInfo(tzid)
    found = []
    moment = datetime(year, 1, 1, tzinfo=timezone.utc)
    end = datetime(year + 1, 1, 1, tzinfo=timezone.utc)
    step = timedelta(days=1)
    while moment < end:
        later = min(moment + step, end)
        if _offset(zone, moment) != _offset(zone, later):
            low, high = moment, later  # the change lies in (low, high]: halve to the minute
            while high - low > timedelta(minutes=1):
                middle = low + timedelta(minutes=int((high - low).total_seconds() // 60) // 2)
                if _offset(zone, middle) == _offset(zone, low):
                    low = middle
                else:
                    high = middle
            local = high.astimezone(zone)
            before, after = _offset(zone, low), _offset(zone, high)
            # DAYLIGHT is the switch to the later clock, whatever the zone data calls summer: clients
            # (dateutil's tzical, under vobject and icalendar) read the hour that comes twice by it
            found.append(Switch(high, before, after, local.tzname() or tzid, after > before))
        moment = later
    return tuple(found)


def vtimezone(tzid: str, years: set[int] | frozenset[int]) -> icalendar.Timezone:
    """The zone's VTIMEZONE covering `years` (the years of the events that use it)."""
    return _vtimezone(tzid, min(years), max(years))


def _vtimezone(tzid: str, first: int, last: int) -> icalendar.Timezone:
    component = icalendar.Timezone()
    component.add("tzid", tzid)
    component.add("x-lic-location", tzid)
    rules = _yearly_rules(tzid, first, last)
    if rules is None:  # no yearly rule: each switch of those years on its own, after the one in force before
        earlier = _switch_before(tzid, first)
        if earlier is None:
            component.add_component(_fixed(tzid, datetime(first, 1, 1)))
        else:
            component.add_component(_observance(earlier))
        for year in range(first, last + 1):
            for switch in switches(tzid, year):
                component.add_component(_observance(switch))
    elif not rules:  # no summer time in those years: one offset
        component.add_component(_fixed(tzid, datetime(EARLIEST_YEAR, 1, 1)))
    else:
        start = _first_year_of(tzid, rules, first)
        for rule, ordinal in rules:
            switch = next(s for s in switches(tzid, start) if s.rule() == rule)
            observance = _observance(switch)
            observance.add("rrule", {"freq": "yearly", "bymonth": switch.local_onset.month,
                                     "byday": f"{ordinal}{WEEKDAYS[switch.local_onset.weekday()]}"})
            component.add_component(observance)
    return component


def _yearly_rules(tzid: str, first: int, last: int) -> list[tuple[tuple, int]] | None:
    """The switches of those years as yearly rules (rule, weekday ordinal); [] when the zone has none;
    None when the years do not switch alike. The year after them must follow the rules too, so that
    one year's dates are never taken for a rule."""
    per_year = [switches(tzid, year) for year in range(first, last + 2)]
    if not any(per_year):
        return []
    rules = [s.rule() for s in per_year[0]]
    if any([s.rule() for s in year] != rules for year in per_year):
        return None
    result = []
    for index, rule in enumerate(rules):
        common = set.intersection(*(year[index].ordinals() for year in per_year))
        if not common:
            return None
        result.append((rule, -1 if -1 in common else min(common)))
    return result


def _first_year_of(tzid: str, rules: list[tuple[tuple, int]], first: int) -> int:
    """The earliest year from which the zone has switched by these rules every year up to `first`."""
    year = first
    while year > EARLIEST_YEAR:
        earlier = switches(tzid, year - 1)
        if [s.rule() for s in earlier] != [rule for rule, _ in rules]:
            break
        if any(ordinal not in s.ordinals() for s, (_, ordinal) in zip(earlier, rules)):
            break
        year -= 1
    return year


def _switch_before(tzid: str, year: int) -> Switch | None:
    """The last switch before the year began (its observance is in force on 1 January)."""
    for earlier in range(year - 1, EARLIEST_YEAR - 1, -1):
        found = switches(tzid, earlier)
        if found:
            return found[-1]
    return None


def _observance(switch: Switch) -> icalendar.cal.Component:
    observance = icalendar.TimezoneDaylight() if switch.dst else icalendar.TimezoneStandard()
    observance.add("dtstart", switch.local_onset)
    observance.add("tzoffsetfrom", switch.offset_from)
    observance.add("tzoffsetto", switch.offset_to)
    observance.add("tzname", switch.name)
    return observance


def _fixed(tzid: str, since: datetime) -> icalendar.cal.Component:
    """The offset in force at `since`, as a STANDARD observance that never ends."""
    local = since.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(tzid))
    offset = local.utcoffset() or timedelta(0)
    observance = icalendar.TimezoneStandard()
    observance.add("dtstart", since)
    observance.add("tzoffsetfrom", offset)
    observance.add("tzoffsetto", offset)
    observance.add("tzname", local.tzname() or tzid)
    return observance
