"""The review desk's FastAPI app: the factory that wires middleware, templates and the routers.

Security: every page but /login and the public programme needs a session; the
session cookie is signed, HttpOnly and SameSite=Lax; every POST carries the
session's CSRF token; a strict Content-Security-Policy forbids inline script
and any request to another host; mail HTML is sanitised and shown in a
sandboxed frame.

The desk never reads a mailbox. What it needs of the application above it
(reading a stored message again) is handed in by the caller as a function.
"""

from __future__ import annotations

import os
import secrets
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

from core.settings import Settings
from publish import web as public_pages
from review import published, views
from review.deps import ACTION_LABELS, FIELD_LABELS, LOW_CONFIDENCE, STATUS_LABELS, LoginRequired, ReviewError, render
from store import Message

HERE = Path(__file__).parent
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'")

class Reread(Protocol):
    """Reads a stored message again and queues what it holds (as an event, when a reviewer says it is one);
    returns the message's new status."""

    def __call__(self, session: Session, message: Message, *, as_event: bool = False) -> str: ...


def create_app(settings: Settings, engine: Engine, *, reread: Reread | None = None) -> FastAPI:
    """The desk and the public pages on one database. `reread` is what "Læs igen" calls."""
    app = FastAPI(title="kontakt", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.engine = engine
    app.state.reread = reread
    secret = os.environ.get(settings.review.secret_env) or secrets.token_urlsafe(32)
    app.add_middleware(SessionMiddleware, secret_key=secret, session_cookie="kontakt_session", same_site="lax",
                       https_only=settings.review.secure_cookies, max_age=12 * 3600)

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
                                 low=LOW_CONFIDENCE)
    app.state.templates = templates

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)

    @app.exception_handler(ReviewError)
    async def error_page(request: Request, exc: ReviewError) -> Response:
        return render(request, "error.html", {"message": exc.message}, status=exc.status)

    app.include_router(views.router)
    app.include_router(published.router)  # discard a change / withdraw a published event
    app.include_router(public_pages.router)
    return app


__all__ = ["create_app"]
