"""The desk without a browser: access control, CSRF, validation, the CLI's decisions."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlmodel import select

from kontakt.cli import main
from kontakt.pipeline import open_store
from kontakt.desk import desk_app
from store import Draft, DraftChange, DraftStatus, session_scope
from tests.review.conftest import PASSWORDS


def client_for(settings) -> TestClient:
    return TestClient(desk_app(settings), base_url="http://testserver", follow_redirects=False)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def logged_in(settings, name: str = "mette") -> TestClient:
    client = client_for(settings)
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"csrf": token, "name": name, "password": PASSWORDS[name], "next": "/"})
    assert response.status_code == 303
    return client


@pytest.mark.parametrize("path", ["/", "/drafts/1", "/failed", "/users", "/messages/1", "/?status=approved"])
def test_every_page_but_login_redirects_when_not_logged_in(desk, path):
    response = client_for(desk).get(path)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_wrong_password_is_refused(desk):
    client = client_for(desk)
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"csrf": token, "name": "mette", "password": "forkert-kodeord"})
    assert response.status_code == 401 and "Forkert brugernavn eller adgangskode" in response.text
    assert client.get("/").status_code == 303


def test_post_without_a_valid_csrf_token_is_refused_and_changes_nothing(desk):
    client = logged_in(desk)
    page = client.get("/drafts/1").text
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    for token in ("", "forged-token"):
        response = client.post("/drafts/1", data={"csrf": token, "version": version, "action": "approve",
                                                  "title": "x", "start": "2026-10-27T09:00"})
        assert response.status_code == 403
    response = client.post("/login", data={"name": "mette", "password": PASSWORDS["mette"]})
    assert response.status_code == 403
    with session_scope(open_store(desk)) as s:
        assert s.get(Draft, 1).status == DraftStatus.PENDING


def test_cross_site_post_is_refused_even_with_a_token(desk):
    client = logged_in(desk)
    token = csrf_of(client.get("/drafts/1").text)
    response = client.post("/drafts/1", data={"csrf": token, "version": "1", "action": "save", "title": "x",
                                              "start": "2026-10-27"}, headers={"Origin": "http://evil.example"})
    assert response.status_code == 403


def test_a_reviewer_cannot_reach_admin_actions(desk):
    client = logged_in(desk, "jonas")
    assert client.get("/users").status_code == 403
    token = csrf_of(client.get("/").text)
    assert client.post("/users", data={"csrf": token, "name": "ny", "password": "et langt kodeord"}).status_code == 403
    assert logged_in(desk, "mette").get("/users").status_code == 200


def test_validation_messages_are_danish_and_nothing_is_saved(desk):
    client = logged_in(desk)
    page = client.get("/drafts/1").text
    token = csrf_of(page)
    data = {"csrf": token, "version": "1", "action": "save", "title": "Ledermøde", "start": "2026-10-27T10:00",
            "end": "2026-10-27T09:00", "registration_deadline": "2026-11-01", "registration": "ikke et link"}
    response = client.post("/drafts/1", data=data)
    assert response.status_code == 422
    for message in ("Slut skal ligge efter start.", "Tilmeldingsfristen skal ligge før arrangementet.",
                    "Tilmelding skal være et link (https://…) eller en e-mailadresse."):
        assert message in response.text
    with session_scope(open_store(desk)) as s:
        assert s.get(Draft, 1).version == 1


def test_mail_html_is_sanitised_in_the_page(desk):
    client = logged_in(desk)
    with session_scope(open_store(desk)) as s:
        draft = next(d for d in s.exec(select(Draft)).all() if d.start == "2026-10-29T10:00")
    page = client.get(f"/drafts/{draft.id}").text
    assert "<script>alert" not in page and "<img src=x" not in page  # shown only as escaped text
    assert "&lt;img src=x onerror" in page
    assert "javascript:" not in page and "203.0.113.9" not in page and "onclick" not in page
    assert 'sandbox=""' in page


def test_cli_decisions_are_recorded_in_the_same_history(desk, tmp_path):
    config = str(desk.base_dir / "config.toml")
    assert CliRunner().invoke(main, ["approve", "1", "--config", config, "--as", "mette"]).exit_code == 0
    result = CliRunner().invoke(main, ["reject", "2", "--config", config, "--reason", "Dublet"])
    assert result.exit_code == 0
    with session_scope(open_store(desk)) as s:
        assert s.get(Draft, 1).status == DraftStatus.APPROVED and s.get(Draft, 1).published
        assert (s.get(Draft, 2).status, s.get(Draft, 2).reject_reason) == (DraftStatus.REJECTED, "Dublet")
        actions = [(c.actor, c.action) for c in s.exec(select(DraftChange).where(DraftChange.draft_pk == 1)).all()]
    assert actions == [("kontakt", "created"), ("mette", "approved")]
    page = logged_in(desk).get("/drafts/1").text
    assert "mette: godkendt" in page


def test_user_add_reads_the_password_from_stdin(desk):
    config = str(desk.base_dir / "config.toml")
    result = CliRunner().invoke(main, ["user", "add", "lise", "--config", config], input="lises lange kodeord\n")
    assert result.exit_code == 0, result.output
    client = client_for(desk)
    token = csrf_of(client.get("/login").text)
    assert client.post("/login", data={"csrf": token, "name": "lise", "password": "lises lange kodeord"}).status_code == 303
    short = CliRunner().invoke(main, ["user", "add", "bo", "--config", config], input="kort\n")
    assert short.exit_code == 1 and "mindst 10 tegn" in short.output


def test_failed_mail_is_listed_and_can_be_read_again(desk):
    from store import Message, MessageStatus

    from store import repo
    from tests.support.mail import event_mail

    with session_scope(open_store(desk)) as s:  # a mail a since-fixed reader failed on
        message, _ = repo.keep_raw(s, event_mail(title="Åben dør i rådhuset", msgid="<ny@vejle.example>",
                                                 when="Fredag den 30. oktober kl. 9-12"), source="test", ref="x")
        repo.record_failure(s, message, "internal error while reading: simuleret fejl")
        message_id = message.id
    client = logged_in(desk)
    page = client.get("/failed").text
    assert "simuleret fejl" in page
    response = client.post(f"/messages/{message_id}/retry", data={"csrf": csrf_of(page)})
    assert response.status_code == 303
    with session_scope(open_store(desk)) as s:
        assert s.get(Message, message_id).status == MessageStatus.QUEUED
