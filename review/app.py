"""The review desk's FastAPI app: one render path, login, CSRF, and the pages.

Security: every page but /login and the public programme needs a session; the
session cookie is signed, HttpOnly and SameSite=Lax; every POST carries the
session's CSRF token; a strict Content-Security-Policy forbids inline script
and any request to another host; mail HTML is sanitised and shown in a
sandboxed frame.
"""

from __future__ import annotations

import os
import secrets
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.middleware.sessions import SessionMiddleware

import parsers
from kontakt.settings import Settings
from store import Draft, DraftStatus, Message, MessageStatus, User

HERE = Path(__file__).parent
LOW_CONFIDENCE = 0.6
FIELD_LABELS = {"title": "Titel", "start": "Start", "end": "Slut", "all_day": "Hele dagen", "place": "Sted",
                "online": "Online", "registration_deadline": "Tilmeldingsfrist", "registration": "Tilmelding",
                "organizer": "Arrangør", "audience": "Målgruppe", "description": "Beskrivelse"}
STATUS_LABELS = {"pending": "Afventer", "approved": "Godkendt", "rejected": "Afvist", "not_event": "Ikke et arrangement",
                 "merged": "Slået sammen", "withdrawn": "Trukket tilbage"}
ACTION_LABELS = {"created": "oprettet fra mail", "edited": "rettet", "approved": "godkendt", "rejected": "afvist",
                 "not_event": "ikke et arrangement", "merged": "slået sammen", "updated_by_reply": "ændret af svar",
                 "withdrawn": "trukket tilbage"}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'")
PUBLIC_PREFIXES = ("/login", "/static/", "/programme", "/events.ics", "/events.json")


class ReviewError(Exception):
    """An error page with its HTTP status and a Danish message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class LoginRequired(Exception):
    pass


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    from kontakt.pipeline import open_store

    app = FastAPI(title="kontakt", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.engine = engine or open_store(settings)
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

    from publish import web as public_pages
    from review import views

    app.include_router(views.router)
    app.include_router(public_pages.router)
    return app


# ------------------------------------------------------------------ the one render path


def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    """Every page goes through here: the base context (user, CSRF token, flash) is added once."""
    session = request.session
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    base = {"request": request, "csrf": session["csrf"], "user": getattr(request.state, "user", None),
            "flash": session.pop("flash", None)}
    return request.app.state.templates.TemplateResponse(request=request, name=template, context={**base, **context},
                                                        status_code=status)


def flash(request: Request, message: str) -> None:
    request.session["flash"] = message


# ------------------------------------------------------------------ dependencies


def db(request: Request):  # type: ignore[no-untyped-def]
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


def current_user(request: Request, session: Session = Depends(db)) -> User:
    user_id = request.session.get("user_id")
    user = session.get(User, user_id) if user_id else None
    if user is None:
        raise LoginRequired()
    request.state.user = user
    return user


def require_admin(user: User = Depends(current_user)) -> User:
    if not user.is_admin:
        raise ReviewError(403, "Kun administratorer har adgang til denne side.")
    return user


async def checked_form(request: Request) -> dict[str, str]:
    """The POSTed form, refused unless it carries this session's CSRF token (and comes from this site)."""
    form = await request.form()
    token = str(form.get("csrf", ""))
    expected = request.session.get("csrf", "")
    origin = request.headers.get("origin")
    if origin and origin != "null" and origin != f"{request.url.scheme}://{request.url.netloc}":
        raise ReviewError(403, "Forespørgslen kom fra et andet websted og blev afvist.")
    if not expected or not secrets.compare_digest(token, expected):
        raise ReviewError(403, "Formularen var udløbet eller ugyldig (CSRF). Genindlæs siden og prøv igen.")
    return {k: str(v) for k, v in form.items()}


# ------------------------------------------------------------------ queries the pages share


def needs_attention(draft: Draft, message: Message | None) -> list[str]:
    reasons = []
    low = [FIELD_LABELS.get(k, k) for k, v in (draft.confidence or {}).items() if v < LOW_CONFIDENCE]
    if low:
        reasons.append("usikre felter: " + ", ".join(low))
    if draft.duplicate_of:
        reasons.append("mulig dublet")
    if draft.changed_by_reply:
        reasons.append("ændret af svar")
    if message is not None and message.status == MessageStatus.FAILED:
        reasons.append("fejl ved læsning")
    return reasons


def queue(session: Session, status: str | None, attention: bool, sort: str) -> list[tuple[Draft, Message, list[str]]]:
    stmt = select(Draft, Message).join(Message, Message.id == Draft.message_pk)  # type: ignore[arg-type]
    if status:
        stmt = stmt.where(Draft.status == DraftStatus(status))
    if sort == "event":
        stmt = stmt.order_by(col(Draft.start).is_(None), col(Draft.start), col(Draft.id))
    else:
        stmt = stmt.order_by(col(Message.received_at).desc(), col(Draft.id))
    rows = [(d, m, needs_attention(d, m)) for d, m in session.exec(stmt).all()]
    if attention:
        rows = [r for r in rows if r[2]]
    if not status:  # pending first
        rows.sort(key=lambda r: r[0].status != DraftStatus.PENDING)
    return rows


def status_counts(session: Session) -> Counter:
    return Counter(str(s) for s in session.exec(select(Draft.status)).all())


def reread(message: Message) -> parsers.ParsedMail | None:
    try:
        return parsers.extract(message.raw or b"")
    except Exception:  # a failed mail is shown from its raw bytes instead
        return None


__all__ = ["create_app", "render", "ReviewError"]
