"""The mails' area: mails that could not be read ("Læs igen"), and any stored mail in full."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from review.deps import checked_form, current_user, db, flash, reader_of, render
from review.queries import mail_view
from review.views import get_or_404
from store import Message, MessageStatus, User

router = APIRouter()
MAX_RAW_SHOWN = 200_000


@router.get("/failed")
def failed_page(request: Request, user: User = Depends(current_user), session: Session = Depends(db)) -> Response:
    rows = session.exec(select(Message).where(Message.status == MessageStatus.FAILED).order_by(col(Message.id).desc())).all()
    return render(request, "failed.html", {"messages": rows})


@router.get("/messages/{message_id}")
def message_page(request: Request, message_id: int, user: User = Depends(current_user),
                 session: Session = Depends(db)) -> Response:
    message = get_or_404(session, Message, message_id, "mail")
    raw_text = (message.raw or b"")[:MAX_RAW_SHOWN].decode("utf-8", "replace")
    return render(request, "message.html", {"message": message, "mail": mail_view(message), "raw_text": raw_text,
                                            "raw_cut": len(message.raw or b"") > MAX_RAW_SHOWN})


@router.post("/messages/{message_id}/retry")
async def retry_message(request: Request, message_id: int, user: User = Depends(current_user),
                        session: Session = Depends(db)) -> Response:
    await checked_form(request)
    message = get_or_404(session, Message, message_id, "mail")
    outcome = reader_of(request)(session, message)
    flash(request, {"queued": "Mailen er læst igen, og kladderne er i køen.", "not_event": "Mailen er læst igen: "
                    "den indeholder ikke et arrangement.", "failed": "Mailen kunne stadig ikke læses."}.get(
                        outcome, "Mailen er læst igen."))
    return RedirectResponse("/failed" if outcome == "failed" else "/", status_code=303)
