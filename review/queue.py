"""The queue's area: the list as sorted and filtered (all in the URL), bulk decisions, and "Fortryd"."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, select

from review.deps import ReviewError, checked_form, checked_form_lists, current_user, db, flash, render
from review.forms import draft_problems
from review.queries import ONLINE_CHOICES, SORTS, QueueQuery, draft_values, order, queue, status_counts
from review.views import DECISIONS, draft_url, form_query
from store import Draft, Message, MessageStatus, User
from store.decisions import Refusal, UndoRefused, decide, undo

router = APIRouter()
MAX_BULK = 500


@router.get("/")
def queue_page(request: Request, user: User = Depends(current_user), session: Session = Depends(db)) -> Response:
    query = QueueQuery.from_params(request.query_params)
    groups = queue(session, query, event_week=request.app.state.settings.review.event_week)
    failed = len(session.exec(select(Message.id).where(Message.status == MessageStatus.FAILED)).all())
    return render(request, "queue.html", {"groups": groups, "count": len(order(groups)), "counts": status_counts(session),
                                          "query": query, "failed_count": failed, "online_choices": ONLINE_CHOICES,
                                          "sorts": SORTS})


@router.post("/bulk")
async def bulk_decision(request: Request, user: User = Depends(current_user), session: Session = Depends(db)) -> Response:
    """Approve or reject the selected drafts at once; each is checked as a single decision would be."""
    form, lists = await checked_form_lists(request)
    query = form_query(form)
    action = form.get("action", "")
    if action not in ("approve", "reject"):
        raise ReviewError(400, "Vælg godkend eller afvis.")
    chosen = [int(i) for i in lists.get("ids", []) if i.isdigit()][:MAX_BULK]
    if not chosen:
        flash(request, "Vælg de kladder, det gælder, i listen.")
        return RedirectResponse(draft_url(None, query), status_code=303)
    reason = form.get("reason", "").strip() or None
    if action == "reject" and not reason:
        flash(request, "Skriv en begrundelse for afvisningen af de valgte kladder.")
        return RedirectResponse(draft_url(None, query), status_code=303)
    status, verb, done_text = DECISIONS[action]
    versions = {int(k[8:]): int(v) for k, v in form.items() if k.startswith("version-") and k[8:].isdigit() and v.isdigit()}
    ready, not_ready = [], []
    for draft_id in chosen:
        draft = session.get(Draft, draft_id)
        if draft is None:
            continue
        if action == "approve" and draft_problems(draft_values(draft)):
            not_ready.append(draft_id)  # the same checks as approving it on its own page
        else:
            ready.append((draft_id, versions.get(draft_id)))
    result = decide(session, ready, actor=user.name, action=verb, status=status, note=reason)
    parts = [f"{len(result.done)} kladde{'r' if len(result.done) != 1 else ''} {done_text}."]
    changed = [str(i) for i, why in result.refused.items() if why == Refusal.CHANGED]
    if changed:
        parts.append(f"Ændret af en anden i mellemtiden, ikke rørt: {', '.join(changed)}.")
    published = [str(i) for i, why in result.refused.items() if why == Refusal.PUBLISHED]
    if published:
        parts.append(f"Offentliggjort, så ikke afvist (træk tilbage eller kassér ændringen): {', '.join(published)}.")
    if not_ready:
        parts.append(f"Kan ikke godkendes uden rettelser (åbn dem én ad gangen): {', '.join(map(str, not_ready))}.")
    flash(request, " ".join(parts))
    return RedirectResponse(draft_url(None, query), status_code=303)


@router.post("/undo/{key}")
async def undo_decision(request: Request, key: str, user: User = Depends(current_user),
                        session: Session = Depends(db)) -> Response:
    form = await checked_form(request)
    try:
        result = undo(session, key, actor=user.name)
    except UndoRefused as exc:
        message = {"expired": "Det er for sent at fortryde den beslutning.",
                   "undone": "Den beslutning er allerede fortrudt."}.get(exc.reason, "Den beslutning kan ikke fortrydes.")
        raise ReviewError(409, message) from None
    parts = []
    if result.done:
        ids = ", ".join(str(d.id) for d in result.done)
        parts.append(f"Fortrudt: kladde {ids} er som før.")
    if result.refused:
        parts.append("Ikke fortrudt, ændret siden: kladde " + ", ".join(map(str, result.refused)) + ".")
    flash(request, " ".join(parts))
    target = form.get("back", "")
    if len(result.done) == 1 and not target.startswith("/?") and target != "/":
        target = f"/drafts/{result.done[0].id}"
    return RedirectResponse(target if target.startswith("/") and not target.startswith("//") else "/", status_code=303)
