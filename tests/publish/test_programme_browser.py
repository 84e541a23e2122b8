"""The served programme page in Debian's Chromium: approved events under the right day, no pending ones."""

from __future__ import annotations

import threading
import time

import pytest
import uvicorn

from tests.conftest import require_binary
from tests.review.test_review_browser import CHROMIUM_ARGS, shot
from tests.support.dovecot import free_port

pytestmark = pytest.mark.browser


def test_programme_page_lists_approved_events_by_day(site):
    settings, _ = site
    chromium = require_binary("/usr/bin/chromium", "Debian's chromium")
    from playwright.sync_api import sync_playwright

    from kontakt.desk import desk_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(desk_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 400, "height": 900})  # a phone
            page.goto(f"http://127.0.0.1:{port}/programme/")  # public: no login
            assert "/login" not in page.url
            days = page.locator("section.day")
            assert days.count() == 2
            assert days.nth(0).locator("h2").inner_text() == "Mandag den 26. oktober"
            assert days.nth(0).locator("h3").all_inner_texts() == ["Morgenmøde om tillid"]
            assert days.nth(1).locator("h2").inner_text() == "Onsdag den 28. oktober"
            assert days.nth(1).locator("h3").all_inner_texts() == ["Lederdag for alle"]
            assert "Afventende webinar" not in page.content()
            shot(page, "programme")
            browser.close()
    finally:
        server.should_exit = True
        thread.join(5)
