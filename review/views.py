"""The pages: login, the queue, a draft, failed messages, users."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from review.deps import STATUS_LABELS, ReviewError, checked_form, current_user, db, flash, render, require_admin
from review.queries import needs_attention, queue, reread, status_counts
from review.forms import check_draft
from review.mailview import marked_text, sanitised_html
from store import Conflict, Draft, DraftStatus, Message, MessageStatus, StoreError, User, repo
from store.publishing import has_published_version
from store.users import add_user, authenticate, list_users

router = APIRouter()
DECISIONS = {
    "approve": (DraftStatus.APPROVED, "approved", "Godkendt."),
    "reject": (DraftStatus.REJECTED, "rejected", "Afvist."),
    "not_event": (DraftStatus.NOT_EVENT, "not_event", "Markeret som ikke et arrangement."),
}  # withdrawing a published event, and discarding a change to one, are in review/published.py

REJECT_PUBLISHED = ("Arrangementet er offentliggjort og kan ikke afvises: kassér ændringen for at beholde den "
                    "offentliggjorte version, eller træk det tilbage for at aflyse det.")


def _get_or_404(session: Session, model: type, key: int, noun: str) -> Any:
    row = session.get(model, key)
    if row is None:
        raise ReviewError(404, f"Der er ingen {noun} nummer {key}.")
    return row


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login")
async def login(request: Request, session: Session = Depends(db)) -> Response:
    form = await checked_form(request)
    user = authenticate(session, form.get("name", ""), form.get("password", ""))
    if user is None:
        return render(request, "login.html", {"next": _safe_next(form.get("next")),
                                              "error": "Forkert brugernavn eller adgangskode."}, status=401)
    request.session.clear()  # a fresh session on login: no fixation
    request.session["user_id"] = user.id
    return RedirectResponse(_safe_next(form.get("next")), status_code=303)


@router.post("/logout")
async def logout(request: Request) -> Response:
    await checked_form(request)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/")
def queue_page(request: Request, status: str = "pending", attention: bool = False, sort: str = "mail",
               user: User = Depends(current_user), session: Session = Depends(db)) -> Response:
    status = status if status in STATUS_LABELS or status == "all" else "pending"
    rows = queue(session, None if status == "all" else status, attention, sort)
    failed = session.exec(select(Message).where(Message.status == MessageStatus.FAILED)).all()
    return render(request, "queue.html", {"rows": rows, "counts": status_counts(session), "status": status,
                                          "attention": attention, "sort": sort, "failed_count": len(failed)})


def _neighbours(session: Session, draft: Draft) -> tuple[int | None, int | None]:
    ids = [d for d in session.exec(select(Draft.id).where(Draft.status == DraftStatus.PENDING).order_by(col(Draft.id))).all()]
    if draft.id not in ids:
        ids = sorted(ids + [draft.id])
    i = ids.index(draft.id)
    return (ids[i - 1] if i > 0 else None), (ids[i + 1] if i + 1 < len(ids) else None)


def _draft_context(session: Session, draft: Draft, form: dict[str, Any] | None = None,
                   errors: dict[str, str] | None = None, conflict: str | None = None) -> dict[str, Any]:
    message = session.get(Message, draft.message_pk)
    parsed = reread(message) if message and message.raw else None
    previous, following = _neighbours(session, draft)
    values = form if form is not None else {name: getattr(draft, name) for name in
                                            ("title", "start", "end", "all_day", "place", "online",
                                             "registration_deadline", "registration", "organizer", "audience",
                                             "description")}
    others = session.exec(select(Draft).where(Draft.id != draft.id, col(Draft.status).in_(
        [DraftStatus.PENDING, DraftStatus.APPROVED])).order_by(col(Draft.id))).all()
    return {
        "draft": draft, "message": message, "values": values, "errors": errors or {}, "conflict": conflict,
        "attention": needs_attention(draft, message),
        "text": marked_text(parsed.text, draft.evidence or {}, {}) if parsed else None,
        "html": sanitised_html(parsed.html) if parsed and parsed.html else "",
        "attachments": parsed.attachments if parsed else [],
        "history": repo.history(session, draft.id), "previous": previous, "next": following, "others": others,
    }


@router.get("/drafts/{draft_id}")
def draft_page(request: Request, draft_id: int, user: User = Depends(current_user),
               session: Session = Depends(db)) -> Response:
    return render(request, "draft.html", _draft_context(session, _get_or_404(session, Draft, draft_id, "kladde")))


@router.post("/drafts/{draft_id}")
async def save_draft(request: Request, draft_id: int, user: User = Depends(current_user),
                     session: Session = Depends(db)) -> Response:
    form = await checked_form(request)
    draft = _get_or_404(session, Draft, draft_id, "kladde")
    action = form.get("action", "save")
    try:
        version = int(form.get("version", ""))
    except ValueError:
        raise ReviewError(400, "Formularen mangler kladdens version. Genindlæs siden.") from None
    if action == "withdraw":  # asks for confirmation first (review/published.py)
        return RedirectResponse(f"/drafts/{draft_id}/withdraw", status_code=303)
    checked = check_draft(form)
    if action in ("save", "approve") and not checked.ok:
        return render(request, "draft.html", _draft_context(session, draft, form=checked.values | form_flags(form),
                                                            errors=checked.errors), status=422)
    try:
        if action == "merge":
            target = int(form.get("merge_into") or 0)
            if target == draft_id or session.get(Draft, target) is None:
                raise ReviewError(400, "Vælg den kladde, den skal slås sammen med.")
            draft.duplicate_of = target
            repo.update_draft(session, draft_id, actor=user.name, action="merged", expected_version=version,
                              status=DraftStatus.MERGED, note=f"slået sammen med kladde {target}")
            flash(request, f"Slået sammen med kladde {target}.")
        elif action in DECISIONS:
            status, verb, message = DECISIONS[action]
            reason = form.get("reason", "").strip() or None
            if action == "reject" and has_published_version(draft):
                return render(request, "draft.html", _draft_context(session, draft, conflict=REJECT_PUBLISHED), status=422)
            if action == "reject" and not reason:
                return render(request, "draft.html", _draft_context(session, draft, form=checked.values | form_flags(form),
                                                                    errors={"reason": "Skriv en begrundelse for afvisningen."}),
                              status=422)
            values = checked.values if action == "approve" else None
            repo.update_draft(session, draft_id, actor=user.name, action=verb, expected_version=version,
                              values=values, status=status, note=reason)
            flash(request, message)
        else:
            repo.update_draft(session, draft_id, actor=user.name, action="edited", expected_version=version,
                              values=checked.values)
            flash(request, "Ændringerne er gemt.")
    except Conflict:
        session.rollback()
        fresh = session.get(Draft, draft_id)
        session.refresh(fresh)
        return render(request, "draft.html", _draft_context(
            session, fresh, conflict="En anden har ændret kladden, mens du arbejdede. Dine ændringer er ikke gemt: "
                                     "se den nye version herunder, og ret igen."), status=409)
    _, following = _neighbours(session, session.get(Draft, draft_id))
    if action in DECISIONS or action == "merge":
        return RedirectResponse(f"/drafts/{following}" if following else "/", status_code=303)
    return RedirectResponse(f"/drafts/{draft_id}", status_code=303)


def form_flags(form: dict[str, str]) -> dict[str, Any]:
    return {"reason": form.get("reason", "")}


@router.get("/failed")
def failed_page(request: Request, user: User = Depends(current_user), session: Session = Depends(db)) -> Response:
    rows = session.exec(select(Message).where(Message.status == MessageStatus.FAILED).order_by(col(Message.id).desc())).all()
    return render(request, "failed.html", {"messages": rows})


@router.get("/messages/{message_id}")
def message_page(request: Request, message_id: int, user: User = Depends(current_user),
                 session: Session = Depends(db)) -> Response:
    message = _get_or_404(session, Message, message_id, "mail")
    parsed = reread(message) if message.raw else None
    raw_text = (message.raw or b"")[:200_000].decode("utf-8", "replace")
    return render(request, "message.html", {"message": message, "parsed": parsed, "raw_text": raw_text,
                                            "html": sanitised_html(parsed.html) if parsed and parsed.html else ""})


@router.post("/messages/{message_id}/retry")
async def retry_message(request: Request, message_id: int, user: User = Depends(current_user),
                        session: Session = Depends(db)) -> Response:
    await checked_form(request)
    message = _get_or_404(session, Message, message_id, "mail")
    if request.app.state.reread is None:
        raise ReviewError(503, "Denne desk kan ikke læse mails igen. Kør kontakt run, eller start desken med kontakt serve.")
    outcome = request.app.state.reread(session, message)
    flash(request, {"queued": "Mailen er læst igen, og kladderne er i køen.", "not_event": "Mailen er læst igen: "
                    "den indeholder ikke et arrangement.", "failed": "Mailen kunne stadig ikke læses."}.get(outcome, outcome))
    return RedirectResponse("/failed" if outcome == "failed" else "/", status_code=303)


@router.get("/users")
def users_page(request: Request, user: User = Depends(require_admin), session: Session = Depends(db)) -> Response:
    return render(request, "users.html", {"users": list_users(session), "error": None})


@router.post("/users")
async def create_user(request: Request, user: User = Depends(require_admin), session: Session = Depends(db)) -> Response:
    form = await checked_form(request)
    try:
        add_user(session, form.get("name", ""), form.get("password", ""), admin=form.get("admin") == "on")
    except StoreError as exc:
        return render(request, "users.html", {"users": list_users(session), "error": str(exc)}, status=422)
    flash(request, "Brugeren er oprettet.")
    return RedirectResponse("/users", status_code=303)
