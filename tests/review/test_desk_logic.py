"""The desk's rules without a browser: typed dates, the queue's query and order, the flags, undo, secrets."""

from __future__ import annotations

import os
import re
import stat
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from core.errors import ConfigError
from core.settings import settings_from_dict
from kontakt.desk import session_secret
from kontakt.pipeline import open_store
from review.forms import check_draft, read_time
from review.queries import AttentionContext, QueueQuery, after_decision, checked_fields, near_duplicates, needs_attention, neighbours
from store import Draft, DraftChange, DraftStatus, Message, session_scope
from store.decisions import UNDO_WINDOW, UndoRefused, decide, undo
from tests.review.test_review_http import csrf_of, logged_in

SENT = datetime(2026, 9, 14, 8, 30, tzinfo=timezone.utc)


# --- typed dates ---------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, year, value, end", [
    ("27/10 kl. 9", 2026, "2026-10-27T09:00", None),
    ("27/10 kl. 9", 2031, "2031-10-27T09:00", None),  # the event's year, not this year
    ("27.10.2026 9.30-11", 2031, "2026-10-27T09:30", "2026-10-27T11:00"),  # a year written wins
    ("tirsdag den 27. oktober kl. 13", 2026, "2026-10-27T13:00", None),
    ("27. okt. kl. 14:30", 2026, "2026-10-27T14:30", None),
    ("27.10", 2026, "2026-10-27", None),
    ("2026-10-27", 2030, "2026-10-27", None),  # a date picker's value
    ("2026-10-27T09:30", 2030, "2026-10-27T09:30", None),
])
def test_typed_times_are_read_as_reviewers_write_them(typed, year, value, end):
    reading = read_time(typed, year=year, label="Start")
    assert (reading.value, reading.end, reading.error) == (value, end, None)


@pytest.mark.parametrize("typed, says", [
    ("onsdag den 27. oktober 2026 kl. 13", "er en tirsdag, ikke en onsdag"),
    ("sidst i oktober", "datoen kunne ikke læses"),
    ("27/10 om formiddagen", "klokkeslættet kunne ikke læses"),
    ("27/10 kl. 25", "klokkeslættet kunne ikke læses"),
    ("31/11 kl. 9", "datoen kunne ikke læses"),
    ("27/10 og 28/10", "kun én dato"),
])
def test_an_unreadable_time_says_why_in_danish(typed, says):
    reading = read_time(typed, year=2026, label="Start")
    assert reading.value is None and says in reading.error and reading.error.startswith("Start:")


def test_a_checked_form_keeps_what_was_typed_when_it_cannot_be_read():
    checked = check_draft({"title": "Ledermøde", "start": "i uge 44 engang", "end": "27/10 kl. 11"}, year=2026)
    assert not checked.ok and "start" in checked.errors
    assert checked.shown()["start"] == "i uge 44 engang" and checked.shown()["end"] == "27/10 kl. 11"


def test_a_range_typed_into_the_start_gives_the_end_unless_an_end_is_typed():
    assert check_draft({"title": "x", "start": "27/10 kl. 9-11"}, year=2026).values["end"] == "2026-10-27T11:00"
    typed_end = check_draft({"title": "x", "start": "27/10 kl. 9-11", "end": "27/10 kl. 12"}, year=2026)
    assert typed_end.values["end"] == "2026-10-27T12:00"


# --- the queue's query and its one order --------------------------------------------------------

def test_the_queue_query_lives_in_the_url_and_refuses_what_it_does_not_know():
    query = QueueQuery.from_params({"status": "all", "q": "Vejle", "fra": "2026-10-26", "til": "ikke en dato",
                                    "online": "måske", "opmaerksomhed": "1", "sort": "event"})
    assert (query.status, query.q, query.date_from, query.date_to, query.online, query.attention, query.sort) == \
           ("all", "Vejle", "2026-10-26", "", "", True, "event")
    assert QueueQuery.from_params(dict(re.findall(r"([^&=]+)=([^&]*)", query.params()))) == query
    assert QueueQuery.from_params({"status": "<script>"}).status == "pending"
    assert QueueQuery().params() == ""


def test_neighbours_and_the_draft_after_a_decision_follow_the_list():
    ids = [7, 3, 9, 4]
    assert neighbours(ids, 7) == (None, 3) and neighbours(ids, 4) == (9, None)
    assert after_decision(ids, [3]) == 9 and after_decision(ids, [4]) == 9 and after_decision(ids, [7, 3]) == 9
    assert after_decision([5], [5]) is None


# --- flags --------------------------------------------------------------------------------------

def draft(**values) -> Draft:
    base = dict(id=1, message_pk=1, title="Ledelse i forandring", start="2026-10-27T09:00", end="2026-10-27T11:00",
                place="Rådhuset, Vejle", online=False, registration="meho@vejle.example", confidence={}, evidence={},
                status=DraftStatus.PENDING)
    return Draft(**{**base, **values})


MESSAGE = Message(id=1, sha256="x", source="t", sent_at=SENT, received_at=SENT)


@pytest.mark.parametrize("values, says", [
    ({"start": "2020-10-27T09:00", "end": None}, "før mailen blev sendt"),
    ({"start": "2026-12-01T09:00", "end": None}, "uden for uge 44"),
    ({"title": None}, "mangler: Titel"),
    ({"place": None}, "mangler: Sted"),
    ({"title": "Vh Jens Peter"}, "titlen er en hilsen"),
    ({"title": "SV: Dit arrangement er i programmet: Ledelse i forandring"}, "kontakts egen emnelinje"),
    ({"registration": "ring til Mette"}, "kan ikke godkendes"),
    ({"registration_deadline": "2026-11-02"}, "kan ikke godkendes"),
    ({"duplicate_of": 5}, "mulig dublet af kladde 5"),
    ({"changed_by_reply": True}, "ændret af svar"),
    ({"confidence": {"place": 0.4}}, "usikre felter: Sted"),
])
def test_a_draft_needs_attention_for_what_a_person_would_catch(values, says):
    assert any(says in reason for reason in needs_attention(draft(**values), MESSAGE))


def test_a_plain_good_draft_needs_no_attention_and_online_needs_no_place():
    assert needs_attention(draft(), MESSAGE) == []
    assert needs_attention(draft(place=None, online=True), MESSAGE) == []
    assert needs_attention(draft(title="Til ledere i staten: tillid og styring"), MESSAGE) == []


def test_near_duplicates_are_other_mails_drafts_on_the_same_day_with_nearly_the_same_title():
    a = draft(id=1, message_pk=1, title="Walk and talk for ledere")
    b = draft(id=2, message_pk=2, title="Walk & talk for ledere")
    c = draft(id=3, message_pk=3, title="Walk and talk for ledere", start="2026-10-28T09:00")
    d = draft(id=4, message_pk=1, title="Walk and talk for ledere, hold 2")  # the same mail: its own event
    found = near_duplicates([a, b, c, d])
    assert found.get(1) == [2] and 3 not in found and found.get(2) == [1]
    assert "ligner kladde 2" in needs_attention(a, MESSAGE, AttentionContext(near_duplicates=found))


def test_a_field_a_person_confirmed_or_set_is_no_longer_unsure_until_its_value_changes():
    unsure = draft(confidence={"place": 0.4, "title": 0.5})
    history = [DraftChange(draft_pk=1, actor="mette", action="checked", changes={"place": ["Rådhuset, Vejle"] * 2}),
               DraftChange(draft_pk=1, actor="kontakt", action="created", changes={"title": [None, "x"]})]
    checked = checked_fields(unsure, history)
    assert checked == {"place"}
    reasons = needs_attention(unsure, MESSAGE, AttentionContext(checked={1: checked}))
    assert "usikre felter: Titel" in reasons
    moved = draft(place="Borgernes Hus", confidence={"place": 0.4})
    assert checked_fields(moved, history) == set()  # a reply moved it since: unsure again


# --- undo -----------------------------------------------------------------------------------

def test_undo_puts_a_decision_back_once_and_only_within_its_window(desk):
    with session_scope(open_store(desk)) as s:
        first = s.exec(select(Draft).order_by(Draft.id)).first()
        done = decide(s, [(first.id, first.version)], actor="mette", action="approved", status=DraftStatus.APPROVED)
        approved = s.get(Draft, first.id)
        assert approved.published and approved.sequence == 1
        with pytest.raises(UndoRefused):
            undo(s, done.undo_key, actor="jonas")  # another reviewer's decision
        result = undo(s, done.undo_key, actor="mette")
        back = s.get(Draft, first.id)
        assert [d.id for d in result.done] == [first.id]
        assert (back.status, back.published, back.reviewed_by) == (DraftStatus.PENDING, None, None)
        assert back.sequence == 2  # never lowered: a calendar that saw it is told again
        with pytest.raises(UndoRefused, match="undone"):
            undo(s, done.undo_key, actor="mette")
        late = decide(s, [(back.id, back.version)], actor="mette", action="rejected", status=DraftStatus.REJECTED,
                      note="Dublet")
        with pytest.raises(UndoRefused, match="expired"):
            undo(s, late.undo_key, actor="mette", now=datetime.now(timezone.utc) + UNDO_WINDOW + timedelta(seconds=1))
        actions = [c.action for c in s.exec(select(DraftChange).where(DraftChange.draft_pk == first.id)).all()]
        assert actions == ["created", "approved", "undone", "rejected"]


def test_undo_leaves_a_draft_someone_changed_since(desk):
    from store import repo

    with session_scope(open_store(desk)) as s:
        first = s.exec(select(Draft).order_by(Draft.id)).first()
        done = decide(s, [(first.id, first.version)], actor="mette", action="rejected", status=DraftStatus.REJECTED,
                      note="Dublet")
        repo.update_draft(s, first.id, actor="jonas", action="edited", values={"title": "Jonas rettede"})
        result = undo(s, done.undo_key, actor="mette")
        assert result.done == [] and first.id in result.refused
        assert s.get(Draft, first.id).status == DraftStatus.REJECTED


# --- the desk over HTTP -------------------------------------------------------------------------

def test_a_token_from_before_a_new_login_is_taken_from_our_own_page_only(desk):
    client = logged_in(desk)
    page = client.get("/drafts/1").text
    stale = {"csrf": "token-from-before-logging-in-again", "version": re.search(r'name="version" value="(\d+)"',
                                                                                page).group(1),
             "action": "save", "title": "Ny titel", "start": "27/10 kl. 9"}
    assert client.post("/drafts/1", data=stale).status_code == 403
    assert client.post("/drafts/1", data=stale, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert client.post("/drafts/1", data=stale, headers={"Sec-Fetch-Site": "same-origin"}).status_code == 303
    with session_scope(open_store(desk)) as s:
        assert s.get(Draft, 1).title == "Ny titel"


def test_bulk_reject_needs_a_reason_and_bulk_approve_skips_what_cannot_be_approved(desk):
    from store import repo

    with session_scope(open_store(desk)) as s:
        ids = [d.id for d in s.exec(select(Draft).order_by(Draft.id)).all()]
        repo.update_draft(s, ids[1], actor="mette", action="edited", values={"registration": "ring til os"})
    client = logged_in(desk)
    token = csrf_of(client.get("/").text)
    client.post("/bulk", data={"csrf": token, "action": "reject", "ids": ids[:2], "reason": ""})
    with session_scope(open_store(desk)) as s:
        assert {s.get(Draft, i).status for i in ids[:2]} == {DraftStatus.PENDING}
    response = client.post("/bulk", data={"csrf": token, "action": "approve", "ids": ids[:2]})
    assert response.status_code == 303
    with session_scope(open_store(desk)) as s:
        assert s.get(Draft, ids[0]).status == DraftStatus.APPROVED and s.get(Draft, ids[1]).status == DraftStatus.PENDING
    assert "Kan ikke godkendes uden rettelser" in client.get("/").text


def test_reading_a_typed_time_while_typing(desk):
    client = logged_in(desk)
    answer = client.get("/drafts/1/read", params={"field": "start", "text": "28/10 kl. 14"}).json()
    assert answer["shown"] == "onsdag den 28. oktober 2026 kl. 14.00" and answer["error"] is None
    assert "datoen kunne ikke læses" in client.get("/drafts/1/read", params={"field": "end", "text": "snart"}).json()["error"]


def test_the_password_rule_is_told_in_danish(desk):
    client = logged_in(desk)
    page = client.get("/users").text
    assert "Mindst 10 tegn" in page
    response = client.post("/users", data={"csrf": csrf_of(page), "name": "bo", "password": "kort"})
    assert response.status_code == 422 and "Adgangskoden skal være mindst 10 tegn" in response.text


# --- the session secret -------------------------------------------------------------------------

def test_without_a_configured_secret_one_is_kept_beside_the_sqlite_database(tmp_path, monkeypatch):
    monkeypatch.delenv("KONTAKT_SECRET", raising=False)
    settings = settings_from_dict({"database": {"url": "sqlite:///k.db"}}, base_dir=tmp_path)
    first = session_secret(settings)
    kept = tmp_path / "k.db.secret"
    assert kept.exists() and stat.S_IMODE(os.stat(kept).st_mode) == 0o600
    assert session_secret(settings) == first and len(first) >= 32  # the same after a restart
    monkeypatch.setenv("KONTAKT_SECRET", "s" * 40)
    assert session_secret(settings) == "s" * 40
    monkeypatch.setenv("KONTAKT_SECRET", "kort")
    with pytest.raises(ConfigError, match="at least 16"):
        session_secret(settings)


def test_without_a_secret_on_postgresql_serve_refuses_to_start(tmp_path, monkeypatch):
    monkeypatch.delenv("KONTAKT_SECRET", raising=False)
    settings = settings_from_dict({"database": {"url": "postgresql+psycopg://k@db.invalid/k"}}, base_dir=tmp_path)
    with pytest.raises(ConfigError, match="KONTAKT_SECRET"):
        session_secret(settings)
