"""Publishing: only approved events, stable UIDs, SEQUENCE on every approved change, CANCELLED on withdrawal;
all-day spans, events without an end, URLs, Danish dates, a page and .ics per event, unchanged files left alone."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import icalendar
import ics
from bs4 import BeautifulSoup

from kontakt.pipeline import open_store
from publish.feeds import Site
from publish.page import Showing, render_programme
from review.forms import check_draft
from store import DraftStatus, repo, session_scope
from store.publishing import published_events
from tests.publish.conftest import SITE_URL, approve, cli, draft, edit, publish


def vevents(out: Path, name: str = "events.ics") -> dict[str, icalendar.Event]:
    cal = icalendar.Calendar.from_ical((out / name).read_bytes())
    return {str(e["SUMMARY"]): e for e in cal.walk("VEVENT")}


def feed_json(out: Path) -> dict:
    return json.loads((out / "events.json").read_text(encoding="utf-8"))


def visible_text(path: Path) -> str:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").get_text(" ")


def test_feed_has_only_approved_events_with_zone_and_dates(site, tmp_path):
    settings, _ = site
    out = publish(settings, tmp_path / "public")
    events = vevents(out)
    assert set(events) == {"Morgenmøde om tillid", "Lederdag for alle"}
    morning = events["Morgenmøde om tillid"]
    assert morning["DTSTART"].params["TZID"] == "Europe/Copenhagen"
    assert morning["DTSTART"].dt.isoformat() == "2026-10-26T09:00:00+01:00"  # winter time: after 25 October
    assert morning["DTEND"].dt.isoformat() == "2026-10-26T10:30:00+01:00"
    day = events["Lederdag for alle"]
    assert (str(day["DTSTART"].dt), str(day["DTEND"].dt)) == ("2026-10-28", "2026-10-29")  # DATE, DTEND exclusive
    cal = icalendar.Calendar.from_ical((out / "events.ics").read_bytes())
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Copenhagen"]
    assert all(str(e["STATUS"]) == "CONFIRMED" for e in events.values())


def test_the_feed_tells_subscribers_to_refresh_hourly_and_stamps_events_with_their_last_change(site, tmp_path):
    settings, drafts = site
    cal = icalendar.Calendar.from_ical((publish(settings, tmp_path / "public") / "events.ics").read_bytes())
    assert cal["REFRESH-INTERVAL"].dt == timedelta(hours=1) and cal["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert cal["X-PUBLISHED-TTL"].to_ical() == b"PT1H"
    for event in cal.walk("VEVENT"):
        published_at = draft(settings, drafts[str(event["SUMMARY"])]).published_at
        assert event["DTSTAMP"].dt == event["LAST-MODIFIED"].dt == published_at.replace(microsecond=0)


def test_a_second_independent_parser_reads_the_same_feed(site, tmp_path):
    settings, _ = site
    out = publish(settings, tmp_path / "public")
    parsed = ics.Calendar((out / "events.ics").read_text(encoding="utf-8"))
    by_name = {e.name: e for e in parsed.events}
    assert set(by_name) == {"Morgenmøde om tillid", "Lederdag for alle"}
    assert by_name["Morgenmøde om tillid"].begin.isoformat() == "2026-10-26T09:00:00+01:00"
    assert by_name["Morgenmøde om tillid"].location.startswith("Rådhuset")


def test_an_edit_is_published_only_after_reapproval_with_the_same_uid_and_a_higher_sequence(site, tmp_path):
    settings, drafts = site
    first = vevents(publish(settings, tmp_path / "a"))["Morgenmøde om tillid"]
    edit(settings, drafts["Morgenmøde om tillid"], start="2026-10-26T10:00", end="2026-10-26T11:30")
    assert draft(settings, drafts["Morgenmøde om tillid"]).status == DraftStatus.PENDING  # back to review
    still = vevents(publish(settings, tmp_path / "b"))["Morgenmøde om tillid"]
    assert still["DTSTART"].dt.hour == 9 and still["SEQUENCE"] == first["SEQUENCE"]
    approve(settings, drafts["Morgenmøde om tillid"])
    moved = vevents(publish(settings, tmp_path / "c"))["Morgenmøde om tillid"]
    assert moved["UID"] == first["UID"]
    assert moved["SEQUENCE"] > first["SEQUENCE"]
    assert moved["DTSTART"].dt.hour == 10


def test_withdrawal_publishes_status_cancelled_and_the_programme_says_aflyst_for_a_while(site, tmp_path):
    settings, drafts = site
    before = vevents(publish(settings, tmp_path / "a"))["Lederdag for alle"]
    result = cli(settings, "withdraw", str(drafts["Lederdag for alle"]), "--yes", "--reason", "Aflyst af arrangøren")
    assert result.exit_code == 0, result.output
    out = publish(settings, tmp_path / "b")
    after = vevents(out)["Lederdag for alle"]
    assert str(after["STATUS"]) == "CANCELLED" and after["UID"] == before["UID"] and after["SEQUENCE"] > before["SEQUENCE"]
    page = BeautifulSoup((out / "index.html").read_text(encoding="utf-8"), "html.parser")
    cancelled = [a for a in page.select("article.event") if "Lederdag for alle" in a.get_text()]
    assert len(cancelled) == 1 and "is-cancelled" in cancelled[0]["class"] and "Aflyst" in cancelled[0].get_text()
    assert "Aflyst" not in next(a for a in page.select("article.event") if "Morgenmøde" in a.get_text()).get_text()
    with session_scope(open_store(settings)) as s:  # after cancelled_days the programme lets it go; the feed keeps it
        events = published_events(s)
        withdrawn_at = draft(settings, drafts["Lederdag for alle"]).published_at
        site_ = Site.at(SITE_URL)
        later = render_programme(events, title="T", site=site_, showing=Showing(withdrawn_at + timedelta(days=15),
                                                                                 timedelta(days=14)))
        sooner = render_programme(events, title="T", site=site_, showing=Showing(withdrawn_at + timedelta(days=13),
                                                                                  timedelta(days=14)))
        assert "Lederdag for alle" not in later and "Lederdag for alle" in sooner
        showing = Showing(withdrawn_at + timedelta(days=15), timedelta(days=14))
        assert showing.page_changed_at(events, withdrawn_at) == withdrawn_at + timedelta(days=14)
    event_page = out / "arrangement" / (str(after["UID"]).split("@")[0] + ".html")
    assert "Aflyst" in visible_text(event_page)


def test_json_feed_schema_version_1(site, tmp_path):
    settings, _ = site
    data = feed_json(publish(settings, tmp_path / "public"))
    assert data["version"] == 1
    keys = {"uid", "sequence", "status", "title", "start", "end", "all_day", "timezone", "place", "online",
            "registration", "registration_url", "registration_deadline", "organizer", "audience", "description",
            "last_modified"}
    assert [set(e) for e in data["events"]] == [keys, keys]
    morning = next(e for e in data["events"] if e["title"] == "Morgenmøde om tillid")
    assert (morning["start"], morning["status"], morning["registration_url"]) == (
        "2026-10-26T09:00", "confirmed", "mailto:meho@vejle.example")
    assert data["generated"] == max(e["last_modified"] for e in data["events"])  # the last change, not the clock


def test_static_export_groups_by_day_in_danish(site, tmp_path):
    settings, _ = site
    out = publish(settings, tmp_path / "public")
    html = (out / "index.html").read_text(encoding="utf-8")
    assert html.index("Mandag den 26. oktober") < html.index("Morgenmøde om tillid") < html.index(
        "Onsdag den 28. oktober") < html.index("Lederdag for alle")
    assert "Afventende webinar" not in html
    assert "Kl. 09.00–10.30" in html and "Tilmeld dig her" in html
    assert "Tilmeldingsfrist fredag den 16. oktober 2026" in " ".join(visible_text(out / "index.html").split())
    assert (out / "programme.css").exists()


def test_no_iso_date_or_time_is_shown_on_a_public_page(site, tmp_path):
    settings, drafts = site
    approve(settings, drafts["Afventende webinar"], registration_deadline="2026-10-09T12:00", title="Webinar",
            start="2026-10-29T14:00", end="2026-10-30T15:00")
    out = publish(settings, tmp_path / "public")
    pages = [out / "index.html", *sorted((out / "arrangement").glob("*.html"))]
    assert len(pages) == 4
    for page in pages:
        text = visible_text(page)
        assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}", text), (page.name, text)
    assert "fredag den 9. oktober 2026 kl. 12.00" in " ".join(visible_text(pages[0]).split())


def test_a_page_and_an_ics_per_event_and_a_webcal_link(site, tmp_path):
    settings, _ = site
    out = publish(settings, tmp_path / "public")
    index = BeautifulSoup((out / "index.html").read_text(encoding="utf-8"), "html.parser")
    subscribe = index.select_one("a.subscribe")
    assert subscribe["href"] == "webcal://ledelsesugen.example/programme/events.ics"
    assert index.select_one("a.download")["href"] == "events.ics"
    for article in index.select("article.event"):
        page_link = article.select_one("h3 a")["href"]
        ics_link = article.select_one("a.add")["href"]
        page = BeautifulSoup((out / page_link).read_text(encoding="utf-8"), "html.parser")
        assert page.select_one("h1").get_text().strip() == article.select_one("h3 a").get_text().strip()
        assert (out / page_link).parent.joinpath(page.select_one("link[rel=stylesheet]")["href"]).resolve() == (
            out / "programme.css").resolve()
        cal = icalendar.Calendar.from_ical((out / ics_link).read_bytes())
        (event,) = cal.walk("VEVENT")
        assert event["UID"] == article["id"]
        assert "X-WR-CALNAME" not in cal  # a file to add one event, not a calendar to make
        assert vevents(out)[str(event["SUMMARY"])]["SEQUENCE"] == event["SEQUENCE"]


def test_a_three_day_all_day_event_is_three_days_in_the_desk_the_feed_the_json_and_the_programme(site, tmp_path):
    settings, drafts = site
    form = check_draft({"title": "Lederdag for alle", "start": "2026-10-28T09:00", "end": "2026-10-30T16:00",
                        "all_day": "on"}, year=2026)
    assert form.ok and (form.values["start"], form.values["end"]) == ("2026-10-28", "2026-10-30")  # the desk: dates
    approve(settings, drafts["Lederdag for alle"], start="2026-10-28", end="2026-10-30T16:00", all_day=True)  # as stored before
    out = publish(settings, tmp_path / "public")
    event = vevents(out)["Lederdag for alle"]
    assert (event["DTSTART"].dt, event["DTEND"].dt) == (date(2026, 10, 28), date(2026, 10, 31))
    entry = next(e for e in feed_json(out)["events"] if e["title"] == "Lederdag for alle")
    assert (entry["start"], entry["end"], entry["all_day"]) == ("2026-10-28", "2026-10-30", True)
    assert "Hele dagen, til og med fredag den 30. oktober" in (out / "index.html").read_text(encoding="utf-8")


def test_an_event_without_an_end_gets_an_hour_said_so(site, tmp_path):
    settings, drafts = site
    approve(settings, drafts["Morgenmøde om tillid"], end=None)
    out = publish(settings, tmp_path / "public")
    event = vevents(out)["Morgenmøde om tillid"]
    assert event["DTEND"].dt - event["DTSTART"].dt == timedelta(hours=1)
    assert "Sluttidspunktet er ikke oplyst." in str(event["DESCRIPTION"])
    entry = next(e for e in feed_json(out)["events"] if e["title"] == "Morgenmøde om tillid")
    assert entry["end"] is None
    assert "Kl. 09.00," in " ".join(visible_text(out / "index.html").split())


def test_every_event_has_a_url_the_registration_link_or_its_own_page(site, tmp_path):
    settings, drafts = site
    approve(settings, drafts["Afventende webinar"], registration="www.tilmeld.example/webinar")
    approve(settings, drafts["Lederdag for alle"], registration=None)
    events = vevents(publish(settings, tmp_path / "public"))
    assert str(events["Afventende webinar"]["URL"]) == "https://www.tilmeld.example/webinar"
    for title in ("Morgenmøde om tillid", "Lederdag for alle"):  # registration by mail, and none
        key = str(events[title]["UID"]).split("@")[0]
        assert str(events[title]["URL"]) == f"{SITE_URL}arrangement/{key}.html"


def test_descriptions_have_plain_newlines_in_every_output(site, tmp_path):
    settings, drafts = site
    approve(settings, drafts["Morgenmøde om tillid"], description="Første linje\r\nAnden linje\r\n")
    out = publish(settings, tmp_path / "public")
    entry = next(e for e in feed_json(out)["events"] if e["title"] == "Morgenmøde om tillid")
    assert entry["description"] == "Første linje\nAnden linje"
    assert str(vevents(out)["Morgenmøde om tillid"]["DESCRIPTION"]).startswith("Første linje\nAnden linje\n")
    assert "\r" not in (out / "index.html").read_text(encoding="utf-8")


def test_publishing_again_with_nothing_changed_writes_no_file_and_gives_the_same_bytes(site, tmp_path):
    settings, drafts = site
    out = tmp_path / "public"
    publish(settings, out)
    files = sorted(p for p in out.rglob("*") if p.is_file())
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files}
    result = cli(settings, "publish", "--out", str(out))
    assert result.exit_code == 0 and f"0 file(s) written, {len(files)} unchanged" in result.output
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files} == before
    approve(settings, drafts["Morgenmøde om tillid"], title="Morgenmøde om tillid og tryghed")
    result = cli(settings, "publish", "--out", str(out))
    changed = {p.relative_to(out).as_posix() for p in files if p.read_bytes() != before[p][0]}
    unchanged_page = next(p for p in files if p.suffix == ".html" and "Lederdag" in p.read_text(encoding="utf-8")
                          and p.parent.name == "arrangement")
    assert {"index.html", "events.ics", "events.json"} <= changed
    assert unchanged_page.stat().st_mtime_ns == before[unchanged_page][1]
    assert f"{len(changed)} file(s) written" in result.output
    written_at = {p: p.stat().st_mtime_ns for p in files}
    cli(settings, "publish", "--out", str(out))
    assert {p: p.stat().st_mtime_ns for p in files} == written_at


def test_rejecting_a_published_event_is_refused_from_the_command_line(site):
    settings, drafts = site
    edit(settings, drafts["Morgenmøde om tillid"], title="Noget andet")
    result = cli(settings, "reject", str(drafts["Morgenmøde om tillid"]), "--reason", "forkert")
    assert result.exit_code == 1 and "discard its change or withdraw it" in result.output
    assert draft(settings, drafts["Morgenmøde om tillid"]).status == DraftStatus.PENDING
    with session_scope(open_store(settings)) as s:
        assert [c.action for c in repo.history(s, drafts["Morgenmøde om tillid"])] == ["created", "approved", "edited"]
