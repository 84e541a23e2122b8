"""What every page of the desk shares: the one render path, errors, the session's user, CSRF.

Views import this module; the app factory (`review.app`) wires it. Neither imports the views'
own modules, so the desk has no import circle.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from core import danish
from store import User
from store.decisions import latest_undo

LOW_CONFIDENCE = 0.6
FIELD_LABELS = {"title": "Titel", "start": "Start", "end": "Slut", "all_day": "Hele dagen", "place": "Sted",
                "online": "Online", "registration_deadline": "Tilmeldingsfrist", "registration": "Tilmelding",
                "organizer": "Arrangør", "audience": "Målgruppe", "description": "Beskrivelse"}
STATUS_LABELS = {"pending": "Afventer", "approved": "Godkendt", "rejected": "Afvist", "not_event": "Ikke et arrangement",
                 "merged": "Slået sammen", "withdrawn": "Trukket tilbage"}
KIND_LABELS = {"event": "arrangement", "cancellation": "aflysning", "auto_reply": "automatisk svar",
               "bounce": "returmail", "question": "spørgsmål", "newsletter": "nyhedsbrev", "other": "andet"}
MESSAGE_STATUS_LABELS = {"received": "Modtaget, ikke læst endnu", "queued": "Læst, kladder i køen",
                         "not_event": "Sat til side", "duplicate": "Dublet af en tidligere mail",
                         "failed": "Kunne ikke læses", "purged": "Slettet efter opbevaringstiden"}
ACTION_LABELS = {"created": "oprettet fra mail", "edited": "rettet", "approved": "godkendt", "rejected": "afvist",
                 "not_event": "ikke et arrangement", "merged": "slået sammen", "updated_by_reply": "ændret af svar",
                 "withdrawn": "trukket tilbage", "undone": "fortrudt", "checked": "tjekket",
                 "change_discarded": "ændring kasseret (den offentliggjorte version beholdt)",
                 "change_proposed": "ændring foreslået af svar", "cancel_proposed": "aflysning foreslået af svar",
                 "change_accepted": "foreslået ændring godkendt", "change_dismissed": "foreslået ændring afvist",
                 "possible_duplicate": "mulig dublet", "kept_both": "ikke en dublet: begge beholdt"}
# "Fortryd godkendelsen af kladde 12": what each decision is called when it is taken back
UNDO_NOUNS = {"approved": "godkendelsen", "rejected": "afvisningen", "not_event": "\u201dikke et arrangement\u201d",
              "merged": "sammenlægningen", "withdrawn": "tilbagetrækningen"}


def shown_value(name: str, value: Any) -> str:
    """A field's value as the history shows it: times in words, statuses and yes/no in Danish."""
    if value is None or value == "":
        return "–"
    if name == "status":
        return STATUS_LABELS.get(str(value), str(value))
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if name == "registration_deadline":
        return danish.deadline(str(value))
    if name in ("start", "end"):
        return danish.when(str(value))
    return str(value)


class ReviewError(Exception):
    """An error page with its HTTP status and a Danish message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class LoginRequired(Exception):
    """No (or an expired) session. A form posted without one comes back after logging in again."""


def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    """Every page goes through here: the base context (user, CSRF token, flash, the undo offer) is added once."""
    session = request.session
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    user = getattr(request.state, "user", None)
    base = {"request": request, "csrf": session["csrf"], "user": user, "flash": session.pop("flash", None),
            "undo": getattr(request.state, "undo", None),
            "shortcuts": bool(user is not None and (user.preferences or {}).get("shortcuts", True))}
    return request.app.state.templates.TemplateResponse(request=request, name=template, context={**base, **context},
                                                        status_code=status)


def flash(request: Request, message: str) -> None:
    """A message for the next page (the decision's result, named so it cannot be taken for the next draft's)."""
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
    request.state.undo = latest_undo(session, user.name)
    return user


def require_admin(user: User = Depends(current_user)) -> User:
    if not user.is_admin:
        raise ReviewError(403, "Kun administratorer har adgang til denne side.")
    return user


def same_origin(request: Request) -> bool:
    """The browser says the request comes from this site's own page (Sec-Fetch-Site cannot be set by a page)."""
    return request.headers.get("sec-fetch-site") == "same-origin"


async def checked_form(request: Request) -> dict[str, str]:
    """The POSTed form, refused unless it comes from this site and carries this session's CSRF token.

    A form from a page of this site whose token is stale (the reviewer logged in again in another tab,
    which renews the token) is taken: the browser vouches that it is our own page, and the next page
    carries the renewed token."""
    form = await request.form()
    token = str(form.get("csrf", ""))
    expected = request.session.get("csrf", "")
    origin = request.headers.get("origin")
    if origin and origin != "null" and origin != f"{request.url.scheme}://{request.url.netloc}":
        raise ReviewError(403, "Forespørgslen kom fra et andet websted og blev afvist.")
    if request.headers.get("sec-fetch-site") in ("cross-site", "same-site"):
        raise ReviewError(403, "Forespørgslen kom fra et andet websted og blev afvist.")
    if not (expected and secrets.compare_digest(token, expected)) and not same_origin(request):
        raise ReviewError(403, "Formularen var udløbet eller ugyldig. Genindlæs siden og prøv igen.")
    return {k: str(v) for k, v in form.items()}


async def checked_form_lists(request: Request) -> tuple[dict[str, str], dict[str, list[str]]]:
    """As `checked_form`, with every value of names given more than once (the queue's selected drafts)."""
    single = await checked_form(request)
    form = await request.form()
    return single, {key: [str(v) for v in form.getlist(key)] for key in form.keys()}


def reader_of(request: Request):  # type: ignore[no-untyped-def]
    """The application's "read this stored mail again" (handed to the app by `kontakt serve`), or a 503."""
    reread = request.app.state.reread
    if reread is None:
        raise ReviewError(503, "Denne desk kan ikke læse mails igen. Start desken med kontakt serve, eller kør kontakt run.")
    return reread
