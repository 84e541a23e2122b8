"""The feed as calendar libraries read it: the VTIMEZONE's own rules, and UTC instants in summer and winter
time and on the night of the switch, read by icalendar, vobject and ics."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
import ics
import pytest
import vobject

from publish.feeds import Site, ics_feed
from publish.vtimezone import vtimezone
from store.publishing import PublishedEvent

UTC = timezone.utc
SITE = Site.at("https://ledelsesugen.example/programme/")
STAMP = datetime(2026, 9, 20, 8, 0, tzinfo=UTC)
# (wall-clock start, end) -> the UTC instants a client must see
EVENTS = {
    "Sommertid": (("2026-10-20T10:00", "2026-10-20T12:00"), ("2026-10-20T08:00", "2026-10-20T10:00")),
    "Vintertid": (("2026-10-26T09:00", "2026-10-26T10:30"), ("2026-10-26T08:00", "2026-10-26T09:30")),
    "Natten til vintertid": (("2026-10-24T22:00", "2026-10-25T04:00"), ("2026-10-24T20:00", "2026-10-25T03:00")),
    "Natten til sommertid": (("2026-03-28T23:00", "2026-03-29T05:00"), ("2026-03-28T22:00", "2026-03-29T03:00")),
}


def published(uid: str, timezone_name: str = "Europe/Copenhagen", **fields) -> PublishedEvent:
    return PublishedEvent(uid=uid, sequence=1, cancelled=False, fields=fields, timezone=timezone_name,
                          last_modified=STAMP)


def feed() -> bytes:
    return ics_feed([published(f"{n}@t", title=title, start=start, end=end)
                     for n, (title, ((start, end), _)) in enumerate(EVENTS.items())], name="Test", site=SITE)


def expected(title: str) -> tuple[datetime, datetime]:
    start, end = EVENTS[title][1]
    return datetime.fromisoformat(start).replace(tzinfo=UTC), datetime.fromisoformat(end).replace(tzinfo=UTC)


def test_the_zone_is_one_standard_and_one_daylight_rule_switching_at_one_utc():
    (zone,) = icalendar.Calendar.from_ical(feed()).walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Copenhagen"
    rules = {c.name: c for c in zone.subcomponents}
    assert set(rules) == {"STANDARD", "DAYLIGHT"}
    summer, winter = rules["DAYLIGHT"], rules["STANDARD"]
    assert summer["RRULE"].to_ical() == b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3"
    assert winter["RRULE"].to_ical() == b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10"
    assert "RDATE" not in summer and "RDATE" not in winter
    for rule in (summer, winter):  # the onset in the wall-clock time before it is 01:00 UTC
        onset = rule["DTSTART"].dt - rule["TZOFFSETFROM"].td
        assert onset.time().isoformat() == "01:00:00"
    assert (summer["TZOFFSETFROM"].td, summer["TZOFFSETTO"].td) == (timedelta(hours=1), timedelta(hours=2))


@pytest.mark.parametrize("tzid, years", [
    ("Europe/Copenhagen", {2026}), ("Europe/Copenhagen", {2026, 2027}), ("America/New_York", {2026}),
    ("Australia/Sydney", {2026}),  # summer time across the new year
    ("Asia/Tokyo", {2026}),  # no summer time
    ("Africa/Casablanca", {2026}),  # switches by no yearly rule: one component per switch
])
def test_the_vtimezone_read_by_icalendar_and_vobject_agrees_with_the_zone_data_every_hour(tzid, years):
    text = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + vtimezone(tzid, years).to_ical() + b"END:VCALENDAR\r\n"
    from_icalendar = icalendar.Calendar.from_ical(text).walk("VTIMEZONE")[0].to_tz(lookup_tzid=False)
    from_vobject = vobject.readOne(text.decode()).vtimezone.gettzinfo()
    zone = ZoneInfo(tzid)
    moment, end = datetime(min(years), 1, 1, tzinfo=UTC), datetime(max(years) + 1, 1, 1, tzinfo=UTC)
    wrong = []
    while moment < end:
        truth = moment.astimezone(zone).utcoffset()
        for name, tz in (("icalendar", from_icalendar), ("vobject", from_vobject)):
            if moment.astimezone(tz).utcoffset() != truth:
                wrong.append((name, moment.isoformat()))
        moment += timedelta(hours=1)
    assert wrong == []


def test_icalendar_reads_the_right_utc_instants_from_the_feeds_own_vtimezone():
    cal = icalendar.Calendar.from_ical(feed())
    own = cal.walk("VTIMEZONE")[0].to_tz(lookup_tzid=False)  # the block, not icalendar's own zone data
    for event in cal.walk("VEVENT"):
        start, end = event["DTSTART"].dt, event["DTEND"].dt
        assert start.tzinfo is not None and event["DTSTART"].params["TZID"] == "Europe/Copenhagen"
        read = (start.replace(tzinfo=own).astimezone(UTC), end.replace(tzinfo=own).astimezone(UTC))
        assert read == expected(str(event["SUMMARY"])), event["SUMMARY"]
        assert (start.astimezone(UTC), end.astimezone(UTC)) == read


def test_vobject_reads_the_right_utc_instants():
    cal = vobject.readOne(feed().decode("utf-8"))
    seen = {}
    for event in cal.vevent_list:
        seen[event.summary.value] = (event.dtstart.value.astimezone(UTC), event.dtend.value.astimezone(UTC))
    assert seen == {title: expected(title) for title in EVENTS}


def test_ics_reads_the_right_utc_instants():
    cal = ics.Calendar(feed().decode("utf-8"))
    seen = {e.name: (e.begin.to("utc").datetime, e.end.to("utc").datetime) for e in cal.events}
    assert seen == {title: expected(title) for title in EVENTS}


def test_a_three_day_all_day_event_spans_three_days_in_every_library():
    body = ics_feed([published("tre@t", title="Tre dage", start="2026-10-28", end="2026-10-30T16:00", all_day=True)],
                    name="Test", site=SITE)
    (event,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert (event["DTSTART"].dt, event["DTEND"].dt) == (date(2026, 10, 28), date(2026, 10, 31))
    assert event["DTSTART"].params.get("VALUE") == "DATE"
    v = vobject.readOne(body.decode()).vevent
    assert (v.dtstart.value, v.dtend.value) == (date(2026, 10, 28), date(2026, 10, 31))
    (e,) = ics.Calendar(body.decode()).events
    assert e.all_day and e.duration == timedelta(days=3)


def test_an_organiser_with_quotes_reads_as_written_without_rfc_6868():
    name = 'Foreningen "Ledere i staten", København'
    body = ics_feed([published("org@t", title="Møde", start="2026-10-27T09:00", end="2026-10-27T10:00",
                               organizer=name, registration="tilmelding@ledere.example")], name="Test", site=SITE)
    line = next(line for line in body.decode().split("\r\n") if line.startswith("ORGANIZER"))
    assert "^" not in line  # RFC 6868's ^' is decoded by icalendar alone
    shown = 'Foreningen ”Ledere i staten”, København'
    (event,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert event["ORGANIZER"].params["CN"] == shown
    assert vobject.readOne(body.decode()).vevent.organizer.params["CN"] == [shown]
    assert f"Arrangør: {name}" in str(event["DESCRIPTION"])  # the text itself, as written


def test_text_with_danish_letters_commas_semicolons_and_newlines_survives_every_library():
    description = 'Første linje; med "citat", komma\r\nAnden linje æøå ÆØÅ\\'
    body = ics_feed([published("txt@t", title="Æbler, pærer; og \"bananer\"", start="2026-10-27T09:00",
                               place="Rådhuset, Torvet 1; 7100 Vejle", description=description)], name="Test", site=SITE)
    (event,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
    v = vobject.readOne(body.decode()).vevent
    (e,) = ics.Calendar(body.decode()).events
    for title, place, text in ((str(event["SUMMARY"]), str(event["LOCATION"]), str(event["DESCRIPTION"])),
                               (v.summary.value, v.location.value, v.description.value),
                               (e.name, e.location, e.description)):
        assert title == 'Æbler, pærer; og "bananer"'
        assert place == "Rådhuset, Torvet 1; 7100 Vejle"
        assert text.startswith('Første linje; med "citat", komma\nAnden linje æøå ÆØÅ\\\n')
