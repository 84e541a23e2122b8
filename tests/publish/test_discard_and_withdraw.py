"""A change to a published event is discarded (the published version stays, SEQUENCE and all) or the event is
withdrawn (cancelled for subscribers): two decisions, on SQLite and PostgreSQL, from the store, the desk and
the command line, and the history says which."""

from __future__ import annotations

import re
from pathlib import Path

import icalendar
import pytest
from sqlmodel import select

from core.settings import settings_from_dict
from kontakt.pipeline import open_store, run_once
from publish.feeds import Site, ics_feed
from store import Conflict, Draft, DraftStatus, repo, session_scope
from store.publishing import NotPublished, discard_changes, last_change, published_events, withdraw
from tests.publish.conftest import approve, cli, draft, edit
from tests.review.conftest import desk  # noqa: F401  (the fixture)
from tests.review.test_review_http import csrf_of, logged_in
from tests.store.conftest import database_url, postgres  # noqa: F401  (the fixtures)
from tests.support.mail import event_mail, write_mails

SITE = Site.at("https://ledelsesugen.example/programme/")


def feed(session) -> bytes:
    return ics_feed(published_events(session), name="Test", site=SITE)


def two_drafts(url: str, tmp_path: Path):
    inbox = write_mails(tmp_path / "inbox", {
        "1.eml": event_mail(title="Tillid i hverdagen – ledermøde", msgid="<1@t.example>"),
        "2.eml": event_mail(title="Aldrig godkendt", when="Onsdag den 28. oktober kl. 14-16", msgid="<2@t.example>"),
    })
    settings = settings_from_dict({"mailbox": {"source": f"folder:{inbox}"}, "database": {"url": url}},
                                  base_dir=tmp_path)
    run_once(settings)
    with session_scope(open_store(settings)) as s:
        return settings, {d.title: d.id for d in s.exec(select(Draft)).all()}


def test_discarding_a_change_keeps_the_published_version_confirmed_with_its_sequence(database_url, tmp_path):
    settings, ids = two_drafts(database_url, tmp_path)
    first = ids["Tillid i hverdagen – ledermøde"]
    with session_scope(open_store(settings)) as s:
        approved = repo.update_draft(s, first, actor="mette", action="approved", status=DraftStatus.APPROVED)
        published, sequence, published_at = dict(approved.published), approved.sequence, approved.published_at
        before = feed(s)
        changed = repo.update_draft(s, first, actor="jonas", action="edited",
                                    values={"start": "2026-10-27T13:00", "place": "Et andet sted"})
        assert changed.status == DraftStatus.PENDING and feed(s) == before
        with pytest.raises(Conflict):
            discard_changes(s, first, actor="mette", expected_version=changed.version - 1)
        kept = discard_changes(s, first, actor="mette", expected_version=changed.version)
        assert kept.status == DraftStatus.APPROVED and not kept.changed_by_reply
        assert {name: getattr(kept, name) for name in published} == published == kept.published
        assert (kept.sequence, kept.published_at) == (sequence, published_at)
        assert feed(s) == before  # byte for byte: nothing new for subscribers
        (event,) = icalendar.Calendar.from_ical(feed(s)).walk("VEVENT")
        assert str(event["STATUS"]) == "CONFIRMED" and event["SEQUENCE"] == sequence
        last = repo.history(s, first)[-1]
        assert (last.action, last.actor) == ("change_discarded", "mette")
        assert last.changes["start"] == ["2026-10-27T13:00", published["start"]]
        assert last.changes["status"] == ["pending", "approved"]
        with pytest.raises(NotPublished):  # nothing left to discard
            discard_changes(s, first, actor="mette")
        assert last_change(s) == published_at


def test_withdrawing_cancels_for_subscribers_and_is_only_for_published_events(database_url, tmp_path):
    settings, ids = two_drafts(database_url, tmp_path)
    first, never = ids["Tillid i hverdagen – ledermøde"], ids["Aldrig godkendt"]
    with session_scope(open_store(settings)) as s:
        for draft_id in (never,):
            with pytest.raises(NotPublished):
                withdraw(s, draft_id, actor="mette")
            with pytest.raises(NotPublished):
                discard_changes(s, draft_id, actor="mette")
        approved = repo.update_draft(s, first, actor="mette", action="approved", status=DraftStatus.APPROVED)
        sequence, approved_at = approved.sequence, approved.published_at
        repo.update_draft(s, first, actor="jonas", action="edited", values={"title": "Ny titel"})
        gone = withdraw(s, first, actor="mette", note="Aflyst af arrangøren")
        assert gone.status == DraftStatus.WITHDRAWN and gone.sequence == sequence + 1
        (event,) = icalendar.Calendar.from_ical(feed(s)).walk("VEVENT")
        assert str(event["STATUS"]) == "CANCELLED" and str(event["SUMMARY"]) == "Tillid i hverdagen – ledermøde"
        assert last_change(s) == gone.published_at > approved_at
        last = repo.history(s, first)[-1]
        assert (last.action, last.note) == ("withdrawn", "Aflyst af arrangøren")
        with pytest.raises(NotPublished):
            withdraw(s, first, actor="mette")
        with pytest.raises(NotPublished):
            discard_changes(s, first, actor="mette")


def test_the_store_refuses_to_reject_a_published_event(database_url, tmp_path):
    """Rejecting would cancel it for every subscriber without a word: only withdrawing does that."""
    settings, ids = two_drafts(database_url, tmp_path)
    first = ids["Tillid i hverdagen – ledermøde"]
    with session_scope(open_store(settings)) as s:
        repo.update_draft(s, first, actor="mette", action="approved", status=DraftStatus.APPROVED)
        repo.update_draft(s, first, actor="jonas", action="edited", values={"place": "Et andet sted"})
        before = feed(s)
        for status in (DraftStatus.REJECTED, DraftStatus.NOT_EVENT):
            with pytest.raises(NotPublished, match="withdraw"):
                repo.update_draft(s, first, actor="mette", action=str(status), status=status, note="nej")
        assert feed(s) == before and s.get(Draft, first).status == DraftStatus.PENDING


def version_of(html: str) -> str:
    return re.search(r'name="version" value="(\d+)"', html).group(1)


def test_the_desk_offers_discard_and_a_confirmed_withdrawal_for_a_published_event_and_no_reject(desk):  # noqa: F811
    approve(desk, 1)
    edit(desk, 1, title="Ledelse i forandring – nyt navn")
    client = logged_in(desk)
    page = client.get("/drafts/1").text
    assert 'id="discard"' in page and 'id="withdraw"' in page and 'id="reject"' not in page
    assert "Ledelse i forandring – morgenmøde → Ledelse i forandring – nyt navn" in page  # what would be discarded
    token, version = csrf_of(page), version_of(page)
    refused = client.post("/drafts/1", data={"csrf": token, "version": version, "action": "reject", "reason": "nej",
                                             "title": "x", "start": "2026-10-27T09:00"})
    assert refused.status_code == 422 and "kan ikke afvises" in refused.text
    assert draft(desk, 1).status == DraftStatus.PENDING
    response = client.post("/drafts/1/discard", data={"csrf": token, "version": version})
    assert response.status_code == 303
    kept = draft(desk, 1)
    assert (kept.status, kept.title) == (DraftStatus.APPROVED, "Ledelse i forandring – morgenmøde")
    assert "ændring kasseret" in client.get("/drafts/1").text
    assert client.post("/drafts/1/discard", data={"csrf": token, "version": str(kept.version)}).status_code == 409

    page = client.get("/drafts/1").text
    assert 'id="discard"' not in page
    # withdrawing asks first, and the question changes nothing
    confirm = client.post("/drafts/1", data={"csrf": token, "version": version_of(page), "action": "withdraw"})
    assert confirm.status_code == 200 and "aflys" in confirm.text.lower() and draft(desk, 1).status == DraftStatus.APPROVED
    done = client.post("/drafts/1", data={"csrf": token, "version": version_of(page), "action": "withdraw",
                                          "confirm": "ja", "reason": "Aflyst af arrangøren"})
    assert done.status_code == 303 and draft(desk, 1).status == DraftStatus.WITHDRAWN
    with session_scope(open_store(desk)) as s:
        assert [c.action for c in repo.history(s, 1)] == ["created", "approved", "edited", "change_discarded",
                                                           "withdrawn"]
    forged = client.post("/drafts/2", data={"csrf": "forged", "version": "1", "action": "withdraw", "confirm": "ja"})
    assert forged.status_code == 403


def test_the_command_line_discards_and_withdraws_and_asks_first(desk):  # noqa: F811
    approve(desk, 1)
    edit(desk, 1, start="2026-10-27T10:00")
    result = cli(desk, "discard", "1")
    assert result.exit_code == 0, result.output
    assert (draft(desk, 1).status, draft(desk, 1).start) == (DraftStatus.APPROVED, "2026-10-27T09:00")
    again = cli(desk, "discard", "1")
    assert again.exit_code == 1 and "no change to a published event" in again.output
    declined = cli(desk, "withdraw", "1", input="n\n")
    assert declined.exit_code == 1 and draft(desk, 1).status == DraftStatus.APPROVED
    accepted = cli(desk, "withdraw", "1", "--reason", "Aflyst", input="y\n")
    assert accepted.exit_code == 0 and draft(desk, 1).status == DraftStatus.WITHDRAWN
    assert cli(desk, "withdraw", "2", "--yes").exit_code == 1  # never published
