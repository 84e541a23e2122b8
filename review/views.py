"""The drafts' area: a draft beside its mail, saving, and the decisions (approve, reject, not an event,
merge, withdraw), each reversible for a while ("Fortryd", in the queue's area).

One order everywhere: a draft page carries the queue's query (`?status=…&q=…`), and "forrige",
"næste", j/k and the page after a decision follow the list as sorted and filtered there.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from core import danish
from review.deps import FIELD_LABELS, ReviewError, checked_form, current_user, db, flash, render
from review.forms import TIME_FIELDS, TIME_LABELS, check_draft, read_time
from review.mailview import evidence_sources, marked_text
from review.queries import (QueueQuery, after_decision, attention_context, mail_view, near_duplicates,
                            needs_attention, neighbours, order, queue)
from store import Conflict, Draft, DraftStatus, Message, User, repo
from store.decisions import Refusal, confirm_fields, decide

router = APIRouter()
FORM_FIELDS = ("title", "start", "end", "place", "registration_deadline", "registration", "organizer", "audience")
EDITABLE = (*FORM_FIELDS, "all_day", "online", "description")
# action -> (status, history verb, what the message after it says)
DECISIONS = {
    "approve": (DraftStatus.APPROVED, "approved", "er godkendt"),
    "reject": (DraftStatus.REJECTED, "rejected", "er afvist"),
    "not_event": (DraftStatus.NOT_EVENT, "not_event", "er markeret som ikke et arrangement"),
    "withdraw": (DraftStatus.WITHDRAWN, "withdrawn", "er trukket tilbage: kalenderne får besked om aflysningen"),
}
CONFLICT = ("En anden har gemt kladden, mens du arbejdede. Intet er overskrevet: herunder står det, du skrev, og "
            "ved hvert felt den anden persons version. Ret til, og gem igen.")
MAX_MERGE_CHOICES = 50
PUBLISHED_NOT_REJECTED = ("Arrangementet er offentliggjort og kan ikke afvises: kassér ændringen for at beholde den "
                          "offentliggjorte version, eller træk det tilbage for at aflyse det.")


def get_or_404(session: Session, model: type, key: int, noun: str) -> Any:
    row = session.get(model, key)
    if row is None:
        raise ReviewError(404, f"Der er ingen {noun} nummer {key}.")
    return row


def event_year(draft: Draft, message: Message | None) -> int:
    """The year a date typed without one is in: the event's, else the year the mail was sent."""
    if draft.start and draft.start[:4].isdigit():
        return int(draft.start[:4])
    if message is not None and message.sent_at:
        return message.sent_at.astimezone(danish.DANISH_ZONE).year
    return date.today().year


def stored_values(draft: Draft) -> dict[str, Any]:
    """A draft's fields as the form shows them: times as a reviewer types them, never ISO."""
    values = {name: getattr(draft, name) for name in EDITABLE}
    values.update({name: danish.typed(values[name]) for name in TIME_FIELDS})
    return values


def readings_of(draft: Draft) -> dict[str, str]:
    """Each time field read back in words, with its weekday."""
    return {name: (danish.deadline(value) if name == "registration_deadline" else danish.when(value))
            for name in TIME_FIELDS if (value := getattr(draft, name))}


def queue_ids(request: Request, session: Session, query: QueueQuery) -> list[int]:
    return order(queue(session, query, event_week=request.app.state.settings.review.event_week, reasons=False))


def draft_context(request: Request, session: Session, draft: Draft, query: QueueQuery, *,
                  values: dict[str, Any] | None = None, readings: dict[str, str] | None = None,
                  errors: dict[str, str] | None = None, conflict: str | None = None,
                  theirs: dict[str, Any] | None = None, version: int | None = None,
                  note: str | None = None) -> dict[str, Any]:
    message = session.get(Message, draft.message_pk)
    mail = mail_view(message)
    previous, following = neighbours(queue_ids(request, session, query), draft.id)
    context = attention_context(session, [draft], request.app.state.settings.review.event_week)
    history = repo.history(session, draft.id)
    evidence = draft.evidence or {}
    return {
        "draft": draft, "message": message, "query": query, "version": version or draft.version, "evidence": evidence,
        "values": values if values is not None else stored_values(draft),
        "readings": readings if readings is not None else readings_of(draft),
        "errors": errors or {}, "conflict": conflict, "theirs": theirs or {}, "note": note,
        "attention": needs_attention(draft, message, context), "checked": context.checked.get(draft.id, set()),
        "text": marked_text(mail.text, evidence, FIELD_LABELS) if mail.text is not None else None,
        "sources": evidence_sources(evidence, mail, message, history),
        "html": mail.html, "attachments": mail.attachments, "mail_readable": mail.readable,
        "history": history, "previous": previous, "next": following,
        "others": merge_choices(session, draft),
        "duplicate": session.get(Draft, draft.duplicate_of) if draft.duplicate_of else None,
        "change_message": session.get(Message, draft.pending_change.get("from_message")) if draft.pending_change else None,
    }


def merge_choices(session: Session, draft: Draft) -> list[Draft]:
    """What a draft may be merged into: look-alikes and drafts on the same day first (a bounded list)."""
    if not draft.start:
        return []
    same_day = session.exec(select(Draft).where(Draft.id != draft.id, col(Draft.status).in_(
        [DraftStatus.PENDING, DraftStatus.APPROVED]), col(Draft.start).startswith(draft.start[:10]))
        .order_by(col(Draft.id)).limit(MAX_MERGE_CHOICES)).all()
    alike = set(near_duplicates([draft, *same_day]).get(draft.id, []))
    return sorted(same_day, key=lambda d: (d.id not in alike and d.id != draft.duplicate_of, d.id))


def page_query(request: Request) -> QueueQuery:
    return QueueQuery.from_params(request.query_params)


def form_query(form: dict[str, str]) -> QueueQuery:
    return QueueQuery.from_params(dict(parse_qsl(form.get("queue", ""))))


def draft_url(draft_id: int | None, query: QueueQuery) -> str:
    params = query.params()
    if draft_id is None:
        return "/" + (f"?{params}" if params else "")
    return f"/drafts/{draft_id}" + (f"?{params}" if params else "")


@router.get("/drafts/{draft_id}")
def draft_page(request: Request, draft_id: int, user: User = Depends(current_user),
               session: Session = Depends(db)) -> Response:
    draft = get_or_404(session, Draft, draft_id, "kladde")
    return render(request, "draft.html", draft_context(request, session, draft, page_query(request)))


def resumed_draft_page(request: Request, session: Session, user: User, draft_id: int,
                       fields: dict[str, str]) -> Response:
    """After logging in again: the draft page with the form as it was typed when the session ended (not saved)."""
    draft = get_or_404(session, Draft, draft_id, "kladde")
    try:
        version = int(fields.get("version", ""))
    except ValueError:
        version = draft.version
    values = {name: fields.get(name, "") for name in EDITABLE}
    note = ("Du var blevet logget ud, så det du skrev, er ikke gemt endnu. Her er det igen: se det efter, og gem.")
    return render(request, "draft.html", draft_context(request, session, draft, form_query(fields), values=values,
                                                       version=version, note=note))


@router.get("/drafts/{draft_id}/read")
def read_typed_time(request: Request, draft_id: int, field: str = "start", text: str = "",
                    user: User = Depends(current_user), session: Session = Depends(db)) -> Response:
    """How a typed time reads ("tirsdag den 27. oktober 2026 kl. 09.00"), or why not: shown while typing."""
    draft = get_or_404(session, Draft, draft_id, "kladde")
    if field not in TIME_FIELDS:
        raise ReviewError(400, "Ukendt felt.")
    reading = read_time(text, year=event_year(draft, session.get(Message, draft.message_pk)), label=TIME_LABELS[field])
    shown = danish.deadline(reading.value) if field == "registration_deadline" and reading.value else reading.shown
    return JSONResponse({"shown": shown, "error": reading.error, "value": reading.value, "end": reading.end})


@router.post("/drafts/{draft_id}")
async def save_draft(request: Request, draft_id: int, user: User = Depends(current_user),
                     session: Session = Depends(db)) -> Response:
    form = await checked_form(request)
    draft = get_or_404(session, Draft, draft_id, "kladde")
    query = form_query(form)
    action = form.get("action", "save")
    if action not in (*DECISIONS, "merge"):
        action = "save"
    try:
        version = int(form.get("version", ""))
    except ValueError:
        raise ReviewError(400, "Formularen mangler kladdens version. Genindlæs siden.") from None
    message = session.get(Message, draft.message_pk)
    if action == "withdraw" and form.get("confirm") != "ja":
        return render(request, "confirm_withdraw.html", {"draft": draft, "version": version, "query": query})
    if action == "reject" and not form.get("reason", "").strip():
        return render(request, "draft.html", draft_context(
            request, session, draft, query, errors={"reason": "Skriv en begrundelse for afvisningen."}), status=422)
    checked = check_draft(form, year=event_year(draft, message)) if action in ("save", "approve") else None
    if checked is not None and not checked.ok:
        return render(request, "draft.html", draft_context(request, session, draft, query, values=_typed(form, checked),
                                                           readings=checked.readings, errors=checked.errors,
                                                           version=version), status=422)
    ids = queue_ids(request, session, query)  # the list as it stands, before the decision moves the draft out of it
    if action == "save":
        try:
            repo.update_draft(session, draft_id, actor=user.name, action="edited", expected_version=version,
                              values=checked.values if checked else None)
        except Conflict:
            session.rollback()
            return conflict_page(request, session, draft_id, query, form, checked)
        confirm_fields(session, draft_id, {name: checked.values.get(name) for name in FIELD_LABELS
                                           if form.get(f"checked_{name}") == "on" and name in checked.values}
                       if checked else {}, actor=user.name)
        flash(request, "Ændringerne er gemt.")
        return RedirectResponse(draft_url(draft_id, query), status_code=303)
    merge_into = None
    if action == "merge":
        merge_into = int(form.get("merge_into") or 0) if (form.get("merge_into") or "").isdigit() else 0
        if merge_into == draft_id or session.get(Draft, merge_into) is None:
            raise ReviewError(400, "Vælg den kladde, den skal slås sammen med.")
        status, verb, done_text = DraftStatus.MERGED, "merged", f"er slået sammen med kladde {merge_into}"
        note = f"slået sammen med kladde {merge_into}"
    else:
        status, verb, done_text = DECISIONS[action]
        note = form.get("reason", "").strip() or None
    title = draft.title or "(uden titel)"
    result = decide(session, [(draft_id, version)], actor=user.name, action=verb, status=status, note=note,
                    values=checked.values if action == "approve" and checked else None, duplicate_of=merge_into)
    if result.refused.get(draft_id) == Refusal.CHANGED:
        return conflict_page(request, session, draft_id, query, form, checked)
    if result.refused.get(draft_id) == Refusal.PUBLISHED:
        fresh = session.get(Draft, draft_id)
        return render(request, "draft.html", draft_context(request, session, fresh, query, conflict=PUBLISHED_NOT_REJECTED),
                      status=422)
    flash(request, f"Kladde {draft_id} \u201d{title}\u201d {done_text}.")
    return RedirectResponse(draft_url(after_decision(ids, [draft_id]), query), status_code=303)


def _typed(form: dict[str, str], checked: Any) -> dict[str, Any]:
    """The form as typed (so an invalid value stays), with the checkboxes as they were ticked."""
    values = {name: form.get(name, "") for name in EDITABLE}
    values.update(checked.typed)
    values.update(all_day=checked.values["all_day"], online=checked.values["online"])
    return values


def conflict_page(request: Request, session: Session, draft_id: int, query: QueueQuery, form: dict[str, str],
                  checked: Any) -> Response:
    """Two reviewers saved the same draft: mine stays in the form, theirs is shown beside each field it changed."""
    fresh = session.get(Draft, draft_id)
    session.refresh(fresh)
    mine = _typed(form, checked) if checked is not None else stored_values(fresh)
    theirs_values = stored_values(fresh)
    theirs = {name: theirs_values[name] for name in EDITABLE if str(theirs_values[name] or "") != str(mine[name] or "")
              and not (isinstance(theirs_values[name], bool) and bool(theirs_values[name]) == bool(mine[name]))}
    return render(request, "draft.html", draft_context(
        request, session, fresh, query, values=mine, readings=checked.readings if checked else None,
        conflict=CONFLICT, theirs=theirs), status=409)
