"""The review desk's FastAPI app: the factory that wires middleware, templates and the routers.

Security: every page but /login and the public programme needs a session; the
session cookie is signed, HttpOnly and SameSite=Lax; every POST comes from this
site (Origin, Sec-Fetch-Site) and carries the session's CSRF token; a strict
Content-Security-Policy forbids inline script and any request to another host;
mail HTML is sanitised and shown in a sandboxed frame.

The desk never reads a mailbox. What it needs of the application above it
(reading a stored message again) is handed in by the caller as a function.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.middleware.sessions import SessionMiddleware

from core import danish
from core.settings import Settings
from publish import web as public_pages
from review import auth, mail, published, queue, replies, users, views
from review.deps import (ACTION_LABELS, FIELD_LABELS, KIND_LABELS, LOW_CONFIDENCE, MESSAGE_STATUS_LABELS, STATUS_LABELS,
                         UNDO_NOUNS, LoginRequired, ReviewError, render, shown_value)
from review.forms import TIME_FIELDS
from review.mailview import mark_class
from store import Message

HERE = Path(__file__).parent
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'")
SESSION_HOURS = 12


class Reread(Protocol):
    """Reads a stored message again and queues what it holds (as an event, when a reviewer says it is one);
    returns the message's new status."""

    def __call__(self, session: Session, message: Message, *, as_event: bool = False) -> str: ...


def create_app(settings: Settings, engine: Engine, *, secret: str, reread: Reread | None = None) -> FastAPI:
    """The desk and the public pages on one database. `secret` signs the session cookies (`kontakt serve`
    refuses to start without one); `reread` is what "Læs igen" calls."""
    if len(secret) < 16:
        raise ValueError("the session secret must be at least 16 characters")
    app = FastAPI(title="kontakt", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.engine = engine
    app.state.reread = reread
    app.add_middleware(SessionMiddleware, secret_key=secret, session_cookie="kontakt_session", same_site="lax",
                       https_only=settings.review.secure_cookies, max_age=SESSION_HOURS * 3600)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"  # with no-referrer, browsers send "Origin: null" on our own POSTs
        response.headers["X-Frame-Options"] = "DENY"
        return response

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals.update(field_labels=FIELD_LABELS, status_labels=STATUS_LABELS, action_labels=ACTION_LABELS,
                                 message_status_labels=MESSAGE_STATUS_LABELS, kind_labels=KIND_LABELS, undo_nouns=UNDO_NOUNS,
                                 low=LOW_CONFIDENCE, time_fields=TIME_FIELDS, mark_class=mark_class,
                                 shown_value=shown_value)
    # every date and time the desk shows, as Danes write them, in Danish local time
    templates.env.filters.update(when=danish.when, deadline=danish.deadline, instant=danish.instant,
                                 typed=danish.typed, label_of=lambda name: FIELD_LABELS.get(name, name))
    app.state.templates = templates
    app.state.resume_form = views.resumed_draft_page  # a draft form typed before the session ended, back after login

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        if request.method == "POST":  # the session ran out while a form was being filled in: keep what was typed
            form = await request.form()
            return auth.login_again(request, request.url.path, {k: str(v) for k, v in form.multi_items()})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(ReviewError)
    async def error_page(request: Request, exc: ReviewError) -> Response:
        return render(request, "error.html", {"message": exc.message}, status=exc.status)

    for area in (auth, queue, views, published, replies, mail, users):  # published: discard a change; replies: issue 15
        app.include_router(area.router)
    app.include_router(public_pages.router)
    return app


__all__ = ["create_app"]
