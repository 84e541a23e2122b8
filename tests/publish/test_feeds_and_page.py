"""Publishing: only approved events, stable UIDs, SEQUENCE on every approved change, CANCELLED on withdrawal."""

from __future__ import annotations

import json
from pathlib import Path

import icalendar
import ics
import pytest
from click.testing import CliRunner
from sqlmodel import select

from kontakt.cli import main
from kontakt.pipeline import open_store, run_once
from core.settings import load_settings
from store import Draft, DraftStatus, repo, session_scope
from tests.support.mail import event_mail, write_mails


@pytest.fixture
def site(tmp_path: Path):
    inbox = write_mails(tmp_path / "inbox", {
        "01.eml": event_mail(title="Morgenmøde om tillid", when="Mandag den 26. oktober kl. 9-10.30", msgid="<1@t.example>"),
        "02.eml": event_mail(title="Lederdag for alle", when="Onsdag den 28. oktober (heldag)", msgid="<2@t.example>"),
        "03.eml": event_mail(title="Afventende webinar", when="Torsdag den 29. oktober kl. 14-15", msgid="<3@t.example>"),
    })
    config = tmp_path / "config.toml"
    config.write_text(f'[mailbox]\nsource = "folder:{inbox}"\n[database]\nurl = "sqlite:///k.db"\n')
    settings = load_settings(config)
    run_once(settings)
    with session_scope(open_store(settings)) as s:
        drafts = {d.title: d.id for d in s.exec(select(Draft)).all()}
        for title in ("Morgenmøde om tillid", "Lederdag for alle"):
            repo.update_draft(s, drafts[title], actor="mette", action="approved", status=DraftStatus.APPROVED)
    return settings, drafts


def publish(settings, out: Path) -> Path:
    result = CliRunner().invoke(main, ["publish", "--config", str(settings.base_dir / "config.toml"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def vevents(out: Path) -> dict[str, icalendar.Event]:
    cal = icalendar.Calendar.from_ical((out / "events.ics").read_bytes())
    return {str(e["SUMMARY"]): e for e in cal.walk("VEVENT")}


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
    with session_scope(open_store(settings)) as s:
        draft = s.get(Draft, drafts["Morgenmøde om tillid"])
        repo.update_draft(s, draft.id, actor="jonas", action="edited", values={"start": "2026-10-26T10:00",
                                                                               "end": "2026-10-26T11:30"})
        assert s.get(Draft, draft.id).status == DraftStatus.PENDING  # back to review
    still = vevents(publish(settings, tmp_path / "b"))["Morgenmøde om tillid"]
    assert still["DTSTART"].dt.hour == 9 and still["SEQUENCE"] == first["SEQUENCE"]
    with session_scope(open_store(settings)) as s:
        repo.update_draft(s, drafts["Morgenmøde om tillid"], actor="mette", action="approved", status=DraftStatus.APPROVED)
    moved = vevents(publish(settings, tmp_path / "c"))["Morgenmøde om tillid"]
    assert moved["UID"] == first["UID"]
    assert moved["SEQUENCE"] > first["SEQUENCE"]
    assert moved["DTSTART"].dt.hour == 10


def test_withdrawal_publishes_status_cancelled(site, tmp_path):
    settings, drafts = site
    before = vevents(publish(settings, tmp_path / "a"))["Lederdag for alle"]
    with session_scope(open_store(settings)) as s:
        repo.update_draft(s, drafts["Lederdag for alle"], actor="mette", action="withdrawn", status=DraftStatus.WITHDRAWN)
    out = publish(settings, tmp_path / "b")
    after = vevents(out)["Lederdag for alle"]
    assert str(after["STATUS"]) == "CANCELLED" and after["UID"] == before["UID"] and after["SEQUENCE"] > before["SEQUENCE"]
    assert "Lederdag for alle" not in (out / "index.html").read_text(encoding="utf-8")


def test_json_feed_schema_version_1(site, tmp_path):
    settings, _ = site
    data = json.loads((publish(settings, tmp_path / "public") / "events.json").read_text(encoding="utf-8"))
    assert data["version"] == 1
    keys = {"uid", "sequence", "status", "title", "start", "end", "all_day", "timezone", "place", "online",
            "registration", "registration_url", "registration_deadline", "organizer", "audience", "description",
            "last_modified"}
    assert [set(e) for e in data["events"]] == [keys, keys]
    morning = next(e for e in data["events"] if e["title"] == "Morgenmøde om tillid")
    assert (morning["start"], morning["status"], morning["registration_url"]) == (
        "2026-10-26T09:00", "confirmed", "mailto:meho@vejle.example")


def test_static_export_groups_by_day(site, tmp_path):
    settings, _ = site
    html = (publish(settings, tmp_path / "public") / "index.html").read_text(encoding="utf-8")
    assert html.index("Mandag den 26. oktober") < html.index("Morgenmøde om tillid") < html.index(
        "Onsdag den 28. oktober") < html.index("Lederdag for alle")
    assert "Afventende webinar" not in html
    assert "Kl. 09.00–10.30" in html and "Tilmeld dig her" in html
    assert (tmp_path / "public" / "programme.css").exists()
