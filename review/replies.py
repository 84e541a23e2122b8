"""What mail did to the queue that a reviewer decides (issue 15): a reply's proposed change, a possible copy,
and the mail set aside because it queued nothing.

- A proposed change is accepted whole or field by field, or dismissed; the draft (and what is published)
  does not change before that.
- A draft marked as a possible copy is merged on the draft page, or kept as an event of its own here.
- "Sat til side" lists every mail that queued nothing, with its kind and the reason; "Det er et
  arrangement" reads it again as an event (its drafts are queued), "Luk" closes it.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from review.deps import ReviewError, checked_form, current_user, db, flash, reader_of, render
from review.views import draft_url, form_query, get_or_404
from store import Conflict, Draft, Message, NotFound, User, repo
from store.repo import drafts_of

router = APIRouter()
STALE = "En anden har ændret kladden, mens du arbejdede. Intet er ændret: se den nye version, og prøv igen."


def _version(form: dict[str, str]) -> int | None:
    return int(form["version"]) if form.get("version", "").isdigit() else None


@router.post("/drafts/{draft_id}/change")
async def decide_change(request: Request, draft_id: int, user: User = Depends(current_user),
                        session: Session = Depends(db)) -> Response:
    """Accept the ticked fields of the proposed change (or the cancellation), or dismiss it."""
    form = await request.form()
    fields = [str(name) for name in form.getlist("field")]
    checked = await checked_form(request)
    get_or_404(session, Draft, draft_id, "kladde")
    query = form_query(checked)
    try:
        if checked.get("decision") == "dismiss":
            repo.dismiss_change(session, draft_id, actor=user.name, expected_version=_version(checked))
            flash(request, f"Kladde {draft_id}: den foreslåede ændring er afvist; kladden står som før.")
        elif checked.get("decision") == "accept":
            draft = session.get(Draft, draft_id)
            cancel = bool(draft.pending_change and draft.pending_change.get("cancel"))
            if not cancel and not fields:
                raise ReviewError(422, "Vælg de felter, der skal ændres, eller afvis ændringen.")
            draft = repo.accept_change(session, draft_id, actor=user.name, fields=None if cancel else fields,
                                       expected_version=_version(checked))
            flash(request, f"Kladde {draft_id}: " + ("aflysningen er godkendt; kalenderne får besked." if cancel else
                                                     "ændringen er godkendt" + (" og offentliggjort." if draft.published
                                                                               and draft.status == "approved" else ".")))
        else:
            raise ReviewError(400, "Vælg godkend eller afvis.")
    except Conflict:
        session.rollback()
        raise ReviewError(409, STALE) from None
    except NotFound:
        session.rollback()
        raise ReviewError(409, "Der er ingen foreslået ændring at tage stilling til (en anden har måske gjort det).") from None
    return RedirectResponse(draft_url(draft_id, query), status_code=303)


@router.post("/drafts/{draft_id}/keep-both")
async def keep_both(request: Request, draft_id: int, user: User = Depends(current_user),
                    session: Session = Depends(db)) -> Response:
    form = await checked_form(request)
    try:
        repo.keep_both(session, draft_id, actor=user.name, expected_version=_version(form))
    except Conflict:
        session.rollback()
        raise ReviewError(409, STALE) from None
    except NotFound:
        raise ReviewError(409, "Kladden er ikke markeret som mulig dublet.") from None
    flash(request, f"Kladde {draft_id} er et arrangement for sig; markeringen som mulig dublet er fjernet.")
    return RedirectResponse(draft_url(draft_id, form_query(form)), status_code=303)


@router.get("/set-aside")
def set_aside_page(request: Request, closed: bool = False, user: User = Depends(current_user),
                   session: Session = Depends(db)) -> Response:
    rows = repo.set_aside(session, closed=closed)
    return render(request, "set_aside.html", {"messages": rows, "closed": closed})


@router.post("/messages/{message_id}/as-event")
async def read_as_event(request: Request, message_id: int, user: User = Depends(current_user),
                        session: Session = Depends(db)) -> Response:
    await checked_form(request)
    message = get_or_404(session, Message, message_id, "mail")
    outcome = reader_of(request)(session, message, as_event=True)
    drafts = drafts_of(session, [message_id])[message_id]
    if outcome != "queued" or not drafts:
        flash(request, "Mailen kunne ikke læses som et arrangement: " + (message.error or "se mailen."))
        return RedirectResponse("/set-aside", status_code=303)
    flash(request, f"Mailen er læst som et arrangement: {len(drafts)} kladde{'r' if len(drafts) != 1 else ''} i køen. "
                   "Tjek felterne, før du godkender.")
    return RedirectResponse(f"/drafts/{drafts[0]}", status_code=303)


@router.post("/messages/{message_id}/close")
async def close(request: Request, message_id: int, user: User = Depends(current_user),
                session: Session = Depends(db)) -> Response:
    await checked_form(request)
    try:
        repo.close_set_aside(session, message_id, actor=user.name)
    except NotFound:
        raise ReviewError(404, f"Mail nummer {message_id} er ikke sat til side.") from None
    flash(request, f"Mail {message_id} er lukket. Den ligger under \u201dLukkede\u201d.")
    return RedirectResponse("/set-aside", status_code=303)
