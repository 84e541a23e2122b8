"""The decisions: a submission's new events (and which kept drafts they may copy), a reply's proposed
changes to its thread's events, or a reason to set the mail aside.

A reply proposes only what its own new words say (a field whose origin is the author's text), never
what it quotes, forwards or has in its subject: a reply to kontakt's own receipt quotes the receipt,
and that must not become the event. Nothing is decided silently: a possible copy is queued as its own
draft, marked; a change waits for a reviewer; mail with nothing to queue is set aside with the reason.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date, datetime

from core.model import EVENT_FIELDS, DraftRef, Event, KeptDraft, MailKind, Origin, ParsedMail
from triage.known import REPLY_PREFIX, Known, base_subject, norm

SAME_TITLE = 0.85  # titles this alike on the same day may be one event twice
# why a mail that queues nothing was set aside, as the desk shows it
REASONS = {
    MailKind.AUTO_REPLY: "Automatisk svar (fx en fraværsbesked)",
    MailKind.BOUNCE: "Returmail: en mail kunne ikke leveres",
    MailKind.NEWSLETTER: "Nyhedsbrev eller mailingliste",
    MailKind.QUESTION: "Et spørgsmål, ikke et arrangement",
    MailKind.OTHER: "Ingen arrangementer fundet i mailen",
    MailKind.EVENT: "Ingen arrangementer fundet i mailen",
    MailKind.CANCELLATION: "En aflysning, men det aflyste arrangement blev ikke fundet",
}
REPLY_WITHOUT_CHANGE = "Svar på en kendt mail uden ændringer til arrangementet"
CANCEL_WITHOUT_OPEN_EVENT = "En aflysning i en tråd, hvor intet arrangement venter eller er offentliggjort"


@dataclass(frozen=True)
class FieldChange:
    current: object
    proposed: object
    evidence: str


@dataclass(frozen=True)
class ProposedChange:
    """A change to one kept draft, for a reviewer to accept (all or some fields) or dismiss."""

    target: DraftRef
    cancel: bool = False
    fields: dict[str, FieldChange] = field(default_factory=dict)


@dataclass(frozen=True)
class NewEvents:
    """Queue the mail's events as drafts; `duplicate_of[i]` is the kept draft event i may copy."""

    events: list[Event]
    duplicate_of: list[DraftRef | None]
    thread_pk: int | None = None


@dataclass(frozen=True)
class Proposals:
    """A reply in a known thread: changes to its drafts, and any new events it brings."""

    thread_pk: int
    changes: list[ProposedChange]
    new: NewEvents | None = None


@dataclass(frozen=True)
class SetAside:
    reason: str
    thread_pk: int | None = None


Decision = NewEvents | Proposals | SetAside


def decide(parsed: ParsedMail, *, pk: int, known: Known, as_event: bool = False) -> Decision:
    """What this read mail means for what is kept. `as_event`: a reviewer said it is an event."""
    thread = thread_of(parsed, pk, known)
    open_drafts = [d for d in known.open_in_thread(thread) if d.ref[0] != pk] if thread is not None else []
    if open_drafts and not as_event:
        proposals = None
        if parsed.kind in (MailKind.EVENT, MailKind.CANCELLATION):
            proposals = _proposals(parsed, thread, open_drafts, pk, known)  # type: ignore[arg-type]
        if proposals is not None:
            return proposals
        reason = REPLY_WITHOUT_CHANGE if parsed.kind in (MailKind.EVENT, MailKind.OTHER) else REASONS[parsed.kind]
        return SetAside(reason, thread)
    if parsed.kind == MailKind.CANCELLATION and not as_event:
        target = _cancelled_elsewhere(parsed, known)
        if target:
            return Proposals(known.thread_root(target[0][0]), [ProposedChange(d.ref, cancel=True) for d in target])
        return SetAside(CANCEL_WITHOUT_OPEN_EVENT if thread is not None else REASONS[MailKind.CANCELLATION], thread)
    if as_event and not parsed.events:  # a reviewer says it is one: a draft to fill in, with what the mail says
        blank = Event(title=REPLY_PREFIX.sub("", parsed.subject or "").strip() or None,
                      missing=[name for name in EVENT_FIELDS if name not in ("all_day", "online")])
        return NewEvents([blank], [None], thread)
    if parsed.events and (parsed.kind == MailKind.EVENT or as_event):
        return NewEvents(list(parsed.events), [possible_copy(e, parsed, pk, i, known) for i, e in enumerate(parsed.events)],
                         thread)
    return SetAside(REASONS.get(parsed.kind, REASONS[MailKind.OTHER]), thread)


def thread_of(parsed: ParsedMail, pk: int, known: Known) -> int | None:
    """The submission this mail answers: by In-Reply-To/References (to a kept mail or to kontakt's own
    receipt or decision), else a "SV:/Re:" from the same sender with the same subject."""
    for message_id in [parsed.corrects, parsed.cancels, parsed.in_reply_to, *reversed(parsed.references or [])]:
        if not message_id:
            continue
        if message_id in known.own_mail:
            return known.thread_root(known.own_mail[message_id])
        for other in known.by_message_id.get(message_id, []):
            if other != pk:
                return known.thread_root(other)
    if REPLY_PREFIX.match(parsed.subject or "") and parsed.sender_address:
        other = known.by_sender_subject.get((parsed.sender_address.lower(), base_subject(parsed.subject)))
        if other is not None and other != pk:
            return known.thread_root(other)
    return None


def possible_copy(event: Event, parsed: ParsedMail, pk: int, index: int, known: Known) -> DraftRef | None:
    """A kept draft this event may repeat: the same title on the same day, or the draft of another mail
    with the same Message-ID. Only a mark for the reviewer: the event is queued either way."""
    if parsed.message_id:
        for other in known.by_message_id.get(parsed.message_id, []):
            if other == pk:
                continue
            refs = sorted(ref for ref in known.drafts if ref[0] == other)
            if refs:
                return next((ref for ref in refs if ref[1] == index), refs[0])
    start = event.start if isinstance(event.start, str) else None
    if not start or not event.title:
        return None
    title = norm(event.title)
    for other, ref in sorted(set(known.look_alikes(start[:10], title)), key=lambda found: found[1]):
        if ref[0] == pk or ref not in known.drafts:
            continue
        if other == title or alike(other, title):
            return ref
    return None


def alike(a: str, b: str) -> bool:
    """Titles this alike may be one event twice (cheap bounds first: most pairs end there). Titles that
    close share most of their words, so fewer shared words than that rule a pair out at once."""
    words_a, words_b = set(a.split()), set(b.split())
    if 5 * len(words_a & words_b) < 3 * min(len(words_a), len(words_b)):
        return False
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return (matcher.real_quick_ratio() >= SAME_TITLE and matcher.quick_ratio() >= SAME_TITLE
            and matcher.ratio() >= SAME_TITLE)


def _proposals(parsed: ParsedMail, thread: int, drafts: list[KeptDraft], pk: int, known: Known) -> Proposals | None:
    if parsed.kind == MailKind.CANCELLATION:
        named = _named(parsed, drafts)
        return Proposals(thread, [ProposedChange(d.ref, cancel=True) for d in (named or drafts)])
    changes, new_events = [], []
    for index, event in enumerate(parsed.events):
        target = match(event, drafts)
        if target is None:
            if _own(event, "title", parsed):
                new_events.append((index, event))  # an event the thread did not have yet
            continue
        fields = changed_fields(event, target, parsed)
        if fields:
            changes.append(ProposedChange(target.ref, fields=fields))
    new = None
    if new_events:
        new = NewEvents([e for _, e in new_events], [possible_copy(e, parsed, pk, i, known) for i, e in new_events], thread)
    if not changes and new is None:
        return None
    return Proposals(thread, changes, new)


def match(event: Event, drafts: list[KeptDraft]) -> KeptDraft | None:
    """The draft of the thread an event of the reply speaks of: the only one, the same title, or the same day."""
    if len(drafts) == 1:
        return drafts[0]
    title = norm(event.title)
    by_title = [d for d in drafts if title and norm(str(d.fields.get("title") or "")) == title]
    if len(by_title) == 1:
        return by_title[0]
    day = event.start[:10] if isinstance(event.start, str) else None
    by_day = [d for d in drafts if day and str(d.fields.get("start") or "")[:10] == day]
    return by_day[0] if len(by_day) == 1 else None


def changed_fields(event: Event, draft: KeptDraft, parsed: ParsedMail) -> dict[str, FieldChange]:
    """The fields the reply's own words give, where they differ from the draft's current values."""
    out: dict[str, FieldChange] = {}
    for name in EVENT_FIELDS:
        if name == "all_day" or not _own(event, name, parsed):
            continue
        proposed, current = getattr(event, name), draft.fields.get(name)
        if proposed in (None, "") or _same(name, current, proposed):
            continue
        out[name] = FieldChange(current, proposed, event.evidence.get(name, ""))
    _keep_times_together(event, draft, out)
    return out


def _keep_times_together(event: Event, draft: KeptDraft, out: dict[str, FieldChange]) -> None:
    """A start moved (to another day or hour) moves the end by as much, keeping the event's length, unless
    the reply gives the end itself; a timed start where the draft was all day (or the other way) changes
    all_day with it."""
    start = out.get("start")
    if start is None:
        return
    current_start, current_end = draft.fields.get("start"), draft.fields.get("end")
    if "end" not in out and isinstance(current_end, str) and isinstance(current_start, str):
        moved = _moved(current_end, current_start, str(start.proposed))
        if moved and moved != current_end:
            out["end"] = FieldChange(current_end, moved, start.evidence)
    all_day = len(str(start.proposed)) == 10
    if bool(draft.fields.get("all_day")) != all_day:
        out["all_day"] = FieldChange(draft.fields.get("all_day"), all_day, start.evidence)


def _moved(end: str, old_start: str, new_start: str) -> str | None:
    try:
        if len(end) > 10 and len(old_start) > 10 and len(new_start) > 10:  # timed: keep the length
            moved = datetime.fromisoformat(end) + (datetime.fromisoformat(new_start) - datetime.fromisoformat(old_start))
            return moved.strftime("%Y-%m-%dT%H:%M")
        delta = date.fromisoformat(new_start[:10]) - date.fromisoformat(old_start[:10])
        return (date.fromisoformat(end[:10]) + delta).isoformat() + end[10:]
    except ValueError:
        return None


def _own(event: Event, name: str, parsed: ParsedMail) -> bool:
    """The value comes from the reply's own words (not its quote, subject or signature), and they can be shown:
    a change is proposed with the sentence it came from, or not at all."""
    origin = event.origin.get(name)
    if origin is not None:
        return origin == Origin.TEXT and bool(event.evidence.get(name))
    evidence = event.evidence.get(name)  # a reader that gives no origin: the evidence must stand in the new words
    return bool(evidence and parsed.reply_text and evidence in parsed.reply_text)


def _same(name: str, current: object, proposed: object) -> bool:
    if name in ("start", "end", "registration_deadline"):
        return _when(current) == _when(proposed)
    if isinstance(proposed, bool) or isinstance(current, bool):
        return bool(current) == bool(proposed)
    a, b = norm(str(current or "")), norm(str(proposed or ""))
    return a == b or (name == "place" and bool(b) and b in a)  # "Store Sal" said again of "Store Sal, Vej 1"


def _when(value: object) -> str:
    text = str(value or "")
    try:
        return datetime.fromisoformat(text).strftime("%Y-%m-%dT%H:%M") if len(text) > 10 else text
    except ValueError:
        return text


def names(text: str, title: object) -> bool:
    """The text names the title: each of its longer words stands in the text, inflected or not
    ("morgenmødet om trivsel" names "Morgenmøde om trivsel")."""
    words = [w for w in norm(str(title or "")).split() if len(w) >= 4]
    said = norm(text).split()
    return bool(words) and all(any(w.startswith(word) for w in said) for word in words)


def _named(parsed: ParsedMail, drafts: list[KeptDraft]) -> list[KeptDraft]:
    """The drafts whose title the mail names, when it names some of several."""
    if len(drafts) < 2:
        return drafts
    text = (parsed.reply_text or parsed.text or "") + " " + (parsed.subject or "")
    return [d for d in drafts if names(text, d.fields.get("title"))]


def _cancelled_elsewhere(parsed: ParsedMail, known: Known) -> list[KeptDraft]:
    """A cancellation outside any thread: the sender's open drafts whose title it names."""
    sender = (parsed.sender_address or "").lower()
    text = (parsed.text or "") + " " + (parsed.subject or "")
    return [d for d in known.drafts.values() if sender and (d.sender_address or "").lower() == sender
            and names(text, d.fields.get("title"))]
