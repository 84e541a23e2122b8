"""Mail bytes -> ParsedMail: the extractor's one entry point.

    read(raw)   MIME (mime.py), attachments, the layout and every candidate (candidates.py): no model
    build(...)  the fitted scorer picks events and fields and says how sure it is (decide.py, scoring.py)

`extract` is both. The two halves are apart so that fitting and cross-validation read each mail
once and score it with many models.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.model import Attachment, Event, MailKind, ParsedMail
from parsers.attachments import calendar_events, kind_of, read_attachment
from parsers.classify import machine_kind
from parsers.candidates import ONLINE, PLATFORM, POSTCODE_TOWN, STREET, Analysis, CalendarItem, analyse, has_cue
from parsers.decide import Choice, Decided, decide_events, event_probs, mail_evidence_feats
from parsers.errors import ParseError
from parsers.mime import MimeMail, RawAttachment, read_mime
from parsers.scoring import Model, load_model

MAX_ATTACHMENTS = 20
# fields such a mail normally gives: not found, they are marked missing for the reviewer
EXPECTED = ("title", "start", "place", "organizer")
_OWN_ZONES = ("own", "greeting")


@dataclass
class Reading:
    mime: MimeMail
    html: str | None
    attachments: list[Attachment]
    analysis: Analysis


def extract(raw: bytes, *, tz: str = "Europe/Copenhagen", model: Model | None = None,
            as_event: bool = False) -> ParsedMail:
    """Read one message. Raises ParseError only when there is nothing readable at all.

    `as_event`: a reviewer has said the mail holds an event: its likeliest days are read as events whatever
    its kind seems (the headers' kind too), for the reviewer to check."""
    return build(read(raw, tz=tz, candidates=as_event), model or load_model(), as_event=as_event)


def read(raw: bytes, *, tz: str = "Europe/Copenhagen", candidates: bool = False) -> Reading:
    """MIME, attachments, layout and candidates. Mail whose headers say what it is (a bounce, an auto-reply, a
    list) gets no candidates, unless `candidates` (the fit learns from their dates too: they are no event's)."""
    if not isinstance(raw, (bytes, bytearray)) or not bytes(raw).strip():
        raise ParseError("Mailen er tom.")
    try:
        mime = read_mime(bytes(raw))
    except (RecursionError, MemoryError) as exc:
        raise ParseError(f"Mailens opbygning (MIME) kan ikke læses ({exc.__class__.__name__}).") from exc
    html = "\n".join(mime.html) if mime.html else None
    plain = "\n".join(p for p in mime.plain if p.strip())
    attachments = [read_attachment(a) for a in mime.attachments[:MAX_ATTACHMENTS]]
    if not (plain.strip() or (html or "").strip()) and not mime.subject and not any(a.text for a in attachments):
        raise ParseError("Der er intet at læse i mailen: ingen tekst, intet emne og ingen vedhæftet fil, der kan læses.")
    if mime.date is not None and not 1990 <= mime.date.year <= 2100:
        mime.warnings.append(f"implausible Date header year {mime.date.year}: not used to infer years")
        mime.date = None
    documents: list[str] = []
    calendar: list[CalendarItem] = []
    method = None
    for att in attachments:
        kind = _kind(att)
        if not att.text:
            continue
        if kind == "calendar":
            m = re.search(r"^METHOD:(\w+)", att.text, re.MULTILINE | re.IGNORECASE)
            method = method or (m.group(1).upper() if m else None)
            for ce in calendar_events(att.text, tz)[:MAX_EVENTS_PER_CALENDAR]:
                calendar.append(CalendarItem(ce.summary, ce.start, ce.end, ce.location, ce.description, ce.organizer, ce.url))
        elif kind in ("pdf", "docx"):
            documents.append(att.text)
    headers = dict(mime.headers)
    headers["content-type"] = headers.get("content-type", mime.content_type)
    machine = machine_kind(headers, mime.subject, mime.sender)
    analysis = analyse(mime.subject, html, plain, documents, calendar, method, sender_name=mime.sender_name,
                       sender_address=mime.sender_address, sent=mime.date, headers=headers,
                       layout_only=machine is not None and not candidates)
    return Reading(mime, html, attachments, analysis)


MAX_EVENTS_PER_CALENDAR = 20


def _kind(att: Attachment) -> str | None:
    return kind_of(RawAttachment(att.filename, att.content_type, None, att.size))


def build(reading: Reading, model: Model, *, as_event: bool = False) -> ParsedMail:
    a = reading.analysis
    mime = reading.mime
    probs = event_probs(a, model)
    kind = machine_kind(a.headers, mime.subject, mime.sender)
    decided: list[Decided] = []
    p_event = 1.0
    if as_event:  # a person's word: the mail gives an event; which days, the model says
        groups, decided = decide_events(a, model, probs)
        if not decided and probs:
            groups, decided = decide_events(a, model, probs, threshold=max(probs))
        kind = MailKind.EVENT
    elif kind is None:
        groups, decided = decide_events(a, model, probs)
        kind_feats = {**a.mail_feats, **mail_evidence_feats(a, probs, groups)}
        kinds = model.kind_probs(kind_feats)
        p_event = kinds.get("event", 1.0)
        said = _set_aside_by_words(a, probs, model.thresholds.get("mention_low", 0.2))
        if said is not None:
            p_event = 0.0
        if p_event >= model.thresholds.get("kind_event", 0.5):
            if not decided and probs and max(probs) >= model.thresholds.get("mention_low", 0.2):
                # an event mail whose date is not sure: its likeliest day is the event's, for a reviewer to check
                groups, decided = decide_events(a, model, probs, threshold=max(probs))
            kind = MailKind.EVENT if decided else None
        if kind is None and said is not None:
            kind = said
        if kind is None:
            kinds.pop("event", None)
            best = max(kinds, key=kinds.get) if kinds else "other"
            kind = MailKind(best) if best in {k.value for k in MailKind} and best != "event" else MailKind.OTHER
    # a field is right only if the mail really gives the event: its probability is the field's times the kind's
    events = [_event(d, model, p_event) for d in decided] if kind == MailKind.EVENT else []
    events = _sane(events)
    sources = [a.layout.text] + [att.text for att in reading.attachments if att.text]
    for event in events:
        _anchor_evidence(event, sources)
    parsed = ParsedMail(
        message_id=mime.message_id, subject=mime.subject, sender=mime.sender, sender_address=mime.sender_address,
        date=mime.date, in_reply_to=mime.in_reply_to, references=mime.references, kind=kind, events=events,
        text=a.layout.text, html=reading.html, attachments=reading.attachments, auto_submitted=_machine_mail(mime),
        warnings=mime.warnings,
    )
    thread = mime.in_reply_to or (mime.references[-1] if mime.references else None)
    if a.reply:
        parsed.reply_text = "\n".join(ln.text for ln in a.layout.lines if ln.source == 0 and ln.zone in _OWN_ZONES).strip()
    if kind == MailKind.CANCELLATION and thread:
        parsed.cancels = thread
    if kind == MailKind.EVENT and thread and a.reply and any(
            origin == "quote" for e in events for origin in e.origin.values()):
        parsed.corrects = thread  # the reply's event is the quoted one, as its own words now have it
    return parsed


def _set_aside_by_words(a: Analysis, probs: list[float], low: float) -> MailKind | None:
    """What the author says outright: every date of the mail asked about ("Kan vi mødes tirsdag den 13. oktober?")
    is a question, and a meeting said not to be for the calendar ("skal ikke i kalenderen") is no submission."""
    own = [ln for ln in a.layout.lines if ln.zone in ("own", "greeting") and ln.source == 0]
    if a.calendar_method in ("REPLY", "COUNTER", "DECLINECOUNTER"):
        return MailKind.OTHER  # an invitee's answer to a meeting (RFC 5546), written by the calendar program
    if any(has_cue(ln.text, "not_public") for ln in own):
        return MailKind.OTHER
    threaded = bool(a.headers.get("in-reply-to") or a.headers.get("references")) or a.reply
    own_text = "\n".join(ln.text for ln in own)
    own_dates = [m for p, m in zip(probs, a.mentions) if p >= low and m.line >= 0 and a.layout.lines[m.line].zone == "own"]
    if threaded and has_cue(own_text, "cancel") and not has_cue(own_text, "move") and \
            all(m.feats.get("cue:cancel") for m in own_dates):
        return MailKind.CANCELLATION  # "Vi må desværre aflyse …", and no new date: the earlier event is called off
    dated = [m for m in a.mentions if m.line >= 0 and a.layout.lines[m.line].zone == "own"]
    if dated and not a.calendar and all(m.feats.get("in_question") for m in dated):
        return MailKind.QUESTION
    kept = [m for p, m in zip(probs, dated) if p >= low]
    asks = any("?" in ln.text for ln in own)
    if kept and asks and all(m.feats.get("cue:tentative") for m in kept):
        return MailKind.QUESTION  # "Vi overvejer … måske den 29. oktober. Hvordan kommer vi med?"
    return None


def _event(d: Decided, model: Model, p_event: float) -> Event:
    f = d.fields
    event = Event()
    for name in ("title", "start", "end", "place", "registration_deadline", "registration", "organizer", "audience"):
        choice: Choice = f[name]
        if choice.value is None:
            continue
        setattr(event, name, choice.value)
        confidence = model.scorer(name).calibrated(choice.prob * p_event)
        event.confidence[name] = round(max(0.0, min(1.0, confidence)), 3)
        if choice.evidence:
            event.evidence[name] = choice.evidence
        if choice.origin:
            event.origin[name] = choice.origin
    event.all_day = bool(event.start) and len(event.start) == 10
    event.confidence["all_day"] = event.confidence.get("start", 0.5)
    if event.end and event.start and (event.end < event.start or len(event.end) != len(event.start) and len(event.end) == 10
                                      and event.end[:10] == event.start[:10]):
        for store in (event.confidence, event.evidence, event.origin):
            store.pop("end", None)
        event.end = None
    event.online = bool(f["online"].value)
    if event.online and event.place and not POSTCODE_TOWN.search(event.place) and not STREET.search(event.place):
        platform = PLATFORM.search(event.place)  # "Online via Zoom" is published as the platform, "Zoom"
        if platform:
            event.place = ONLINE["platforms"][platform.group(1).lower()]
    event.confidence["online"] = round(model.scorer("online").calibrated(f["online"].prob * p_event), 3)
    event.origin.setdefault("online", event.origin.get("place", "text"))
    event.missing = [n for n in EXPECTED if getattr(event, n) in (None, "") and not (n == "place" and event.online)]
    return event


def _sane(events: list[Event]) -> list[Event]:
    """No event twice, none outside 1990-2100 (hostile invites say year 1 or 9999)."""
    kept, seen = [], set()
    for event in events:
        year = int(event.start[:4]) if event.start and event.start[:4].isdigit() else 0
        key = ((event.title or "").casefold(), event.start)
        if not 1990 <= year <= 2100 or key in seen:
            continue
        seen.add(key)
        kept.append(event)
    return kept


def _anchor_evidence(event: Event, sources: list[str]) -> None:
    """Each evidence an exact substring of the text shown to reviewers (white space may differ), or none."""
    for name, evidence in list(event.evidence.items()):
        if any(evidence in src for src in sources):
            continue
        pattern = r"\s+".join(re.escape(w) for w in evidence.split())
        found = next((m.group(0) for src in sources if pattern and (m := re.search(pattern, src))), None)
        if found:
            event.evidence[name] = found
        else:
            del event.evidence[name]


def _machine_mail(mime: MimeMail) -> bool:
    """Mail that must never be answered automatically (RFC 3834 and bulk/list headers)."""
    h = mime.headers
    auto = h.get("auto-submitted", "no").strip().lower()
    return (auto not in ("", "no") or "list-unsubscribe" in h or "list-id" in h
            or h.get("precedence", "").lower() in ("bulk", "list", "junk", "auto_reply")
            or "x-autoreply" in h or "x-autorespond" in h)

