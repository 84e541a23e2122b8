"""The users' area: accounts (administrators only), and each reviewer's own desk settings."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from review.deps import checked_form, current_user, db, flash, render, require_admin
from store import StoreError, User
from store.users import MIN_PASSWORD_LENGTH, add_user, list_users, set_preference

router = APIRouter()


@router.get("/users")
def users_page(request: Request, user: User = Depends(require_admin), session: Session = Depends(db)) -> Response:
    return render(request, "users.html", {"users": list_users(session), "error": None, "min_length": MIN_PASSWORD_LENGTH})


@router.post("/users")
async def create_user(request: Request, user: User = Depends(require_admin), session: Session = Depends(db)) -> Response:
    form = await checked_form(request)
    try:
        add_user(session, form.get("name", ""), form.get("password", ""), admin=form.get("admin") == "on")
    except StoreError as exc:
        return render(request, "users.html", {"users": list_users(session), "error": str(exc), "name": form.get("name", ""),
                                              "min_length": MIN_PASSWORD_LENGTH}, status=422)
    flash(request, "Brugeren er oprettet.")
    return RedirectResponse("/users", status_code=303)


@router.post("/preferences/shortcuts")
async def set_shortcuts(request: Request, user: User = Depends(current_user), session: Session = Depends(db)) -> Response:
    """Turn the one-key shortcuts on or off for this reviewer (WCAG 2.1.4)."""
    form = await checked_form(request)
    on = form.get("shortcuts") == "on"
    set_preference(session, user.id, "shortcuts", on)
    flash(request, "Tastaturgenveje er slået til." if on else "Tastaturgenveje er slået fra.")
    back = form.get("back", "/")
    return RedirectResponse(back if back.startswith("/") and not back.startswith("//") else "/", status_code=303)
