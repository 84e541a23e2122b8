"""A working day at the desk in Debian's Chromium (Playwright), at a phone's and a desktop's width: Danish dates
in and out, the one queue order, search, bulk decisions and "Fortryd", nothing typed lost, evidence to follow,
keyboard and phone, and axe-core (from the npm registry) on every page."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from sqlmodel import select

from kontakt.pipeline import open_store
from store import Draft, DraftStatus, session_scope
from tests.conftest import REQUIRE_SERVICES, require_binary
from tests.review.conftest import PASSWORDS
from tests.review.test_review_browser import CHROMIUM_ARGS, shot

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ISO_MINUTE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1400, "height": 1000}


@pytest.fixture(scope="module")
def browser():
    chromium = require_binary("/usr/bin/chromium", "Debian's chromium")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def axe_source() -> str:
    """axe-core as installed from the npm registry by .ci/run (`npm ci`); installed here if it is missing."""
    if not AXE.exists():
        npm = require_binary("npm", "npm (Debian's package)")
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=ROOT, capture_output=True, text=True)
        if done.returncode != 0 or not AXE.exists():
            message = f"axe-core could not be installed with npm ci: {done.stderr[-500:]}"
            pytest.fail(message) if REQUIRE_SERVICES else pytest.skip(message)
    return AXE.read_text(encoding="utf-8")


def login(browser, base: str, name: str = "mette", viewport=DESKTOP, **context_options):
    context = browser.new_context(viewport=viewport, **context_options)
    page = context.new_page()
    page.goto(base + "/")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORDS[name])
    page.click("form.login button[type=submit]")
    page.wait_for_url(base + "/")
    return page


def drafts(settings) -> list[Draft]:
    with session_scope(open_store(settings)) as s:
        return list(s.exec(select(Draft).order_by(Draft.id)).all())


def draft_where(settings, **values) -> Draft:
    return next(d for d in drafts(settings) if all(getattr(d, k) == v for k, v in values.items()))


def draft_of_sample(settings, file_name: str) -> Draft:
    """The (first) draft read from one of the bundled sample mails, whatever the extractor called it."""
    from store import Message

    with session_scope(open_store(settings)) as s:
        message = s.exec(select(Message).where(Message.source_ref == file_name)).one()
        return s.exec(select(Draft).where(Draft.message_pk == message.id).order_by(Draft.id)).first()


def queue_ids(page) -> list[int]:
    return [int(i.split("-")[1]) for i in page.locator("tr[data-href]").evaluate_all("rows => rows.map(r => r.id)")]


def visible_text_and_values(page) -> str:
    """What a person can read on the page: its text and what stands in its fields."""
    return page.inner_text("body") + "\n" + "\n".join(
        page.locator("input:not([type=hidden]), textarea").evaluate_all("els => els.map(e => e.value)"))


# --- Danish dates in and out ---------------------------------------------------------------------

def test_no_iso_time_on_the_queue_the_draft_page_or_the_programme(browser, live_season, season):
    page = login(browser, live_season)
    pages = ["/", "/?status=all", f"/drafts/{drafts(season)[0].id}", "/programme/", "/failed"]
    for path in pages:
        page.goto(live_season + path)
        assert not ISO_MINUTE.search(visible_text_and_values(page)), f"{path} shows an ISO time"
        assert not ISO_MINUTE.search(page.content()), f"{path} carries an ISO time in its HTML"
    page.goto(live_season + "/?status=all")
    assert re.search(r"(man|tirs|ons|tors|fre)\. \d+\. okt\. 2026 kl\. \d\d\.\d\d", page.inner_text("table.queue"))


def test_a_typed_danish_date_is_saved_in_the_events_year_and_read_back_with_its_weekday(browser, live_season, season):
    target = draft_where(season, title="Tillidsdagen 2027")  # an event of 2027, read today
    page = login(browser, live_season)
    page.goto(f"{live_season}/drafts/{target.id}")
    page.fill("#f-start", "27/10 kl. 9")
    page.fill("#f-end", "")
    from playwright.sync_api import expect

    expect(page.locator("#f-start-read")).to_have_text("onsdag den 27. oktober 2027 kl. 09.00")  # shown while typing
    page.click("#save")
    page.wait_for_load_state()
    assert draft_where(season, id=target.id).start == "2027-10-27T09:00"
    assert page.input_value("#f-start") == "27.10.2027 kl. 09.00"
    for typed, expected in (("27.10.2027 9.30-11", ("2027-10-27T09:30", "2027-10-27T11:00")),
                            ("onsdag den 27. oktober kl. 13", ("2027-10-27T13:00", None))):
        page.fill("#f-start", typed)
        page.fill("#f-end", "")
        page.click("#save")
        page.wait_for_load_state()
        saved = draft_where(season, id=target.id)
        assert (saved.start, saved.end) == expected, typed


def test_an_unreadable_date_keeps_what_was_typed_and_says_why_in_danish(browser, live_season, season):
    target = drafts(season)[0]
    page = login(browser, live_season, viewport=PHONE)
    page.goto(f"{live_season}/drafts/{target.id}")
    page.fill("#f-title", "Min nye titel")
    page.fill("#f-start", "sidst i oktober")
    page.click("#save")
    page.wait_for_load_state()
    assert page.input_value("#f-start") == "sidst i oktober"
    assert page.input_value("#f-title") == "Min nye titel"  # the rest of the form is kept too
    assert "datoen kunne ikke læses" in page.inner_text("#f-start-error")
    assert page.get_attribute("#f-start", "aria-invalid") == "true"
    assert draft_where(season, id=target.id).start == target.start and draft_where(season, id=target.id).title == target.title


# --- one order, search, bulk, undo -------------------------------------------------------------

def test_after_approving_from_a_filtered_queue_the_next_draft_is_the_next_in_that_list(browser, live_season, season):
    page = login(browser, live_season)
    page.goto(f"{live_season}/?q=kommune&sort=event")
    listed = queue_ids(page)
    assert len(listed) >= 3
    page.click(f"#row-{listed[0]} a")
    assert page.locator("#prev").count() == 0 and page.get_attribute("#next", "href").startswith(f"/drafts/{listed[1]}?")
    page.click("#next")
    page.wait_for_url(re.compile(rf"/drafts/{listed[1]}\?"))
    page.keyboard.press("k")  # j/k follow the same list
    page.wait_for_url(re.compile(rf"/drafts/{listed[0]}\?"))
    page.goto(f"{live_season}/drafts/{listed[1]}?q=kommune&sort=event")
    page.click("#approve")
    page.wait_for_url(re.compile(rf"/drafts/{listed[2]}\?"))
    assert f"Kladde {listed[1]}" in page.inner_text("#flash")  # the message names the draft it is about
    assert draft_where(season, id=listed[1]).status == DraftStatus.APPROVED


def test_search_narrows_the_queue_and_lives_in_the_url(browser, live_season, season):
    page = login(browser, live_season, viewport=PHONE)
    everything = queue_ids(page)
    organizer = draft_where(season, title="Psykologisk tryghed i teams").organizer
    page.fill("#q", organizer.split()[-1])
    page.click("form.search button[type=submit]")
    page.wait_for_url(re.compile(r"\?.*q="))
    found = queue_ids(page)
    assert found and set(found) < set(everything)
    assert all(organizer.split()[-1].lower() in page.inner_text(f"#row-{i}").lower() for i in found)
    page.goto(live_season + "/?q=ingen+s%C3%A5dan+tekst+findes")
    assert queue_ids(page) == []


def test_bulk_approve_and_its_undo(browser, live_season, season):
    page = login(browser, live_season)
    chosen = queue_ids(page)[:2]
    for draft_id in chosen:
        page.check(f"#row-{draft_id} input[name=ids]")
    page.click("#bulk-approve")
    page.wait_for_load_state()
    assert "2 kladder er godkendt" in page.inner_text("#flash")
    assert {draft_where(season, id=i).status for i in chosen} == {DraftStatus.APPROVED}
    assert not set(chosen) & set(queue_ids(page))  # out of the pending list
    page.click("#undo")
    page.wait_for_load_state()
    assert "Fortrudt" in page.inner_text("#flash")
    after = {i: draft_where(season, id=i) for i in chosen}
    assert {d.status for d in after.values()} == {DraftStatus.PENDING}
    assert all(d.published is None for d in after.values())
    assert set(chosen) <= set(queue_ids(page))


def test_withdrawing_asks_first_and_can_be_undone(browser, live_season, season):
    published = next(d for d in drafts(season) if d.published)
    page = login(browser, live_season, viewport=PHONE)
    page.goto(f"{live_season}/drafts/{published.id}")
    page.click("#withdraw")
    page.wait_for_load_state()
    assert draft_where(season, id=published.id).status == DraftStatus.APPROVED  # nothing yet: a question first
    page.click("#confirm-withdraw")
    page.wait_for_load_state()
    withdrawn = draft_where(season, id=published.id)
    assert withdrawn.status == DraftStatus.WITHDRAWN
    page.click("#undo")
    page.wait_for_load_state()
    back = draft_where(season, id=published.id)
    assert back.status == DraftStatus.APPROVED and back.sequence > withdrawn.sequence  # calendars follow


# --- nothing typed is lost ---------------------------------------------------------------------

def test_an_edit_survives_an_expired_session(browser, live_season, season):
    target = drafts(season)[1]
    page = login(browser, live_season)
    page.goto(f"{live_season}/drafts/{target.id}")
    page.fill("#f-title", "Titlen jeg skrev før jeg blev logget ud")
    page.fill("#f-place", "Byrådssalen")
    page.context.clear_cookies()  # the session runs out while the reviewer types
    page.click("#save")
    page.wait_for_load_state()
    assert "logget ud" in page.inner_text("main")
    page.fill("input[name=name]", "mette")
    page.fill("input[name=password]", PASSWORDS["mette"])
    page.click("form.login button[type=submit]")
    page.wait_for_load_state()
    assert page.input_value("#f-title") == "Titlen jeg skrev før jeg blev logget ud"
    assert page.input_value("#f-place") == "Byrådssalen"
    assert draft_where(season, id=target.id).title == target.title  # shown again, not saved behind the reviewer's back
    page.click("#save")
    page.wait_for_load_state()
    assert draft_where(season, id=target.id).title == "Titlen jeg skrev før jeg blev logget ud"


def test_logging_in_in_another_tab_renews_the_token_and_the_save_goes_through(browser, live_season, season):
    target = drafts(season)[2]
    page = login(browser, live_season)
    page.goto(f"{live_season}/drafts/{target.id}")
    page.fill("#f-title", "Gemt efter nyt login i en anden fane")
    other = page.context.new_page()
    other.goto(live_season + "/login")
    other.fill("input[name=name]", "mette")
    other.fill("input[name=password]", PASSWORDS["mette"])
    other.click("form.login button[type=submit]")
    other.wait_for_load_state()
    page.click("#save")
    page.wait_for_load_state()
    assert "CSRF" not in page.content() and "udløbet" not in page.inner_text("main")
    assert draft_where(season, id=target.id).title == "Gemt efter nyt login i en anden fane"


def test_an_edit_conflict_shows_both_versions_and_keeps_mine(browser, live_season, season):
    target = drafts(season)[3]
    first, second = login(browser, live_season, "mette"), login(browser, live_season, "jonas")
    for page in (first, second):
        page.goto(f"{live_season}/drafts/{target.id}")
    first.fill("#f-title", "Mettes titel")
    first.click("#save")
    first.wait_for_load_state()
    second.fill("#f-title", "Jonas' titel")
    second.click("#save")
    second.wait_for_load_state()
    assert second.locator(".conflict").count() == 1
    assert second.input_value("#f-title") == "Jonas' titel"  # mine, kept to reapply
    assert "Mettes titel" in second.inner_text(".field[data-field=title] .theirs")  # theirs, beside it
    assert draft_where(season, id=target.id).title == "Mettes titel"
    second.click("#save")  # saving now is a decision made knowing the other version
    second.wait_for_load_state()
    assert draft_where(season, id=target.id).title == "Jonas' titel"


def test_enter_in_the_rejection_reason_rejects(browser, live_season, season):
    target = drafts(season)[4]
    page = login(browser, live_season)
    page.goto(f"{live_season}/drafts/{target.id}")
    page.fill("#reason", "Ikke en del af Ledelsesugen")
    page.press("#reason", "Enter")
    page.wait_for_load_state()
    rejected = draft_where(season, id=target.id)
    assert (rejected.status, rejected.reject_reason) == (DraftStatus.REJECTED, "Ikke en del af Ledelsesugen")


# --- evidence, flags, keyboard --------------------------------------------------------------

def test_each_fields_source_is_its_own_mark_and_focusing_the_field_shows_it(browser, live_season, season):
    target = draft_of_sample(season, "01-aarhusvig-lederdialog.eml")
    page = login(browser, live_season, viewport=PHONE)
    page.goto(f"{live_season}/drafts/{target.id}")
    marks = page.locator("#mailtext mark")
    classes = marks.evaluate_all("ms => ms.map(m => m.className)")
    assert len(set(classes)) == len(classes) >= 3  # every field's own mark
    titles = marks.evaluate_all("ms => ms.map(m => m.title)")
    assert all(t.startswith("Kilde til ") for t in titles) and not any("_" in t for t in titles)  # named in Danish
    page.focus("#f-place")
    place_mark = page.locator("#mailtext mark[data-fields~=place]")
    assert "current" in place_mark.get_attribute("class")
    assert place_mark.evaluate("""m => { const box = document.getElementById('mailtext').getBoundingClientRect();
        const r = m.getBoundingClientRect(); return r.top >= box.top && r.bottom <= box.bottom; }""")


def test_a_field_a_reviewer_confirms_is_no_longer_unsure(browser, live_season, season):
    unsure = next(d for d in drafts(season) if d.status == DraftStatus.PENDING and d.place)
    name = "place"
    with session_scope(open_store(season)) as s:  # the extractor was unsure of the place (under 60 %)
        row = s.get(Draft, unsure.id)
        row.confidence = {**row.confidence, name: 0.4}
        s.add(row)
        s.commit()
    page = login(browser, live_season)
    page.goto(f"{live_season}/drafts/{unsure.id}")
    assert "usikker" in page.inner_text(f".field[data-field={name}]")
    page.check(f"input[name=checked_{name}]")
    page.click("#save")
    page.wait_for_load_state()
    assert "usikker" not in page.inner_text(f".field[data-field={name}]")


def test_shortcuts_are_listed_need_two_keys_to_approve_and_can_be_turned_off(browser, live_season, season):
    page = login(browser, live_season)
    first = queue_ids(page)[0]
    page.goto(f"{live_season}/drafts/{first}")
    page.keyboard.press("a")
    assert page.evaluate("document.activeElement.id") == "approve"
    assert draft_where(season, id=first).status == DraftStatus.PENDING  # "a" alone approves nothing
    page.keyboard.press("Escape")
    page.keyboard.press("?")
    assert page.locator("#keys-help").is_visible()
    page.click("#toggle-shortcuts")
    page.wait_for_load_state()
    url = page.url
    page.keyboard.press("j")
    page.wait_for_timeout(300)
    assert page.url == url  # off: a key is just a key
    assert page.get_attribute("body", "data-shortcuts") == "off"


# --- phone width and axe-core --------------------------------------------------------------

def page_paths(settings) -> dict[str, str]:
    listed = drafts(settings)
    long_mail = next(d for d in listed if "Lederfrokost" in (d.title or "") or "Roskilde" in (d.place or ""))
    return {"login": "/login", "queue": "/", "queue, all": "/?status=all", "draft": f"/drafts/{listed[0].id}",
            "draft of a long-lined mail": f"/drafts/{long_mail.id}", "the whole mail": f"/messages/{long_mail.message_pk}",
            "failed mail": "/failed", "users": "/users", "programme": "/programme/"}


def test_no_page_is_wider_than_a_390px_phone(browser, live_season, season):
    page = login(browser, live_season, viewport=PHONE)
    for name, path in page_paths(season).items():
        if name == "login":
            continue
        page.goto(live_season + path)
        for summary in page.locator("details summary").all():
            summary.click()  # the raw mail and the HTML open too
        width = page.evaluate("document.documentElement.scrollWidth")
        shot(page, "phone-" + name.replace(" ", "-").replace(",", ""))
        assert width <= 390, f"{name} ({path}) is {width} px wide at 390 px"
    anonymous = browser.new_context(viewport=PHONE).new_page()
    anonymous.goto(live_season + "/login")
    assert anonymous.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_axe_finds_no_serious_or_critical_violation_on_any_page(browser, live_season, season, axe_source, viewport):
    page = login(browser, live_season, viewport=viewport, bypass_csp=True)  # to inject axe; the pages' own CSP stays
    found, checked = {}, 0
    for name, path in page_paths(season).items():
        target = page
        if name == "login":
            target = browser.new_context(viewport=viewport, bypass_csp=True).new_page()
        target.goto(live_season + path)
        target.add_script_tag(content=axe_source)
        violations = target.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))""")
        checked += target.evaluate("document.querySelectorAll('*').length") > 20
        if violations:
            found[name] = violations
        if viewport == DESKTOP:
            shot(target, "desktop-" + name.replace(" ", "-").replace(",", ""))
    assert found == {}
    assert checked == len(page_paths(season))  # every page was there to check
