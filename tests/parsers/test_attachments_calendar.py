"""Calendar invites: every VEVENT, series expanded and bounded, METHOD and STATUS exposed, local wall-clock times."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from parsers.attachments import MAX_EVENTS, MAX_SERIES_OCCURRENCES, calendar_events, read_calendar

TZ = "Europe/Copenhagen"
OUTLOOK_ZONE = """BEGIN:VTIMEZONE
TZID:Romance Standard Time
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
"""


def vevent(uid: str = "e1", start: str = "DTSTART;TZID=Europe/Copenhagen:20261027T090000",
           end: str | None = "DTEND;TZID=Europe/Copenhagen:20261027T110000", summary: str = "Tillid i praksis",
           *extra: str) -> str:
    lines = ["BEGIN:VEVENT", f"UID:{uid}@test.example", "DTSTAMP:20260901T080000Z", start]
    lines += [end] if end else []
    lines += [f"SUMMARY:{summary}", *extra, "END:VEVENT"]
    return "\n".join(lines) + "\n"


def calendar(*events: str, method: str | None = "REQUEST", zones: str = "") -> str:
    head = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Test//DA\n" + (f"METHOD:{method}\n" if method else "")
    return head + zones + "".join(events) + "END:VCALENDAR\n"


def starts(events) -> list[str]:
    return [e.start.isoformat() for e in events]


def test_every_vevent_is_read_in_start_order():
    events = calendar_events(calendar(
        vevent("b", "DTSTART;TZID=Europe/Copenhagen:20261029T130000", None, "Anden"),
        vevent("a", "DTSTART;TZID=Europe/Copenhagen:20261027T090000", None, "Første")), TZ)
    assert [(e.summary, e.uid) for e in events] == [("Første", "a@test.example"), ("Anden", "b@test.example")]


def test_a_weekly_series_of_two_gives_two_events():
    events = calendar_events(calendar(vevent("w", "DTSTART;TZID=Europe/Copenhagen:20261020T090000",
                                             "DTEND;TZID=Europe/Copenhagen:20261020T100000", "Netværk",
                                             "RRULE:FREQ=WEEKLY;COUNT=2")), TZ)
    assert [(e.start, e.end) for e in events] == [
        (datetime(2026, 10, 20, 9), datetime(2026, 10, 20, 10)), (datetime(2026, 10, 27, 9), datetime(2026, 10, 27, 10))]
    assert all(e.series and e.uid == "w@test.example" and e.recurrence_id == e.start for e in events)


def test_a_series_with_until_days_an_exdate_and_a_moved_occurrence():
    master = vevent("s", "DTSTART;TZID=Romance Standard Time:20271101T073000",
                    "DTEND;TZID=Romance Standard Time:20271101T081500", "Morgenwalk",
                    "RRULE:FREQ=WEEKLY;UNTIL=20271112T063000Z;BYDAY=MO,WE,FR",
                    "EXDATE;TZID=Romance Standard Time:20271103T073000")
    moved = vevent("s", "DTSTART;TZID=Romance Standard Time:20271105T120000",
                   "DTEND;TZID=Romance Standard Time:20271105T124500", "Morgenwalk (flyttet)",
                   "RECURRENCE-ID;TZID=Romance Standard Time:20271105T073000")
    events = calendar_events(calendar(master, moved, zones=OUTLOOK_ZONE), TZ)
    assert starts(events) == ["2027-11-01T07:30:00", "2027-11-05T12:00:00", "2027-11-08T07:30:00",
                              "2027-11-10T07:30:00", "2027-11-12T07:30:00"]
    assert events[1].summary == "Morgenwalk (flyttet)"


@pytest.mark.parametrize("rule", [
    "RRULE:FREQ=SECONDLY",  # no end, every second
    "RRULE:FREQ=MINUTELY;COUNT=2000000000",
    "RRULE:FREQ=HOURLY;UNTIL=99991231T000000Z",
])
def test_a_rule_more_often_than_daily_is_read_once(rule):
    invite = read_calendar(calendar(vevent("h", "DTSTART;TZID=Europe/Copenhagen:20261027T090000", None, "Hvert sekund", rule)), TZ)
    assert starts(invite.events) == ["2026-10-27T09:00:00"]
    assert any("not expanded" in w for w in invite.warnings)


@pytest.mark.parametrize("rule, expected", [
    ("RRULE:FREQ=DAILY", MAX_SERIES_OCCURRENCES),  # no end: the first ones
    ("RRULE:FREQ=WEEKLY;COUNT=2000000000", MAX_SERIES_OCCURRENCES),
    ("RRULE:FREQ=DAILY;UNTIL=99991231T000000Z", MAX_SERIES_OCCURRENCES),
    ("RRULE:FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12;BYMINUTE=0,10,20,30,40,50;UNTIL=20271231T000000Z",
     MAX_SERIES_OCCURRENCES),  # several a day: read once a day
    ("RRULE:FREQ=YEARLY;UNTIL=99991231T000000Z", 2),  # the window: 366 days from the first
])
def test_a_series_is_bounded_by_count_and_window(rule, expected):
    invite = read_calendar(calendar(vevent("d", "DTSTART;TZID=Europe/Copenhagen:20261026T090000", None, "Daglig", rule)), TZ)
    assert len(invite.events) == expected
    assert len({e.start.date() for e in invite.events}) == expected  # at most one a day
    assert invite.events[0].start == datetime(2026, 10, 26, 9)


def test_a_series_from_year_1_is_not_expanded():
    invite = read_calendar(calendar(vevent("o", "DTSTART:00010101T090000", None, "Oldtid",
                                           "RRULE:FREQ=DAILY;UNTIL=99991231T000000")), TZ)
    assert len(invite.events) == 1 and invite.events[0].start.year == 1


def test_many_vevents_are_cut_before_parsing_and_the_events_capped():
    many = [vevent(f"m{i}", f"DTSTART;TZID=Europe/Copenhagen:202610{26 + i % 5}T{8 + i % 9:02d}{i % 60:02d}00", None,
                   f"Arrangement {i}") for i in range(500)]
    invite = read_calendar(calendar(*many, method="PUBLISH"), TZ)
    assert len(invite.events) == MAX_EVENTS
    assert any("VEVENTs" in w for w in invite.warnings)


@pytest.mark.parametrize("method, status, partstat", [
    ("REQUEST", "CONFIRMED", "NEEDS-ACTION"),
    ("REPLY", None, "ACCEPTED"),  # "Accepteret: …"
    ("CANCEL", "CANCELLED", None),
    ("PUBLISH", None, None),
    (None, "TENTATIVE", None),
])
def test_method_status_and_the_attendees_answer_are_given(method, status, partstat):
    extra = [f"STATUS:{status}"] if status else []
    extra += [f"ATTENDEE;PARTSTAT={partstat};CN=Anders:mailto:anders@kl.example"] if partstat else []
    extra += ["ORGANIZER;CN=Ledelsesugen:mailto:kontakt@ledelsesugen.dk", "SEQUENCE:3"]
    invite = read_calendar(calendar(vevent("x", "DTSTART;TZID=Europe/Copenhagen:20261027T090000", None, "Møde", *extra),
                                    method=method), TZ)
    [event] = invite.events
    assert (invite.method, event.method, event.status, event.attendee_status) == (method, method, status, partstat)
    assert (event.organizer, event.sequence) == ("Ledelsesugen", 3)


@pytest.mark.parametrize("start, expected", [
    ("DTSTART;TZID=Europe/Copenhagen:20261027T090000", datetime(2026, 10, 27, 9)),  # no VTIMEZONE given
    ("DTSTART;TZID=Romance Standard Time:20261027T090000", datetime(2026, 10, 27, 9)),  # Outlook's Windows name
    ("DTSTART;TZID=W. Europe Standard Time:20261027T090000", datetime(2026, 10, 27, 9)),
    ("DTSTART:20261027T080000Z", datetime(2026, 10, 27, 9)),  # UTC, winter time in Denmark
    ("DTSTART:20260915T070000Z", datetime(2026, 9, 15, 9)),  # UTC, summer time
    ("DTSTART:20261027T090000", datetime(2026, 10, 27, 9)),  # floating: local
    ("DTSTART;VALUE=DATE:20261027", date(2026, 10, 27)),  # all day
])
def test_times_are_local_wall_clock(start, expected):
    [event] = calendar_events(calendar(vevent("t", start, None), zones=OUTLOOK_ZONE), TZ)
    assert event.start == expected and type(event.start) is type(expected)


def test_an_unknown_time_zone_is_read_as_local_time_with_a_warning():
    invite = read_calendar(calendar(vevent("z", "DTSTART;TZID=Europe/Atlantis:20261029T090000", None)), TZ)
    assert invite.events[0].start == datetime(2026, 10, 29, 9)
    assert any("Europe/Atlantis" in w for w in invite.warnings)


def test_duration_gives_the_end():
    [event] = calendar_events(calendar(vevent("u", end="DURATION:PT1H30M")), TZ)
    assert event.end == datetime(2026, 10, 27, 10, 30)


def test_broken_vevents_are_skipped_and_the_good_ones_read():
    invite = read_calendar(calendar(
        vevent("no-start", "X-NOTHING:1", "DTEND;TZID=Europe/Copenhagen:20261027T103000"),
        vevent("garbage", "DTSTART:20261332T256100", "DTEND:not-a-date"),
        vevent("good", "DTSTART;TZID=Europe/Copenhagen:20261028T130000", None, "God")), TZ)
    assert [e.summary for e in invite.events] == ["God"]
    assert sum("without a readable DTSTART" in w for w in invite.warnings) == 2


@pytest.mark.parametrize("text", ["", "BEGIN:VCALENDAR\n", "not a calendar at all", "BEGIN:VEVENT\nDTSTART:x\n" * 3,
                                  "BEGIN:VCALENDAR\nCALSCALE:JULIAN\nBEGIN:VEVENT\nUID:j\nDTSTART:20261027T090000\n"
                                  "RRULE:FREQ=DAILY;COUNT=3\nEND:VEVENT\nEND:VCALENDAR\n"])
def test_a_calendar_that_cannot_be_read_gives_no_events_and_never_raises(text):
    invite = read_calendar(text, TZ)
    assert isinstance(invite.events, list) and all(e.start is not None for e in invite.events)


def test_a_calendar_cut_short_is_read_up_to_its_last_whole_vevent():
    text = calendar(vevent("1", summary="Hel"), vevent("2", summary="Halv"))
    cut = text[: text.index("SUMMARY:Halv")]
    invite = read_calendar(cut, TZ)
    assert [e.summary for e in invite.events] == ["Hel"]
