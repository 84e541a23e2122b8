"""The questions the desk's pages ask of the store: a mail as shown, the queue (its one order,
search and filters), its counts, and what needs attention.

One order everywhere: the list, "forrige"/"næste", j/k and the page after a decision all come from
`queue(session, query)` for the same `QueueQuery`, which lives in the URL.
"""

from __future__ import annotations

import difflib
import json
import re
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from core import danish
from core.model import Attachment
from core.own_mail import SUBJECT_PREFIXES
from review.deps import FIELD_LABELS, LOW_CONFIDENCE, STATUS_LABELS
from review.forms import draft_problems
from store import Draft, DraftChange, DraftStatus, Message, MessageStatus
from store.repo import OPEN
from store.work import PIPELINE_ACTOR

_PATTERNS = json.loads((Path(__file__).parent / "patterns" / "attention.json").read_text(encoding="utf-8"))
GREETING_TITLES = sorted(_PATTERNS["greeting_titles"], key=len, reverse=True)
OWN_SUBJECTS = tuple(f"{prefix}:".casefold() for prefix in SUBJECT_PREFIXES)
REPLY_PREFIX = re.compile(r"^(?:\s*(?:" + "|".join(map(re.escape, _PATTERNS["reply_prefixes"])) + r")\s*:\s*)+",
                          re.IGNORECASE)
NEAR_DUPLICATE_RATIO = 0.8  # titles this alike on the same day may be one event sent twice
NEIGHBOURHOOD = 4  # how many sorted neighbours each title is compared with
MAX_SEARCH_TEXT = 200_000


# --- a mail as the desk shows it -----------------------------------------------------------------

@dataclass(frozen=True)
class MailView:
    """What the desk shows of a stored mail: its text (evidence points into it), sanitised HTML, attachments."""

    text: str | None = None
    html: str = ""  # sanitised, for a sandboxed frame
    attachments: Sequence[Attachment] = ()
    readable: bool = True


def mail_view(message: Message | None) -> MailView:
    """The one way a page gets a mail's text, HTML and attachments: what intake kept when it read the mail
    (the text the evidence points into, the HTML already sanitised, the attachment list). A page view never
    reads the raw mail again, so a 5 MB mail opens as fast as any."""
    if message is None or message.body_text is None:  # not read (failed), or read before kontakt kept the text
        return MailView(readable=False)
    attachments = tuple(Attachment(filename=a.get("filename"), content_type=str(a.get("content_type") or ""),
                                   size=int(a.get("size") or 0), note=a.get("note"))
                        for a in (message.attachments or []) if isinstance(a, dict))
    return MailView(text=message.body_text, html=message.body_html or "", attachments=attachments)


_SEARCH_TEXTS: OrderedDict[str, str] = OrderedDict()  # sha256 -> text: a stored mail never changes
SEARCH_CACHE_SIZE = 5000


def searchable_text(session: Session, message: Message) -> str:
    """A mail's body text for the queue's search: the text kept at intake, cached per mail."""
    text = _SEARCH_TEXTS.get(message.sha256)
    if text is None:
        text = (session.scalar(select(Message.body_text).where(Message.id == message.id)) or "")[:MAX_SEARCH_TEXT]
        _SEARCH_TEXTS[message.sha256] = text
        if len(_SEARCH_TEXTS) > SEARCH_CACHE_SIZE:
            _SEARCH_TEXTS.popitem(last=False)
    return text


# --- the queue's query, in the URL ---------------------------------------------------------------

ONLINE_CHOICES = {"": "alle", "ja": "online eller hybrid", "nej": "kun fysisk"}
SORTS = {"mail": "nyeste mail først", "event": "første arrangement først"}


@dataclass(frozen=True)
class QueueQuery:
    """The queue as sorted and filtered: `?status=…&q=…&fra=…&til=…&arrangør=…&online=…&opmærksomhed=1&sort=…`."""

    status: str = "pending"  # a DraftStatus, or "all"
    q: str = ""
    date_from: str = ""  # YYYY-MM-DD (a date picker's value)
    date_to: str = ""
    organizer: str = ""
    online: str = ""  # "", "ja", "nej"
    attention: bool = False
    sort: str = "mail"

    PARAMS = {"status": "status", "q": "q", "date_from": "fra", "date_to": "til", "organizer": "arrangoer",
              "online": "online", "attention": "opmaerksomhed", "sort": "sort"}

    @classmethod
    def from_params(cls, params: Any) -> "QueueQuery":
        get = lambda name: str(params.get(cls.PARAMS[name], "") or "").strip()[:200]  # noqa: E731
        status = get("status") or "pending"
        return cls(status=status if status in STATUS_LABELS or status == "all" else "pending", q=get("q"),
                   date_from=_iso_day(get("date_from")), date_to=_iso_day(get("date_to")), organizer=get("organizer"),
                   online=get("online") if get("online") in ONLINE_CHOICES else "",
                   attention=get("attention") in ("1", "true", "on", "ja"),
                   sort=get("sort") if get("sort") in SORTS else "mail")

    def params(self, **changes: Any) -> str:
        """The query string (without "?") for this query with `changes`; defaults left out."""
        query, default = replace(self, **changes), QueueQuery()
        pairs = [(self.PARAMS[f.name], "1" if getattr(query, f.name) is True else getattr(query, f.name))
                 for f in fields(self) if getattr(query, f.name) != getattr(default, f.name)]
        return urlencode(pairs)

    @property
    def filtered(self) -> bool:
        return bool(self.q or self.date_from or self.date_to or self.organizer or self.online or self.attention)


def _iso_day(value: str) -> str:
    try:
        return date.fromisoformat(value).isoformat() if value else ""
    except ValueError:
        return ""


# --- what needs attention ------------------------------------------------------------------------

@dataclass
class AttentionContext:
    """What the flags need beyond the draft itself, gathered once for a page."""

    event_week: int = 44
    near_duplicates: dict[int, list[int]] = field(default_factory=dict)  # draft id -> look-alike drafts
    checked: dict[int, set[str]] = field(default_factory=dict)  # draft id -> fields a person confirmed or set


def needs_attention(draft: Draft, message: Message | None, context: AttentionContext | None = None) -> list[str]:
    """Why a person should look twice at this draft, in Danish; empty when nothing stands out.
    (The lead's pending changes from replies add their reason here too.)"""
    context = context or AttentionContext()
    reasons = []
    checked = context.checked.get(draft.id or 0, set())
    low = [FIELD_LABELS.get(k, k) for k, v in (draft.confidence or {}).items()
           if v < LOW_CONFIDENCE and k not in checked and k in FIELD_LABELS]
    if low:
        reasons.append("usikre felter: " + ", ".join(low))
    missing = [FIELD_LABELS[name] for name in ("title", "start") if not getattr(draft, name)]
    if not draft.place and not draft.online:
        missing.append(FIELD_LABELS["place"])
    if missing:
        reasons.append("mangler: " + ", ".join(missing))
    reasons.extend(_date_reasons(draft, message, context.event_week))
    if draft.title and _is_greeting(draft.title):
        reasons.append("titlen er en hilsen")
    if draft.title and _is_own_subject(draft.title):
        reasons.append("titlen er kontakts egen emnelinje")
    problems = {name: text for name, text in draft_problems(draft_values(draft)).items() if name not in ("title", "start")}
    if problems:
        reasons.append("kan ikke godkendes: " + " ".join(problems.values()))
    if draft.duplicate_of:
        reasons.append(f"mulig dublet af kladde {draft.duplicate_of}")
    for other in context.near_duplicates.get(draft.id or 0, []):
        if other != draft.duplicate_of:
            reasons.append(f"ligner kladde {other}")
    if draft.changed_by_reply:
        reasons.append("ændret af svar")
    if getattr(draft, "pending_change", None):
        reasons.append("en ændring venter")
    if message is not None and message.status == MessageStatus.FAILED:
        reasons.append("fejl ved læsning")
    return reasons


def draft_values(draft: Draft) -> dict[str, Any]:
    return {name: getattr(draft, name) for name in ("title", "start", "end", "all_day", "place", "online",
                                                    "registration_deadline", "registration", "organizer",
                                                    "audience", "description")}


def _date_reasons(draft: Draft, message: Message | None, event_week: int) -> list[str]:
    reasons = []
    days = {name: danish.parse_wall(getattr(draft, name)) for name in ("start", "end", "registration_deadline")}
    for name in ("start", "end"):
        parsed = days[name]
        if parsed and parsed[0].isocalendar().week != event_week:
            reasons.append(f"{FIELD_LABELS[name].lower()} ligger uden for uge {event_week}")
    sent = message.sent_at.astimezone(danish.DANISH_ZONE).date() if message is not None and message.sent_at else None
    if sent is not None:
        early = [FIELD_LABELS[n].lower() for n, parsed in days.items() if parsed and parsed[0] < sent]
        if early:
            reasons.append(", ".join(early) + " ligger før mailen blev sendt")
    return reasons


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def _is_greeting(title: str) -> bool:
    """"Hej", "Kære alle", "Vh Jens Peter": a greeting or closing and at most a name after it."""
    words = _normal(title)
    for phrase in GREETING_TITLES:
        if words == phrase or (words.startswith(phrase + " ") and len(words[len(phrase):].split()) <= 3
                               and ":" not in title):
            return True
    return False


def _is_own_subject(title: str) -> bool:
    return REPLY_PREFIX.sub("", title).strip().casefold().startswith(OWN_SUBJECTS)


def near_duplicates(drafts: Iterable[Draft]) -> dict[int, list[int]]:
    """Open drafts of other mails on the same day whose titles are nearly the same.

    Titles are compared with their neighbours only (sorted as written, and by their sorted words), a few on
    each side: near-identical titles sort together, and a season of thousands stays a few milliseconds."""
    by_day: dict[str, list[tuple[int, int, str]]] = defaultdict(list)  # day -> (id, message, title)
    for d in drafts:
        if d.start and d.title and d.status in OPEN:
            by_day[d.start[:10]].append((d.id, d.message_pk, _normal(d.title)))
    found: dict[int, set[int]] = defaultdict(set)
    for group in by_day.values():
        for key in (lambda t: t[2], lambda t: " ".join(sorted(t[2].split()))):
            ordered = sorted(group, key=key)
            for i, (a_id, a_mail, a_title) in enumerate(ordered):
                for b_id, b_mail, b_title in ordered[i + 1:i + 1 + NEIGHBOURHOOD]:
                    if a_mail != b_mail and b_id not in found[a_id] and _alike(a_title, b_title):
                        found[a_id].add(b_id)
                        found[b_id].add(a_id)
    return {k: sorted(v) for k, v in found.items() if v}


def _alike(a: str, b: str) -> bool:
    words_a, words_b = set(a.split()), set(b.split())
    if len(words_a & words_b) * 2 < len(words_a | words_b):  # fewer than half the words shared: not the same title
        return False
    matcher = difflib.SequenceMatcher(None, a, b)
    return (matcher.real_quick_ratio() >= NEAR_DUPLICATE_RATIO and matcher.quick_ratio() >= NEAR_DUPLICATE_RATIO
            and matcher.ratio() >= NEAR_DUPLICATE_RATIO)


def checked_fields(draft: Draft, history: Iterable[DraftChange]) -> set[str]:
    """The fields a person has confirmed or set and that still hold that value (a reply's change lapses it);
    an approved version counts as confirmed for each field it still has."""
    confirmed: dict[str, Any] = {}
    for change in history:
        if change.actor == PIPELINE_ACTOR:
            continue
        for name, pair in (change.changes or {}).items():
            if name in FIELD_LABELS and isinstance(pair, list) and len(pair) == 2:
                confirmed[name] = pair[1]
    if draft.published and draft.reviewed_by:
        for name, value in draft.published.items():
            confirmed.setdefault(name, value)
    return {name for name, value in confirmed.items() if getattr(draft, name, None) == value}


def attention_context(session: Session, drafts: Sequence[Draft], event_week: int) -> AttentionContext:
    """The flags' context for these drafts: look-alikes among all open drafts, and what people checked."""
    others = session.exec(select(Draft).where(col(Draft.status).in_(OPEN))).all()
    by_id = {d.id: d for d in [*others, *drafts]}
    ids = [d.id for d in drafts]
    history: dict[int, list[DraftChange]] = defaultdict(list)
    for start in range(0, len(ids), 500):  # bounded IN lists
        for change in session.exec(select(DraftChange).where(col(DraftChange.draft_pk).in_(ids[start:start + 500]),
                                                            DraftChange.actor != PIPELINE_ACTOR)
                                   .order_by(col(DraftChange.id))):
            history[change.draft_pk].append(change)
    return AttentionContext(event_week=event_week, near_duplicates=near_duplicates(by_id.values()),
                            checked={d.id: checked_fields(d, history.get(d.id, [])) for d in drafts})


# --- the queue -----------------------------------------------------------------------------------

@dataclass
class QueueRow:
    draft: Draft
    reasons: list[str]


@dataclass
class MailGroup:
    """The drafts of one mail, shown together."""

    message: Message
    rows: list[QueueRow]


def queue(session: Session, query: QueueQuery, *, event_week: int = 44, reasons: bool = True) -> list[MailGroup]:
    """The queue as sorted and filtered, events of one mail together. Flatten it for the one order.
    `reasons=False`: only the order is wanted (a draft page's neighbours), so the flags are worked out
    only where the query filters by them."""
    stmt = (select(Draft, Message).join(Message, Message.id == Draft.message_pk)  # type: ignore[arg-type]
            .options(defer(Message.raw), defer(Message.body_text), defer(Message.body_html)))  # type: ignore[arg-type]
    if query.status != "all":
        stmt = stmt.where(Draft.status == DraftStatus(query.status))
    if query.date_from:
        stmt = stmt.where(col(Draft.start) >= query.date_from)
    if query.date_to:
        stmt = stmt.where(col(Draft.start) < query.date_to + "T99")  # through the whole last day
    if query.online:
        stmt = stmt.where(Draft.online == (query.online == "ja"))
    pairs = session.exec(stmt).all()
    if query.organizer:
        needle = query.organizer.casefold()
        pairs = [(d, m) for d, m in pairs if needle in (d.organizer or "").casefold()]
    if query.q:
        pairs = [(d, m) for d, m in pairs if _matches(session, d, m, query.q)]
    if reasons or query.attention:
        context = attention_context(session, [d for d, _ in pairs], event_week)
        rows = [(d, m, needs_attention(d, m, context)) for d, m in pairs]
    else:
        rows = [(d, m, []) for d, m in pairs]
    if query.attention:
        rows = [r for r in rows if r[2]]
    groups: dict[int, MailGroup] = {}
    for d, m, reasons in rows:
        groups.setdefault(m.id, MailGroup(m, [])).rows.append(QueueRow(d, reasons))
    for group in groups.values():
        group.rows.sort(key=lambda r: (r.draft.start or "9999", r.draft.event_index) if query.sort == "event"
                        else (r.draft.event_index, r.draft.id))
    return sorted(groups.values(), key=lambda g: _group_key(g, query))


def _group_key(group: MailGroup, query: QueueQuery) -> tuple[Any, ...]:
    pending_first = query.status == "all" and not any(r.draft.status == DraftStatus.PENDING for r in group.rows)
    if query.sort == "event":
        first = min((r.draft.start for r in group.rows if r.draft.start), default="9999")
        return (pending_first, first, group.message.id)
    sent = group.message.sent_at or group.message.received_at
    return (pending_first, -sent.timestamp(), -group.message.id)


def _matches(session: Session, draft: Draft, message: Message, q: str) -> bool:
    """Every word of the search is in the title, organiser, place, sender, subject, the draft's text or the mail's."""
    words = _normal(q).split()
    haystack = _normal(" ".join(str(v) for v in (draft.title, draft.organizer, draft.place, draft.audience,
                                                 draft.description, message.sender, message.subject,
                                                 *(draft.evidence or {}).values()) if v))
    if all(w in haystack for w in words):
        return True
    haystack += " " + _normal(searchable_text(session, message))
    return all(w in haystack for w in words)


def order(groups: Sequence[MailGroup]) -> list[int]:
    """The draft ids in the queue's order."""
    return [row.draft.id for group in groups for row in group.rows]  # type: ignore[misc]


def neighbours(ids: Sequence[int], draft_id: int) -> tuple[int | None, int | None]:
    """(previous, next) around a draft in the queue's order; outside it, "next" is the list's first."""
    if draft_id not in ids:
        return None, (ids[0] if ids else None)
    i = list(ids).index(draft_id)
    return (ids[i - 1] if i > 0 else None), (ids[i + 1] if i + 1 < len(ids) else None)


def after_decision(ids: Sequence[int], draft_ids: Iterable[int]) -> int | None:
    """The draft to show after deciding `draft_ids`: the next one in the list as it stood, else the one before."""
    decided = set(draft_ids)
    positions = [i for i, d in enumerate(ids) if d in decided]
    if not positions:
        return ids[0] if ids else None
    later = [d for d in ids[positions[-1] + 1:] if d not in decided]
    earlier = [d for d in ids[:positions[0]] if d not in decided]
    return later[0] if later else (earlier[-1] if earlier else None)


def status_counts(session: Session) -> Counter:
    return Counter(str(s) for s in session.exec(select(Draft.status)).all())
