"""The review desk in Debian's Chromium, driven by Playwright: what a reviewer does, and that hostile mail stays inert."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlmodel import select

from kontakt.pipeline import open_store
from store import Draft, DraftStatus, session_scope
from tests.conftest import require_binary
from tests.review.conftest import PASSWORDS

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    chromium = require_binary("/usr/bin/chromium", "Debian's chromium")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def login(browser, base: str, name: str = "mette"):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(base + "/")
    assert "/login" in page.url
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORDS[name])
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    return page


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def draft_id(desk, start: str) -> int:
    with session_scope(open_store(desk)) as s:
        return next(d.id for d in s.exec(select(Draft)).all() if d.start == start)


def test_correct_a_time_and_approve(browser, live_desk, desk):
    page = login(browser, live_desk)
    shot(page, "queue")
    assert page.locator("table.queue tr[data-href]").count() == 3
    target = draft_id(desk, "2026-10-28T14:00")
    page.click(f"a[href='/drafts/{target}']")
    assert page.locator("mark[data-fields~=start]").count() == 1  # the evidence is marked in the mail
    shot(page, "draft")
    page.fill("#f-start", "28/10 kl. 15")  # as a reviewer types it
    page.fill("#f-end", "28.10 kl. 17")
    page.click("#approve")
    page.wait_for_load_state()
    page.goto(f"{live_desk}/drafts/{target}")
    assert page.locator("#status").inner_text() == "Godkendt"
    assert page.input_value("#f-start") == "28.10.2026 kl. 15.00"
    with session_scope(open_store(desk)) as s:
        draft = s.get(Draft, target)
        assert (draft.status, draft.start, draft.reviewed_by) == (DraftStatus.APPROVED, "2026-10-28T15:00", "mette")
        assert draft.published["start"] == "2026-10-28T15:00"
    page.goto(f"{live_desk}/?status=approved")
    assert page.locator("table.queue tr[data-href]").count() == 1


def test_reject_with_a_reason(browser, live_desk, desk):
    page = login(browser, live_desk, "jonas")
    target = draft_id(desk, "2026-10-27T09:00")
    page.goto(f"{live_desk}/drafts/{target}")
    page.click("#reject")  # no reason: refused with a Danish message
    assert "Skriv en begrundelse" in page.content()
    page.fill("#reason", "Arrangementet er aflyst")
    page.click("#reject")
    page.wait_for_load_state()
    with session_scope(open_store(desk)) as s:
        draft = s.get(Draft, target)
        assert (draft.status, draft.reject_reason) == (DraftStatus.REJECTED, "Arrangementet er aflyst")


def test_the_second_of_two_concurrent_saves_is_refused(browser, live_desk, desk):
    target = draft_id(desk, "2026-10-27T09:00")
    first, second = login(browser, live_desk, "mette"), login(browser, live_desk, "jonas")
    for page in (first, second):
        page.goto(f"{live_desk}/drafts/{target}")
    first.fill("#f-title", "Mettes titel")
    first.click("button[value=save]")
    first.wait_for_load_state()
    second.fill("#f-title", "Jonas' titel")
    second.click("button[value=save]")
    second.wait_for_load_state()
    assert second.locator(".conflict").count() == 1 and second.input_value("#f-title") == "Jonas' titel"
    shot(second, "conflict")
    with session_scope(open_store(desk)) as s:
        assert s.get(Draft, target).title == "Mettes titel"


def test_hostile_mail_runs_no_script_and_sends_no_request(browser, live_desk, desk):
    page = login(browser, live_desk)
    dialogs, foreign = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.context.on("request", lambda r: foreign.append(r.url)
                    if urlsplit(r.url).netloc not in ("", urlsplit(live_desk).netloc) and not r.url.startswith(("data:", "about:")) else None)
    target = draft_id(desk, "2026-10-29T10:00")
    page.goto(f"{live_desk}/drafts/{target}")
    page.click("details summary")  # open the sanitised HTML
    page.wait_for_timeout(300)
    page.goto(f"{live_desk}/")
    page.goto(f"{live_desk}/messages/{target}")
    for summary in page.locator("details summary").all():
        summary.click()
    page.wait_for_timeout(300)
    shot(page, "hostile-mail")
    assert dialogs == []
    assert foreign == []
    assert "Lederdag om" in page.content()  # the subject is there, as text
