"""The Danish date and time grammar, as a table of expressions and the values they mean."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from parsers import danish_time as dt

SENT = datetime(2026, 9, 10, 9, 0, tzinfo=timezone(timedelta(hours=2)))


@pytest.mark.parametrize("text, first, last, agrees", [
    ("tirsdag den 27. oktober", date(2026, 10, 27), None, True),
    ("Tirsdag d. 27. oktober", date(2026, 10, 27), None, True),
    ("d. 27.10", date(2026, 10, 27), None, True),
    ("Onsdag 28/10", date(2026, 10, 28), None, True),
    ("27.10.2026", date(2026, 10, 27), None, True),
    ("30. okt. 2020", date(2020, 10, 30), None, True),
    ("26.-27. oktober", date(2026, 10, 26), date(2026, 10, 27), True),
    ("onsdag og torsdag den 28.-29. oktober", date(2026, 10, 28), date(2026, 10, 29), True),
    ("2026-10-29", date(2026, 10, 29), None, True),
    ("fredag den 3. november", date(2026, 11, 3), None, False),  # 3 November 2026 is a Tuesday
    ("1. februar", date(2027, 2, 1), None, True),  # before the send date: next year
    ("tirsdag i uge 44", date(2026, 10, 27), None, True),  # a day named by its ISO week
    ("Fredag uge 44", date(2026, 10, 30), None, True),
    ("onsdag i uge 44 2025", date(2025, 10, 29), None, True),
    ("mandag i uge 2", date(2027, 1, 11), None, True),  # week 2 of this year is past: next year's
    ("27-10-2026", date(2026, 10, 27), None, True),
    ("tirsdag d. 27-10-26", date(2026, 10, 27), None, True),
])
def test_dates(text, first, last, agrees):
    hits = dt.find_dates(text)
    assert len(hits) == 1, hits
    assert dt.resolve(hits[0], SENT) == (first, last, agrees)


@pytest.mark.parametrize("text, expected", [
    ("kl. 9-10.30", (9, 0, 10, 30)),
    ("klokken 12.00-13.00", (12, 0, 13, 0)),
    ("fra kl. 13.00 til 15.10", (13, 0, 15, 10)),
    ("13:00–15:10", (13, 0, 15, 10)),
    ("9.30-11", (9, 30, 11, 0)),
    ("fra 13 til 15", (13, 0, 15, 0)),
    ("fra kl. 8 til ca. 9.30", (8, 0, 9, 30)),
    ("kl. 14", (14, 0, None, None)),
])
def test_times(text, expected):
    hits = dt.find_times(text)
    assert hits, text
    t = hits[0]
    assert (t.hour, t.minute, t.end_hour, t.end_minute) == expected


@pytest.mark.parametrize("text", ["Tlf. 8970 1234", "side 9-10", "3.950 kr.", "version 2.1", "CVR 12345678",
                                  "man i uge 44 kan deltage", "i uge 44", "lokale 12-14-2"])
def test_numbers_that_are_not_dates_or_times(text):
    assert dt.find_dates(text) == []
    assert dt.find_times(text) == []


@pytest.mark.parametrize("text", ["hele dagen", "(heldag)", "Heldagsseminar"])
def test_whole_day_words(text):
    assert dt.is_all_day(text)


@pytest.mark.parametrize("month, day, sent, year", [
    (10, 27, date(2026, 9, 1), 2026),
    (10, 27, date(2026, 10, 26), 2026),  # a late submission in the same week
    (10, 20, date(2026, 10, 27), 2026),  # just past: a correction, not next year
    (1, 15, date(2026, 11, 20), 2027),
    (10, 27, date(2020, 9, 28), 2020),
])
def test_year_inference(month, day, sent, year):
    assert dt.infer_year(month, day, sent) == year
