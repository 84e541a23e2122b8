"""The served feeds and pages for pollers: ETag, Last-Modified, 304, HEAD, Cache-Control; the ?day= and
?organizer= filters; a page and an .ics per event."""

from __future__ import annotations

from email.utils import format_datetime, parsedate_to_datetime
from datetime import timedelta

import icalendar
import pytest
from fastapi.testclient import TestClient

from kontakt.desk import desk_app
from tests.publish.conftest import approve, draft, edit

PUBLIC = ["/events.ics", "/events.json", "/programme/", "/programme/events.ics", "/programme/events.json",
          "/programme/programme.css"]


@pytest.fixture
def client(site):
    settings, _ = site
    return TestClient(desk_app(settings), base_url="http://testserver", follow_redirects=False)


def summaries(body: bytes) -> list[str]:
    return sorted(str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(body).walk("VEVENT"))


@pytest.mark.parametrize("path", PUBLIC)
def test_an_unchanged_page_answers_304_to_its_etag_and_to_its_date(client, path):
    first = client.get(path)
    assert first.status_code == 200 and first.content
    etag = first.headers["etag"]
    assert etag.startswith('"') and first.headers["cache-control"] == "public, max-age=300"
    assert client.get(path).content == first.content  # the body does not change by itself
    cached = client.get(path, headers={"If-None-Match": etag})
    assert cached.status_code == 304 and cached.content == b"" and cached.headers["etag"] == etag
    assert client.get(path, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    if path.endswith(".css"):
        return
    modified = first.headers["last-modified"]
    assert client.get(path, headers={"If-Modified-Since": modified}).status_code == 304
    earlier = format_datetime(parsedate_to_datetime(modified) - timedelta(seconds=1), usegmt=True)
    assert client.get(path, headers={"If-Modified-Since": earlier}).status_code == 200
    assert client.get(path, headers={"If-Modified-Since": "not a date"}).status_code == 200
    # If-None-Match decides when both are sent (RFC 9110 13.2.2)
    assert client.get(path, headers={"If-None-Match": '"other"', "If-Modified-Since": modified}).status_code == 200


@pytest.mark.parametrize("path", PUBLIC)
def test_head_gives_the_headers_of_get_without_a_body(client, path):
    get, head = client.get(path), client.head(path)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == get.headers["etag"]
    assert head.headers["content-length"] == str(len(get.content))
    assert head.headers["content-type"] == get.headers["content-type"]


def test_a_published_change_gives_a_new_etag_and_a_later_last_modified(site, client):
    settings, drafts = site
    first = client.get("/events.ics")
    edit(settings, drafts["Morgenmøde om tillid"], title="Ikke godkendt endnu")
    unchanged = client.get("/events.ics", headers={"If-None-Match": first.headers["etag"]})
    assert unchanged.status_code == 304  # an edit waiting for review publishes nothing
    approve(settings, drafts["Morgenmøde om tillid"])
    changed = client.get("/events.ics", headers={"If-None-Match": first.headers["etag"],
                                                 "If-Modified-Since": first.headers["last-modified"]})
    assert changed.status_code == 200 and changed.headers["etag"] != first.headers["etag"]
    assert "Ikke godkendt endnu" in summaries(changed.content)
    published_at = draft(settings, drafts["Morgenmøde om tillid"]).published_at
    assert parsedate_to_datetime(changed.headers["last-modified"]) == published_at.replace(microsecond=0)


def test_last_modified_is_the_last_change_of_all_even_for_a_filtered_feed(site, client):
    settings, drafts = site
    approve(settings, drafts["Lederdag for alle"], start="2026-10-27", end=None, all_day=True)  # moves off the 28th
    filtered = client.get("/events.ics?day=2026-10-28")
    assert summaries(filtered.content) == []
    last = draft(settings, drafts["Lederdag for alle"]).published_at
    assert parsedate_to_datetime(filtered.headers["last-modified"]) == last.replace(microsecond=0)


def test_the_feed_filters_by_day_and_by_organizer(site, client):
    settings, drafts = site
    approve(settings, drafts["Afventende webinar"], organizer="Aarhus  Kommune, HR", start="2026-10-29T14:00",
            end="2026-10-29T15:00")
    approve(settings, drafts["Lederdag for alle"], organizer="Region Nordhav", end="2026-10-29")  # 28th-29th
    assert summaries(client.get("/events.ics?day=2026-10-26").content) == ["Morgenmøde om tillid"]
    assert summaries(client.get("/events.ics?day=2026-10-29").content) == ["Afventende webinar", "Lederdag for alle"]
    assert summaries(client.get("/events.ics?day=2026-10-26&day=2026-10-28").content) == [
        "Lederdag for alle", "Morgenmøde om tillid"]
    assert summaries(client.get("/events.ics?day=2026-10-30").content) == []
    assert summaries(client.get("/events.ics?organizer=aarhus kommune").content) == ["Afventende webinar"]
    assert summaries(client.get("/events.ics", params={"organizer": "Region", "day": "2026-10-29"}).content) == [
        "Lederdag for alle"]
    data = client.get("/events.json?organizer=region%20nordhav").json()
    assert [e["title"] for e in data["events"]] == ["Lederdag for alle"]
    bad = client.get("/events.ics?day=29.10.2026")
    assert bad.status_code == 400 and "ÅÅÅÅ-MM-DD" in bad.text


def test_each_event_has_a_page_and_an_ics_and_an_unknown_one_is_404(site, client):
    settings, drafts = site
    uid = draft(settings, drafts["Morgenmøde om tillid"]).uid
    key = uid.split("@")[0]
    page = client.get(f"/programme/arrangement/{key}.html")
    assert page.status_code == 200 and "Morgenmøde om tillid" in page.text
    assert "mandag den 26. oktober 2026 kl. 09.00–10.30" in page.text.lower()
    one = client.get(f"/programme/arrangement/{key}.ics")
    assert one.headers["content-type"].startswith("text/calendar")
    (event,) = icalendar.Calendar.from_ical(one.content).walk("VEVENT")
    assert str(event["UID"]) == uid
    assert client.get(f"/programme/arrangement/{key}.ics", headers={"If-None-Match": one.headers["etag"]}).status_code == 304
    pending = draft(settings, drafts["Afventende webinar"]).uid.split("@")[0]
    for path in (f"/programme/arrangement/{pending}.html", "/programme/arrangement/nothing.ics"):
        missing = client.get(path)
        assert missing.status_code == 404 and "findes ikke" in missing.text
    assert client.get("/programme").status_code == 308
    assert client.get("/programme/index.html").content == client.get("/programme/").content
