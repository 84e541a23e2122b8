"""Public pages (no login): the programme, a page and an .ics per event, events.ics and events.json.
Mounted by the review app.

The programme's files are served where `kontakt publish --out DIR` puts them, under /programme/
(index.html, events.ics, events.json, programme.css, arrangement/KEY.html and .ics), so the pages'
relative links work in both; /events.ics and /events.json stay where they always were. The feeds
take `?day=YYYY-MM-DD` (repeatable) and `?organizer=TEXT`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from sqlmodel import Session

from publish.feeds import Site, ics_event, ics_feed, json_feed
from publish.fields import by_organizer, event_key, on_days
from publish.http import conditional
from publish.page import Showing, render_event, render_programme
from store.publishing import PublishedEvent, last_change, publication_stamp, published_events

router = APIRouter()
STATIC = Path(__file__).parent / "static"
GET_HEAD = ["GET", "HEAD"]
ICS = "text/calendar; charset=utf-8"
HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Published:
    events: list[PublishedEvent]
    last_change: datetime | None


def _published(request: Request) -> Published:
    with Session(request.app.state.engine) as session:
        return Published(published_events(session), last_change(session))


class BuiltFeeds:
    """Feeds already built, by what they are built from (the route, its filters, the publication stamp):
    a poll of an unchanged feed costs one small query, not a new feed. Bounded; per process."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self.built: OrderedDict[tuple, tuple[bytes, datetime | None]] = OrderedDict()
        self.lock = threading.Lock()  # sync routes run in a thread pool

    def get(self, request: Request, key: tuple, build: Callable[[Published], bytes]) -> tuple[bytes, datetime | None]:
        with Session(request.app.state.engine) as session:
            key = (*key, publication_stamp(session))
            with self.lock:
                found = self.built.get(key)
                if found is not None:
                    self.built.move_to_end(key)
                    return found
            published = Published(published_events(session), last_change(session))
        found = (build(published), published.last_change)
        with self.lock:
            self.built[key] = found
            while len(self.built) > self.size:
                self.built.popitem(last=False)
        return found


def _built(request: Request) -> BuiltFeeds:
    state = request.app.state
    if getattr(state, "built_feeds", None) is None:
        state.built_feeds = BuiltFeeds()
    return state.built_feeds


def _site(request: Request) -> Site:
    return Site.at(request.app.state.settings.publish.site_url)


def _title(request: Request) -> str:
    return request.app.state.settings.publish.title


class BadFilter(ValueError):
    pass


def _filtered(events: list[PublishedEvent], day: list[str], organizer: str | None) -> list[PublishedEvent]:
    if day:
        try:
            days = {date.fromisoformat(value) for value in day}
        except ValueError:
            raise BadFilter(f"Ugyldig dag: skriv ?day= som ÅÅÅÅ-MM-DD, fx ?day=2026-10-27 (fik {', '.join(day)!r}).")
        events = [e for e in events if on_days(e, days)]
    if organizer is not None:
        events = [e for e in events if by_organizer(e, organizer)]
    return events


def _bad(exc: BadFilter) -> Response:
    return PlainTextResponse(str(exc), status_code=400)


@router.api_route("/programme", methods=GET_HEAD)
def programme_redirect() -> Response:
    return RedirectResponse("/programme/", status_code=308)


@router.api_route("/programme/", methods=GET_HEAD)
@router.api_route("/programme/index.html", methods=GET_HEAD)
def programme(request: Request) -> Response:
    published = _published(request)
    showing = Showing.as_of(None, request.app.state.settings.publish.cancelled_days)
    body = render_programme(published.events, title=_title(request), site=_site(request), showing=showing)
    return conditional(request, body.encode("utf-8"), media_type=HTML,
                       last_modified=showing.page_changed_at(published.events, published.last_change))


@router.api_route("/programme/programme.css", methods=GET_HEAD)
@router.api_route("/programme/static/programme.css", methods=GET_HEAD)
def programme_css(request: Request) -> Response:
    return conditional(request, (STATIC / "programme.css").read_bytes(), media_type="text/css", last_modified=None)


@router.api_route("/events.ics", methods=GET_HEAD)
@router.api_route("/programme/events.ics", methods=GET_HEAD)
def events_ics(request: Request, day: list[str] = Query(default=[]), organizer: str | None = None) -> Response:
    try:
        body, changed = _built(request).get(request, ("ics", tuple(sorted(day)), organizer), lambda published: ics_feed(
            _filtered(published.events, day, organizer), name=_title(request), site=_site(request)))
    except BadFilter as exc:
        return _bad(exc)
    return conditional(request, body, media_type=ICS, last_modified=changed)


@router.api_route("/events.json", methods=GET_HEAD)
@router.api_route("/programme/events.json", methods=GET_HEAD)
def events_json(request: Request, day: list[str] = Query(default=[]), organizer: str | None = None) -> Response:
    try:
        body, changed = _built(request).get(request, ("json", tuple(sorted(day)), organizer), lambda published: json_feed(
            _filtered(published.events, day, organizer), title=_title(request), generated=published.last_change))
    except BadFilter as exc:
        return _bad(exc)
    return conditional(request, body, media_type="application/json", last_modified=changed)


def _one(request: Request, key: str) -> tuple[PublishedEvent | None, datetime | None]:
    published = _published(request)
    return next((e for e in published.events if event_key(e.uid) == key), None), published.last_change


NO_SUCH_EVENT = "Arrangementet findes ikke i programmet."


@router.api_route("/programme/arrangement/{key}.html", methods=GET_HEAD)
def event_page(request: Request, key: str) -> Response:
    event, changed = _one(request, key)
    if event is None:
        return PlainTextResponse(NO_SUCH_EVENT, status_code=404)
    body = render_event(event, title=_title(request), site=_site(request))
    return conditional(request, body.encode("utf-8"), media_type=HTML, last_modified=event.last_modified or changed)


@router.api_route("/programme/arrangement/{key}.ics", methods=GET_HEAD)
def event_ics(request: Request, key: str) -> Response:
    event, changed = _one(request, key)
    if event is None:
        return PlainTextResponse(NO_SUCH_EVENT, status_code=404)
    return conditional(request, ics_event(event, site=_site(request)), media_type=ICS,
                       last_modified=event.last_modified or changed)

