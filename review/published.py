""""Kassér ændringen", the decision only a published event with an unapproved edit has (issue 17): the
change is thrown away, and the published version stays exactly as it is (same SEQUENCE, nothing new
for subscribers). History: "change_discarded". Withdrawing a published event is one of the draft
page's decisions (review/views.py), asked for confirmation and undoable like the others.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from review.deps import ReviewError, checked_form, current_user, db, flash
from store import Conflict, Draft, User
from store.publishing import NotPublished, discard_changes

router = APIRouter()
STALE = "En anden har ændret kladden, mens du arbejdede. Intet er ændret: se den nye version, og prøv igen."


def _draft(session: Session, draft_id: int) -> Draft:
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise ReviewError(404, f"Der er ingen kladde nummer {draft_id}.")
    return draft


def _version(form: dict[str, str]) -> int:
    try:
        return int(form.get("version", ""))
    except ValueError:
        raise ReviewError(400, "Formularen mangler kladdens version. Genindlæs siden.") from None


@router.post("/drafts/{draft_id}/discard")
async def discard(request: Request, draft_id: int, user: User = Depends(current_user),
                  session: Session = Depends(db)) -> Response:
    form = await checked_form(request)
    _draft(session, draft_id)
    try:
        discard_changes(session, draft_id, actor=user.name, expected_version=_version(form))
    except NotPublished:
        raise ReviewError(409, "Der er ingen ændring at kassere: kladden er ikke et offentliggjort arrangement "
                               "med en ikke-godkendt ændring.") from None
    except Conflict:
        session.rollback()
        raise ReviewError(409, STALE) from None
    flash(request, "Ændringen er kasseret. Den offentliggjorte version står uændret i programmet og kalenderne.")
    return RedirectResponse(f"/drafts/{draft_id}", status_code=303)
