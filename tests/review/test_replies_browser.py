"""What mail did that a reviewer decides, in Chromium (issue 15): a reply's proposed change accepted field by
field or dismissed, a possible copy beside the draft it may repeat, and mail set aside, read as an event or
closed; and axe-core on those pages at a phone's and a desktop's width."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from kontakt.pipeline import open_store, run_once
from review.deps import KIND_LABELS
from store import Draft, Message, MessageStatus, repo, session_scope
from tests.support.desk import served
from tests.review.test_desk_browser import DESKTOP, PHONE, axe_source, browser, login  # noqa: F401  (fixtures)
from tests.review.test_review_browser import shot
from tests.support.mail import event_mail, write_mails

pytestmark = pytest.mark.browser
TITLE = "Ledelse i forandring – morgenmøde"


@pytest.fixture
def replies(season, monkeypatch):
    """The desk's season, and then: a submission, its organiser's reply moving the time, another municipality's
    own event of the same title on the same day, and a question."""
    inbox = Path(season.mailbox.source.split(":", 1)[1])
    write_mails(inbox, {
        "30-original.eml": event_mail(msgid="<moede@vejle.example>"),
    })
    run_once(season)
    write_mails(inbox, {
        "31-svar.eml": event_mail(when="Tirsdag den 27. oktober kl. 13-15", msgid="<svar@vejle.example>",
                                  subject=f"SV: Arrangement: {TITLE}",
                                  extra_headers={"In-Reply-To": "<moede@vejle.example>"}),
        "32-andet-sted.eml": event_mail(place="Biblioteket, Kirkegade 2, 6000 Kolding", msgid="<moede@kolding.example>",
                                        sender="Lars Friis <lafr@kolding.example>"),
        "33-spoergsmaal.eml": ("From: Ole Dam <olda@lilleby.example>\r\nTo: kontakt@ledelsesugen.dk\r\n"
                               "Subject: =?utf-8?q?Sp=C3=B8rgsm=C3=A5l?=\r\nMessage-ID: <q@lilleby.example>\r\n"
                               "Date: Mon, 14 Sep 2026 10:00:00 +0200\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                               "Hej\r\n\r\nHvordan melder vi et arrangement ind, og er der en frist?\r\n\r\nMvh Ole\r\n").encode(),
    })
    run_once(season)
    monkeypatch.setenv("KONTAKT_SECRET", "test-secret-for-signing")
    with served(season) as base:
        yield season, base


def ids(settings) -> dict[str, int]:
    with session_scope(open_store(settings)) as s:
        by_msgid = {m.message_id: m.id for m in s.exec(select(Message))}
        drafts = {d.message_pk: d.id for d in s.exec(select(Draft))}
    return {"original": drafts[by_msgid["<moede@vejle.example>"]], "copy": drafts[by_msgid["<moede@kolding.example>"]],
            "question": by_msgid["<q@lilleby.example>"]}


def draft(settings, draft_id: int) -> Draft:
    with session_scope(open_store(settings)) as s:
        return s.get(Draft, draft_id)


def test_a_proposed_change_is_accepted_field_by_field(browser, replies):
    settings, base = replies
    original = ids(settings)["original"]
    page = login(browser, base)
    page.goto(f"{base}/drafts/{original}")
    panel = page.locator("#pending-change")
    assert "Et svar foreslår en ændring" in panel.inner_text()
    assert "kl. 13.00" in panel.inner_text() and "kl. 09.00" in panel.inner_text()  # proposed beside current, in Danish
    shot(page, "pending-change")
    page.uncheck("#change-end")  # take the new start only
    page.click("#accept-change")
    page.wait_for_selector(".flash")
    after = draft(settings, original)
    assert (after.start, after.end, after.pending_change) == ("2026-10-27T13:00", "2026-10-27T11:00", None)
    assert page.locator("#pending-change").count() == 0
    with session_scope(open_store(settings)) as s:
        last = repo.history(s, original)[-1]
    assert last.action == "change_accepted" and set(last.changes) == {"start"} and last.actor == "mette"


def test_a_proposed_change_dismissed_leaves_the_draft_as_it_was(browser, replies):
    settings, base = replies
    original = ids(settings)["original"]
    before = draft(settings, original)
    page = login(browser, base)
    page.goto(f"{base}/drafts/{original}")
    page.click("#dismiss-change")
    page.wait_for_selector(".flash")
    after = draft(settings, original)
    assert (after.start, after.end, after.pending_change) == (before.start, before.end, None)


def test_a_possible_copy_is_shown_beside_the_draft_it_may_repeat_and_can_be_kept(browser, replies):
    settings, base = replies
    found = ids(settings)
    assert draft(settings, found["copy"]).duplicate_of == found["original"]
    page = login(browser, base)
    page.goto(f"{base}/drafts/{found['copy']}")
    side = page.locator("#possible-duplicate")
    assert f"kladde {found['original']}" in side.inner_text()
    assert "Biblioteket, Kirkegade 2" in side.inner_text() and "Rådhuset, Torvet 1" in side.inner_text()
    shot(page, "possible-duplicate")
    page.click("#keep-both")
    page.wait_for_selector(".flash")
    assert draft(settings, found["copy"]).duplicate_of is None
    assert page.locator("#possible-duplicate").count() == 0


def test_mail_set_aside_is_listed_and_can_be_read_as_an_event_or_closed(browser, replies):
    settings, base = replies
    question = ids(settings)["question"]
    page = login(browser, base)
    page.goto(f"{base}/set-aside")
    row = page.locator("tr", has=page.locator(f"a[href='/messages/{question}']"))
    with session_scope(open_store(settings)) as s:
        kept = s.get(Message, question)
    assert kept.status == MessageStatus.NOT_EVENT and kept.reason
    assert KIND_LABELS[kept.kind] in row.inner_text() and kept.reason in row.inner_text()  # its kind and why, in Danish
    shot(page, "set-aside")
    automatic = page.locator("tr", has_text="Automatisk svar").first
    automatic.locator("button", has_text="Luk").click()
    page.wait_for_selector(".flash")
    assert page.locator("tr", has_text="Automatisk svar").count() == 0  # closed: out of the list ...
    page.goto(f"{base}/set-aside?closed=1")
    assert page.locator("tr", has_text="Automatisk svar").count() == 1  # ... and under the closed ones
    page.goto(f"{base}/set-aside")
    page.locator("tr", has=page.locator(f"a[href='/messages/{question}']")).locator(
        "button", has_text="Det er et arrangement").click()
    page.wait_for_url(f"{base}/drafts/*")
    with session_scope(open_store(settings)) as s:
        message = s.get(Message, question)
        made = s.exec(select(Draft).where(Draft.message_pk == question)).all()
    assert message.status == MessageStatus.QUEUED and len(made) == 1
    assert page.url.endswith(f"/drafts/{made[0].id}")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "desktop"])
def test_axe_and_the_phone_width_on_the_pages_of_replies_copies_and_set_aside_mail(browser, replies, axe_source, viewport):
    settings, base = replies
    found = ids(settings)
    page = login(browser, base, viewport=viewport, bypass_csp=True)
    problems = {}
    for path in ("/set-aside", "/set-aside?closed=1", f"/drafts/{found['original']}", f"/drafts/{found['copy']}",
                 f"/messages/{found['question']}"):
        page.goto(base + path)
        page.add_script_tag(content=axe_source)
        violations = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => v.id)""")
        width = page.evaluate("document.documentElement.scrollWidth")
        if violations or (viewport == PHONE and width > 390):
            problems[path] = (violations, width)
    assert problems == {}
