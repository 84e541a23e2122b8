"""Logging in and out, and logging in again without losing a form the session ran out under."""

from __future__ import annotations

import json
import re

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from review.deps import checked_form, db, render
from store.users import authenticate

router = APIRouter()
MAX_RESUME_CHARS = 50_000  # a draft form with a long description fits; nothing larger is carried
RESUMABLE = re.compile(r"^/drafts/\d+$")  # forms whose typing comes back after logging in again


def safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", {"next": safe_next(next), "error": None, "resume": None})


def login_again(request: Request, path: str, fields: dict[str, str]) -> Response:
    """The login page for a form posted after the session ended: what was typed rides along, unsaved,
    and comes back in the form after logging in (nothing is saved without the reviewer seeing it)."""
    fields = {k: v for k, v in fields.items() if k not in ("csrf", "action")}
    resume = json.dumps({"path": path, "fields": fields}, ensure_ascii=False)
    if not RESUMABLE.match(path) or len(resume) > MAX_RESUME_CHARS:
        resume = None
    back = path if RESUMABLE.match(path) else "/"  # a form's own address may take no GET (/bulk)
    return render(request, "login.html", {"next": back, "error": None, "resume": resume,
                                          "expired": True}, status=401)


@router.post("/login")
async def login(request: Request, session: Session = Depends(db)) -> Response:
    form = await checked_form(request)
    user = authenticate(session, form.get("name", ""), form.get("password", ""))
    if user is None:
        return render(request, "login.html", {"next": safe_next(form.get("next")), "resume": form.get("resume"),
                                              "error": "Forkert brugernavn eller adgangskode."}, status=401)
    request.session.clear()  # a fresh session on login: no fixation
    request.session["user_id"] = user.id
    resumed = _resume(form.get("resume"))
    if resumed is not None:
        request.state.user = user
        return request.app.state.resume_form(request, session, user, *resumed)  # the drafts' area owns its page
    return RedirectResponse(safe_next(form.get("next")), status_code=303)


def _resume(text: str | None) -> tuple[int, dict[str, str]] | None:
    if not text or len(text) > MAX_RESUME_CHARS:
        return None
    try:
        data = json.loads(text)
        path, fields = str(data["path"]), {str(k): str(v) for k, v in dict(data["fields"]).items()}
    except (ValueError, KeyError, TypeError):
        return None
    if not RESUMABLE.match(path):
        return None
    return int(path.rsplit("/", 1)[1]), fields


@router.post("/logout")
async def logout(request: Request) -> Response:
    await checked_form(request)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
