"""In Debian's Chromium: a reviewer discards a change to a published event, then withdraws it after the
confirmation page; the public programme then shows it as "Aflyst"."""

from __future__ import annotations

import pytest

from store import DraftStatus
from tests.publish.conftest import approve, draft, edit
from tests.review.conftest import desk, live_desk  # noqa: F401  (the fixtures)
from tests.review.test_review_browser import browser, login, shot  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser


def test_discard_a_change_then_withdraw_after_confirming(browser, live_desk, desk):  # noqa: F811
    approve(desk, 1)
    edit(desk, 1, title="Ledelse i forandring – flyttet", start="2026-10-27T10:00")
    page = login(browser, live_desk)
    page.goto(f"{live_desk}/drafts/1")
    assert page.locator("#reject").count() == 0
    assert "Ledelse i forandring – flyttet" in page.locator("#published-change").inner_text()
    shot(page, "published-change")
    page.click("#discard")  # a button outside its form (form="discard-form")
    page.wait_for_load_state()
    assert "Ændringen er kasseret" in page.locator(".flash").inner_text()
    assert page.input_value("#f-title") == "Ledelse i forandring – morgenmøde"
    assert draft(desk, 1).status == DraftStatus.APPROVED

    page.click("#withdraw")
    page.wait_for_selector("#confirm-withdraw")
    assert page.locator("#withdraw-title").inner_text() == "Ledelse i forandring – morgenmøde"
    assert draft(desk, 1).status == DraftStatus.APPROVED  # nothing happens before the confirmation
    shot(page, "withdraw-confirm")
    page.fill("#withdraw-reason", "Aflyst af arrangøren")
    page.click("#confirm-withdraw")
    page.wait_for_selector(".flash")  # the desk goes on to the next draft of the list, saying what was done
    assert "trukket tilbage" in page.locator(".flash").inner_text()
    assert draft(desk, 1).status == DraftStatus.WITHDRAWN

    page.goto(f"{live_desk}/programme/")
    cancelled = page.locator("article.is-cancelled")
    assert cancelled.count() == 1 and "Aflyst" in cancelled.locator("h3").inner_text()
    shot(page, "programme-aflyst")
    cancelled.locator("h3 a").click()
    assert "Arrangementet er aflyst." in page.content() and "/programme/arrangement/" in page.url
    shot(page, "event-page-aflyst")
