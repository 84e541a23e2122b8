"""Public pages (no login): the programme, events.ics and events.json. Mounted by the review app."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from publish.feeds import ics_feed, json_feed
from publish.page import render_programme
from store.publishing import published_events

router = APIRouter()
STATIC = Path(__file__).parent / "static"


def _events(request: Request):  # type: ignore[no-untyped-def]
    with Session(request.app.state.engine) as session:
        return published_events(session)


@router.get("/programme")
def programme_redirect() -> Response:
    return RedirectResponse("/programme/", status_code=308)


@router.get("/programme/", response_class=HTMLResponse)
def programme(request: Request) -> HTMLResponse:
    title = request.app.state.settings.publish.title
    return HTMLResponse(render_programme(_events(request), title=title))


@router.get("/programme/static/programme.css")
def programme_css() -> Response:
    return Response((STATIC / "programme.css").read_bytes(), media_type="text/css")


@router.get("/events.ics")
def events_ics(request: Request) -> Response:
    return Response(ics_feed(_events(request), name=request.app.state.settings.publish.title),
                    media_type="text/calendar; charset=utf-8")


@router.get("/events.json")
def events_json(request: Request) -> Response:
    return Response(json_feed(_events(request), title=request.app.state.settings.publish.title),
                    media_type="application/json")
