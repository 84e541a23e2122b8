"""Danish dates and times as shown on every page and in every mail."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from core import danish


@pytest.mark.parametrize("start, end, all_day, style, expected", [
    ("2026-10-27T13:00", "2026-10-27T15:30", False, "long", "tirsdag den 27. oktober 2026 kl. 13.00–15.30"),
    ("2026-10-27T13:00", "2026-10-27T15:30", False, "short", "tirs. 27. okt. 2026 kl. 13.00–15.30"),
    ("2026-10-27T09:00", None, False, "long", "tirsdag den 27. oktober 2026 kl. 09.00"),
    ("2026-10-26", "2026-10-28", True, "long", "mandag den 26. oktober – onsdag den 28. oktober 2026"),
    ("2026-10-30", None, True, "long", "fredag den 30. oktober 2026, hele dagen"),
    ("2026-12-31T20:00", "2027-01-01T02:00", False, "short", "tors. 31. dec. 2026 kl. 20.00 – fre. 1. jan. 2027 kl. 02.00"),
])
def test_when_reads_as_danish(start, end, all_day, style, expected):
    assert danish.when(start, end, all_day, style) == expected


def test_an_unreadable_time_is_shown_as_written():
    assert danish.when("i uge 44") == "i uge 44"
    assert danish.when(None) == ""


def test_instants_are_shown_in_danish_local_time_summer_and_winter():
    assert danish.instant(datetime(2026, 10, 24, 6, 5, tzinfo=timezone.utc)) == "lør. 24. okt. 2026 kl. 08.05"
    assert danish.instant(datetime(2026, 10, 26, 6, 5, tzinfo=timezone.utc)) == "man. 26. okt. 2026 kl. 07.05"
    assert danish.instant(datetime(2026, 10, 26, 8, 5, tzinfo=timezone(timedelta(hours=1)))) == "man. 26. okt. 2026 kl. 08.05"
    with pytest.raises(ValueError):
        danish.instant(datetime(2026, 10, 26, 8, 5))


def test_deadline_with_and_without_a_time():
    assert danish.deadline("2026-10-09T12:00") == "fredag den 9. oktober 2026 kl. 12.00"
    assert danish.deadline("2026-10-09", "short") == "fre. 9. okt. 2026"


@pytest.mark.parametrize("start, end, all_day, expected", [
    ("2026-10-26T09:00", "2026-10-26T10:30", False, "kl. 09.00–10.30"),
    ("2026-10-26T09:00", None, False, "kl. 09.00"),
    ("2026-10-26T09:00", "2026-10-27T16:00", False, "kl. 09.00 til tirsdag den 27. oktober kl. 16.00"),
    ("2026-10-28", "2026-10-30", True, "hele dagen, til og med fredag den 30. oktober"),
    ("2026-10-28", None, True, "hele dagen"),
    ("i uge 44", None, False, "i uge 44"),
])
def test_time_of_day_under_a_day_heading(start, end, all_day, expected):
    assert danish.time_of_day(start, end, all_day) == expected


def test_a_day_as_a_heading_and_a_sentence():
    from datetime import date

    assert danish.heading(date(2026, 10, 26)) == "Mandag den 26. oktober"
    assert danish.sentence("hele dagen") == "Hele dagen" and danish.sentence("") == ""


def test_typed_is_what_a_reviewer_writes_and_never_iso():
    assert danish.typed("2026-10-27T09:00") == "27.10.2026 kl. 09.00"
    assert danish.typed("2026-10-27") == "27.10.2026"
    assert danish.typed(None) == ""
    assert danish.typed("i uge 44") == "i uge 44"
