"""What every page of the desk shares: the one render path, errors, the session's user, CSRF.

Views import this module; the app factory (`review.app`) wires it. Neither imports the views'
own module, so the desk has no import circle.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from store import User

LOW_CONFIDENCE = 0.6
FIELD_LABELS = {"title": "Titel", "start": "Start", "end": "Slut", "all_day": "Hele dagen", "place": "Sted",
                "online": "Online", "registration_deadline": "Tilmeldingsfrist", "registration": "Tilmelding",
                "organizer": "Arrangør", "audience": "Målgruppe", "description": "Beskrivelse"}
STATUS_LABELS = {"pending": "Afventer", "approved": "Godkendt", "rejected": "Afvist", "not_event": "Ikke et arrangement",
                 "merged": "Slået sammen", "withdrawn": "Trukket tilbage"}
ACTION_LABELS = {"created": "oprettet fra mail", "edited": "rettet", "approved": "godkendt", "rejected": "afvist",
                 "not_event": "ikke et arrangement", "merged": "slået sammen", "updated_by_reply": "ændret af svar",
                 "withdrawn": "trukket tilbage",
                 "change_discarded": "ændring kasseret (den offentliggjorte version beholdt)"}


class ReviewError(Exception):
    """An error page with its HTTP status and a Danish message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class LoginRequired(Exception):
    pass


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
