"""Mail bytes -> ParsedMail: the extractor's one entry point.

The steps: MIME (mime.py) -> the body's text and its line roles (clean.py) ->
the kind of mail (classify.py) -> events: from a calendar invite, else from the
body's own lines, else from a PDF/Word attachment; a reply that corrects an
earlier mail merges the change into the quoted original.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from datetime import date, datetime
from typing import NamedTuple

from parsers import danish_time as dt
from parsers import fields as f
from parsers.attachments import calendar_events, kind_of, read_attachment
from parsers.classify import header_kind, is_machine_mail, text_kind
from parsers.clean import Body, Line, split_body
from parsers.errors import ParseError
from parsers.html_text import html_to_text
from parsers.mime import read_mime
from core.model import Attachment, Event, MailKind, Origin, ParsedMail
from parsers.nlp import organisations

DEADLINE_CUE = re.compile(r"tilmeldingsfrist|frist|senest|inden|deadline|sidste tilmelding|tilmelding.{0,40}(?:senest|inden|før)", re.IGNORECASE)
ORGANISER_VERB = re.compile(r"\b(?:inviterer|afholder|holder|arrangerer|markerer|præsenterer|åbner|byder|står bag|er vært|"
                            r"vil gerne (?:bidrage|invitere|byde|holde|afholde)|bidrager)\b", re.IGNORECASE)
ORGANISED_BY = re.compile(r"\b(?:arrangeres af|arrangeret af|afholdes af|i samarbejde med|arrangør(?:en)? er)\s+", re.IGNORECASE)
UNTIL = re.compile(r"\b(?:frem til|indtil|til og med)\b", re.IGNORECASE)
MAX_EVENTS = 20  # more in one mail is a newsletter or an attack, not a submission
CORRECTION = re.compile(r"rykket|rykke[rs]?\b|flyttet|flytte[rs]?\b|ændr|rettelse|korrektion|i stedet|nyt tidspunkt|nyt lokale|nyt sted|"
                        r"ny tid|ny dato|samme dag|samme tid|samme sted|holdes nu|er nu", re.IGNORECASE)


def extract(raw: bytes, *, tz: str = "Europe/Copenhagen", as_event: bool = False) -> ParsedMail:
    """Read one message. Raises ParseError only when there is nothing readable at all.

    `as_event`: a reviewer has said the mail holds an event: read its events whatever its kind seems."""
    if not isinstance(raw, (bytes, bytearray)) or not bytes(raw).strip():
        raise ParseError("the message is empty")
    try:
        mime = read_mime(bytes(raw))
    except (RecursionError, MemoryError) as exc:
        raise ParseError(f"the MIME structure could not be read: {exc.__class__.__name__}") from exc
    html = "\n".join(mime.html) if mime.html else None
    plain = "\n".join(p for p in mime.plain if p.strip())
    html_text = html_to_text(html) if html else ""
    # a text part far shorter than the HTML is a stub ("view this mail in a browser"): read the HTML
    use_html = bool(html_text.strip())
    text = html_text if use_html else plain
    links = html_text if not use_html else ""  # link targets only the HTML part has
    attachments = [read_attachment(a) for a in mime.attachments[:20]]
    if not text.strip() and not mime.subject and not any(a.text for a in attachments):
        raise ParseError("no readable text: no body, subject or attachment that could be read")

    if mime.date is not None and not 1990 <= mime.date.year <= 2100:
        mime.warnings.append(f"implausible Date header year {mime.date.year}: not used to infer years")
        mime.date = None
    body = split_body(text, subject=mime.subject)
    kind = header_kind(mime)
    events: list[Event] = []
    own = "\n".join(ln.text for ln in body.lines if ln.role in ("body", "greeting") and not ln.forwarded)
    if kind is None or as_event:
        events = find_events(body, attachments, mime.subject, mime.date, mime.sender_name, mime.sender_address, tz, links)
        asked = bool(events) and all(_asked(own, e.evidence.get("start")) for e in events)
        kind = MailKind.EVENT if as_event else text_kind(mime.subject, own, bool(events), dates_asked=asked)
        if kind == MailKind.EVENT and _calls_off(own, body.has_quote or bool(mime.in_reply_to)):
            kind = MailKind.CANCELLATION
        if kind != MailKind.EVENT:
            events = []
    events = sane(events)
    sources = [body.text] + [a.text for a in attachments if a.text]
    for event in events:
        anchor_evidence(event, sources)
        event.origin = origins(event, body, mime.subject, attachments)
    thread = mime.in_reply_to or (mime.references[-1] if mime.references else None)
    return ParsedMail(
        message_id=mime.message_id, subject=mime.subject, sender=mime.sender, sender_address=mime.sender_address,
        date=mime.date, in_reply_to=mime.in_reply_to, references=mime.references, kind=kind, events=events,
        text=body.text, html=html, attachments=attachments, auto_submitted=is_machine_mail(mime), warnings=mime.warnings,
        cancels=thread if kind == MailKind.CANCELLATION else None,
        corrects=thread if kind == MailKind.EVENT and events and body.has_quote else None,
        reply_text=own if body.has_quote or mime.in_reply_to else None,
    )


_CANCEL_WORDS = json.loads((Path(__file__).parent / "patterns" / "kinds.json").read_text(encoding="utf-8"))["cancellation_markers"]
CANCEL = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in _CANCEL_WORDS) + r")\b", re.IGNORECASE)


def _calls_off(own: str, is_reply: bool) -> bool:
    """A reply whose own words call the event off ("Vi må desværre aflyse …")."""
    return is_reply and bool(CANCEL.search(own))


ROLE_ORIGIN = {"body": Origin.TEXT, "greeting": Origin.TEXT, "quote": Origin.QUOTE, "signature": Origin.SIGNATURE,
               "forward_header": Origin.FORWARDED, "footer": Origin.SIGNATURE}


def origins(event: Event, body: Body, subject: str, attachments: list[Attachment]) -> dict[str, str]:
    """Where each field's evidence stands: the author's own lines, a quote, a forward, the subject, an attachment."""
    out: dict[str, str] = {}
    for name, evidence in event.evidence.items():
        at = body.text.find(evidence) if evidence else -1
        if at >= 0:
            line = next((ln for ln in reversed(body.lines) if ln.start <= at), None)
            role = ROLE_ORIGIN.get(line.role, Origin.TEXT) if line else Origin.TEXT
            out[name] = str(Origin.FORWARDED if line is not None and line.forwarded and role == Origin.TEXT else role)
        elif evidence and evidence in subject:
            out[name] = str(Origin.SUBJECT)
        else:
            att = next((a for a in attachments if a.text and evidence and evidence in a.text), None)
            if att is not None:
                out[name] = str(Origin.CALENDAR if kind_of_attachment(att) == "calendar" else Origin.ATTACHMENT)
    return out


# ------------------------------------------------------------------ events


def _asked(text: str, evidence: str | None) -> bool:
    """The date stands in a sentence of the author's own that ends with a question mark."""
    at = text.find(evidence) if evidence else -1
    if at < 0:
        return False
    end = re.search(r"[.!?\n]", text[at + len(evidence):])
    return bool(end) and end.group(0) == "?"


def sane(events: list[Event]) -> list[Event]:
    """No event twice, none in year 1 or 9999, none ending before it starts (hostile invites say all of it)."""
    kept, seen = [], set()
    for event in events[:MAX_EVENTS]:
        year = int(event.start[:4]) if event.start and event.start[:4].isdigit() else 0
        key = ((event.title or "").casefold(), event.start)
        if not 1990 <= year <= 2100 or key in seen:
            continue
        seen.add(key)
        if event.end and event.start and event.end < event.start:
            event.end = None
            event.evidence.pop("end", None)
            event.confidence.pop("end", None)
            event.confidence["start"] = min(event.confidence.get("start", 1.0), 0.4)
        kept.append(event)
    return kept


def anchor_evidence(event: Event, sources: list[str]) -> None:
    """Make each evidence an exact substring of the text shown to reviewers (white space may differ)."""
    for name, evidence in list(event.evidence.items()):
        if any(evidence in src for src in sources):
            continue
        pattern = r"\s+".join(re.escape(w) for w in evidence.split())
        found = next((m.group(0) for src in sources if pattern and (m := re.search(pattern, src))), None)
        if found:
            event.evidence[name] = found
        else:
            del event.evidence[name]


@dataclass
class When:
    start: str
    end: str | None
    all_day: bool
    evidence: str
    confidence: float
    line: int  # index of the line it was read from


def find_events(body: Body, attachments: list[Attachment], subject: str, sent: datetime | None,
                sender_name: str | None, sender_address: str | None, tz: str, links: str = "") -> list[Event]:
    for att in attachments:
        if att.text and kind_of_attachment(att) == "calendar":
            events = events_from_calendar(att.text, tz, body, subject, sent, sender_address)
            if events:
                return events
    own = [ln for ln in body.lines if ln.role == "body"]
    events = events_from_lines(body, own, subject, sent, sender_address, links)
    quoted = [ln for ln in body.lines if ln.role == "quote"]
    if quoted and (not events or _is_correction(own, events)):
        original = events_from_lines(body, quoted, subject, sent, sender_address, links)
        if original:
            return [apply_correction(original[0], own, sent)] + original[1:] if events or _mentions_change(own) else original
    if events:
        return events
    for att in attachments:
        if att.text and kind_of_attachment(att) in ("pdf", "docx"):
            doc = split_body(att.text, document=True)
            events = events_from_lines(doc, [ln for ln in doc.lines if ln.role == "body"], subject, sent, sender_address, "")
            if events:
                for event in events:
                    event.organizer = event.organizer or _organiser(body, body.lines, sender_address)[0]
                return events
    return []


def kind_of_attachment(att: Attachment) -> str | None:
    from parsers.mime import RawAttachment

    return kind_of(RawAttachment(att.filename, att.content_type, None, att.size))


def _is_correction(own: list[Line], events: list[Event]) -> bool:
    return _mentions_change(own) and all(not e.title or e.confidence.get("title", 0) < 0.7 for e in events)


def _mentions_change(own: list[Line]) -> bool:
    return any(CORRECTION.search(ln.text) for ln in own)


def events_from_lines(body: Body, lines: list[Line], subject: str, sent: datetime | None,
                      sender_address: str | None, links: str) -> list[Event]:
    whens = find_whens(lines, sent)
    if not whens:
        return []
    segments = split_segments(lines, whens)
    organiser = _organiser(body, lines, sender_address)
    events = []
    in_segments = {id(ln) for seg, _, listed in segments if listed for ln in seg}
    shared = [ln for ln in lines if id(ln) not in in_segments]  # around a listing: what holds for all of it
    for seg_lines, when, listed in segments:
        event = build_event(seg_lines, when, lines, subject, sent, sender_address, organiser, links, len(segments) > 1)
        if listed and event.confidence.get("title", 0) < 0.7:
            put(event, "title", listed.title, listed.title, 0.55)
            if listed.place and event.place is None:
                put(event, "place", listed.place, listed.place, 0.55)
            if event.place is None and (around := f.find_place(shared)):  # "alle kl. 12-13 i Kantinen, …:"
                put(event, "place", around.value, around.evidence, min(around.confidence, 0.6))
            if event.registration is None:
                fill_details(event, shared, sent, f.find_registration(shared))
        events.append(event)
    _share_registration_for_all(events, lines)
    return events


FOR_ALL = re.compile(r"\b(?:alle|begge)\b", re.IGNORECASE)


def _share_registration_for_all(events: list[Event], lines: list[Line]) -> None:
    """"Tilmelding til alle tre: …" under the last of several events holds for each of them."""
    given = [e for e in events if e.registration]
    if len(events) < 2 or len(given) != 1:
        return
    source = given[0]
    said = next((ln.text for ln in lines if str(source.registration) in ln.text), "")
    if not (FOR_ALL.search(said) and f.REG_CUE.search(said)):
        return
    for event in events:
        if event.registration is None:
            put(event, "registration", source.registration, source.evidence["registration"],
                min(source.confidence.get("registration", 0.6), 0.6))
            if event.registration_deadline is None and source.registration_deadline and event.start \
                    and source.registration_deadline[:10] <= event.start[:10]:
                put(event, "registration_deadline", source.registration_deadline,
                    source.evidence.get("registration_deadline", ""), min(source.confidence.get("registration_deadline", 0.6), 0.6))


def find_whens(lines: list[Line], sent: datetime | None) -> list[When]:
    """The event dates (with times) in these lines; deadlines and incidental dates left out."""
    whens: list[When] = []
    for i, ln in enumerate(lines):
        text = ln.text
        label = f.label_of(text)
        if label and label[0] in ("deadline", "registration", "contact", "price"):
            continue
        hits = dt.find_dates(text)
        span = _date_span(text, hits, i, sent, labelled=bool(label and label[0] == "when"))
        if span:  # "fra mandag den 26. oktober kl. 10 til tirsdag den 27. oktober kl. 14"
            whens.append(span)
            continue
        for hit in hits:
            before = text[max(0, hit.start - 60):hit.start]
            if DEADLINE_CUE.search(before) or re.search(r"\b(?:fra|siden|efter)\s*(?:mandag|tirsdag|onsdag|torsdag|fredag)?\s*(?:d\.|den)?\s*$", before, re.IGNORECASE) and not label:
                continue
            when = when_from(hit, lines, i, sent, labelled=bool(label and label[0] == "when"))
            if when:
                whens.append(when)
    if not whens:
        return []
    strong = [w for w in whens if w.confidence >= 0.8]
    return strong or whens[:1]


SPAN_BETWEEN = re.compile(r"\s*,?\s*(?:(?:kl\.?|klokken)\s*(?P<h>[01]?\d|2[0-3])(?:[.:](?P<m>[0-5]\d))?)?\s*(?:til|–|—|-)\s*",
                          re.IGNORECASE)
SPAN_END_TIME = re.compile(r"\s*,?\s*(?:kl\.?|klokken)\s*(?P<h>[01]?\d|2[0-3])(?:[.:](?P<m>[0-5]\d))?", re.IGNORECASE)


def _date_span(text: str, hits: list[dt.DateHit], i: int, sent: datetime | None, *, labelled: bool) -> When | None:
    """One event from a date (and time) to a later date (and time) on one line."""
    if len(hits) < 2:
        return None
    a, b = hits[0], hits[1]
    between = SPAN_BETWEEN.fullmatch(text[a.end:b.start])
    if not between or DEADLINE_CUE.search(text[:a.start]) or f.REG_CUE.search(text[:a.start]):
        return None  # "tilmeldingen er åben fra 1. til 15. oktober" is no event
    (first, _, agrees_a), (last, _, agrees_b) = dt.resolve(a, sent), dt.resolve(b, sent)
    if last <= first:
        return None
    end_time = SPAN_END_TIME.match(text[b.end:])
    evidence = text[a.start:b.end + (end_time.end() if end_time else 0)]
    confidence = (0.9 if labelled else 0.85) if agrees_a and agrees_b else 0.3
    if between.group("h") and end_time:
        start = dt.iso_minute(first, int(between.group("h")), int(between.group("m") or 0))
        end = dt.iso_minute(last, int(end_time.group("h")), int(end_time.group("m") or 0))
        return When(start, end, False, evidence, confidence, i)
    if not between.group("h") and not end_time:
        return When(dt.iso_date(first), dt.iso_date(last), True, evidence, confidence, i)
    return None


def when_from(hit: dt.DateHit, lines: list[Line], i: int, sent: datetime | None, *, labelled: bool) -> When | None:
    first, last, agrees = dt.resolve(hit, sent)
    text = lines[i].text
    after = text[hit.end:]
    times = [t for t in dt.find_times(after) if t.start < 80]
    evidence_end = hit.end
    if not times and labelled and (label := f.label_of(text)) and label[0] == "when":  # "Tid: 27/10, 9-12"
        times = [t for t in dt.find_times(after, labelled=True) if t.start < 80]
    following = [ln.text for ln in lines[i + 1:i + 6] if ln.text.strip()][:3]  # HTML paragraphs: blank between
    if not times and following and not dt.find_dates(following[0]):
        times = _times_below(following)
    if not times:
        before = dt.find_times(text[:hit.start])
        times = [t for t in before if t.end_hour is not None][-1:]
    shared_time = False
    if not times:  # "tre oplæg, alle kl. 12-13:" above a list of dated lines
        times = _time_above(lines, i)
        shared_time = bool(times)
    if not times:  # a programme below the date: "09.00 Velkomst" … "15.00 Tak for i dag"
        times = _programme_hours(lines, i)
    confidence = 0.9 if labelled and not shared_time else 0.8
    all_day_word = dt.is_all_day(text)
    if times and times[0].end_hour is not None:
        t = times[0]
        start = dt.iso_minute(first, t.hour, t.minute)
        end = dt.iso_minute(last or first, t.end_hour, t.end_minute or 0)
        if t.start + hit.end < len(text) and text[hit.end:].find(t.text) >= 0:
            evidence_end = hit.end + text[hit.end:].find(t.text) + len(t.text)
        evidence = text[hit.start:evidence_end] if evidence_end > hit.end else hit.text
        if evidence_end <= hit.end:
            evidence = hit.text
        when = When(start, end, False, evidence, confidence, i)
    elif times and last is not None and len(times) >= 2:  # "26.-27. oktober … mandag kl. 9.30 … tirsdag kl. 15"
        a, b = times[0], times[1]
        when = When(dt.iso_minute(first, a.hour, a.minute), dt.iso_minute(last, b.hour, b.minute), False, hit.text, confidence, i)
    elif times:
        t = times[0]
        when = When(dt.iso_minute(first, t.hour, t.minute), None, False, hit.text, confidence - 0.1, i)
    else:
        when = When(dt.iso_date(first), dt.iso_date(last) if last else None, True, hit.text,
                    confidence if (all_day_word or labelled) else confidence - 0.2, i)
    if not agrees:
        when.confidence = min(when.confidence, 0.3)
    if not labelled and not times and not all_day_word:
        when.confidence = min(when.confidence, 0.6)
    return when


def split_segments(lines: list[Line], whens: list[When]) -> list[tuple[list[Line], When, Listed | None]]:
    """One segment of lines per event (and the title and venue read from a listing line, if any).

    Dates under one heading are one event (a two-day conference); a list of lines that each
    carry a date and the event's own words ("- 26/10 kl. 9-11: Morgenmøde om trivsel") is
    one event per line.
    """
    listing = [_listed(lines[w.line].text) for w in whens]
    if len(whens) >= 2 and all(listing) and len({w.line for w in whens}) == len(whens):
        return [(_listing_segment(lines, w, whens), w, listed) for w, listed in zip(whens, listing)]
    groups: list[list[When]] = []
    for w in whens:
        if groups and not _heading_between(lines, groups[-1][-1].line, w.line):
            groups[-1].append(w)
        else:
            groups.append([w])
    if len(groups) == 1:
        if _held_several_times(lines, groups[0]):  # "udbydes to gange: 27/10 kl. 9-12 og 29/10 kl. 13-16"
            return [(lines, w, None) for w in groups[0]]
        return [(lines, _merge(groups[0]), None)]
    bounds = []
    for g in groups:
        start = g[0].line
        k = start
        while k > 0 and not f.is_heading(lines, k):
            k -= 1
        bounds.append(k)
    segments = []
    for n, g in enumerate(groups):
        lo = bounds[n] if n else 0
        hi = bounds[n + 1] if n + 1 < len(bounds) else len(lines)
        segments.append((lines[lo:hi], _merge(g), None))
    return segments


END_LABEL = re.compile(r"^\s*(?:sluttidspunkt|sluttid|slut|afslutning)\s*:", re.IGNORECASE)


def _times_below(following: list[str]) -> list[dt.TimeHit]:
    """The time on the line below a date: "Kl. 13-15", "Tid: 9-12", or "Starttidspunkt: 10:00" with
    "Sluttidspunkt: 11:30" under it (as one range)."""
    label = f.label_of(following[0])
    found = dt.find_times(following[0], labelled=bool(label and label[0] == "when"))
    if not found:
        return []
    first = found[0]
    if first.end_hour is not None:
        return [first]
    end = next((t for line in following[1:] if END_LABEL.match(line) for t in dt.find_times(line)[:1]), None)
    if end is not None and (end.hour, end.minute) > (first.hour, first.minute):
        return [dt.TimeHit(first.start, first.end, first.text, first.hour, first.minute, end.hour, end.minute, True)]
    return [first] if label and label[0] == "when" else []  # "Start:"/"Starttidspunkt:" are time labels too


PROGRAMME_LINE = re.compile(r"^\s*(?:kl\.?\s*)?(?P<h>[01]?\d|2[0-3])[.:](?P<m>[0-5]\d)\b(?!\s*[-–]\s*\d)\s*[:.–-]?\s+\S")


def _programme_hours(lines: list[Line], i: int) -> list[dt.TimeHit]:
    """From the first to the last item of a programme under the date (three or more lines that each
    start with a time), as one range; the last item is when it ends ("15.00 Tak for i dag")."""
    items = []
    for ln in lines[i + 1:i + 25]:
        if dt.find_dates(ln.text):
            break
        m = PROGRAMME_LINE.match(ln.text)
        if m:
            items.append((int(m.group("h")), int(m.group("m"))))
    if len(items) < 3 or items != sorted(items):
        return []
    (h1, m1), (h2, m2) = items[0], items[-1]
    return [dt.TimeHit(0, 0, "", h1, m1, h2, m2, True)]


def _time_above(lines: list[Line], i: int) -> list[dt.TimeHit]:
    """The one time range of an undated line just above (a list's shared hours), if there is one."""
    for ln in reversed(lines[max(0, i - 6):i]):
        if not ln.text.strip() or dt.find_dates(ln.text):
            continue
        ranges = [t for t in dt.find_times(ln.text) if t.end_hour is not None]
        return ranges if len(ranges) == 1 and len(dt.find_times(ln.text)) == 1 else []
    return []


class Listed(NamedTuple):
    title: str
    place: str | None


def _listed(line: str) -> Listed | None:
    """The event a listing line names once its dates, times, label and bullet are taken out, if its
    words are a title's worth. With words on both sides of the date and an address after it
    ("Morgenmøde om trivsel – tirsdag 27. oktober kl. 8.30-10, Kantinen, Søndergade 2"), the words
    before the date are the title and the address its place."""
    hits = sorted([*dt.find_dates(line), *dt.find_times(line)], key=lambda h: h.start)
    if not hits:
        return None
    if f.label_of(_without(line, hits)):
        return None  # "Tid: …" is a field of an event described around it, not a listing
    before, after = _listing_words(line[:hits[0].start]), _listing_words(line[hits[-1].end:])
    if _wordy(before) and _wordy(after, 1) and f.looks_like_address(after):
        return Listed(before, after)
    rest = _listing_words(_without(line, hits))
    return Listed(rest, None) if _wordy(rest) else None


def _without(line: str, hits: list) -> str:
    for hit in reversed(hits):
        line = line[:hit.start] + " " + line[hit.end:]
    return line


def _listing_words(text: str) -> str:
    text = re.sub(r"^[\s\W]*(?:(?:kl\.?|klokken|fra|til|den|d\.|og)\s+)*", "", f.NUMBERING.sub("", text))
    text = re.sub(r"[\s:;,–—-]+$", "", text).strip()
    return re.sub(r"^[:;,–—-]\s*", "", text)


def _wordy(text: str, least: int = 3) -> bool:
    return len(re.findall(r"[A-Za-zÆØÅæøå]{2,}", text)) >= least


def _listing_segment(lines: list[Line], when: When, whens: list[When]) -> list[Line]:
    """The listing line and what hangs under it, up to a blank line or the next listed date."""
    others = {w.line for w in whens}
    end = when.line + 1
    while end < len(lines) and lines[end].text.strip() and end not in others:
        end += 1
    return lines[when.line:end]


REPEAT_CUE = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in f.MAILTEXT["repeat_cues"]) + r")\b", re.IGNORECASE)


def _held_several_times(lines: list[Line], group: list[When]) -> bool:
    """Dates that are sessions of one event, not the days of one: each timed, on its own day, and the
    mail says so ("to gange", "gentages", ...)."""
    days = {w.start[:10] for w in group}
    return (len(group) >= 2 and len(days) == len(group) and not any(w.all_day for w in group)
            and any(REPEAT_CUE.search(ln.text) for ln in lines))


def _heading_between(lines: list[Line], a: int, b: int) -> bool:
    return any(f.is_heading(lines, k) for k in range(a + 1, b + 1))


def _merge(group: list[When]) -> When:
    first = group[0]
    if len(group) == 1:
        return first
    days = sorted({w.start[:10] for w in group})
    if len(days) == 1:
        return first
    last = max(group, key=lambda w: w.start)
    end = last.end or last.start
    return When(first.start, end if not first.all_day else end[:10], first.all_day, first.evidence,
                min(w.confidence for w in group), first.line)


def build_event(seg: list[Line], when: When, all_lines: list[Line], subject: str, sent: datetime | None,
                sender_address: str | None, organiser: tuple[str | None, str | None, float],
                links: str, several: bool) -> Event:
    event = Event(start=when.start, end=when.end, all_day=when.all_day)
    put(event, "start", when.start, when.evidence, when.confidence)
    if when.end:
        put(event, "end", when.end, when.evidence, when.confidence)
    anchor = seg.index(next(ln for ln in seg if ln is all_lines[when.line])) if any(ln is all_lines[when.line] for ln in seg) else None
    title = f.find_title(seg, anchor, "" if several else subject)
    if title is None and several:
        title = f.find_title(seg, anchor, subject)
    if title:
        put(event, "title", title.value, title.evidence, title.confidence)
    place = f.find_place(seg)
    online, platform, online_evidence = f.find_online(seg, place)
    if place and online and not f.looks_like_address(str(place.value)) and (f.PLATFORM.search(str(place.value)) or f.ONLINE_WORD.search(str(place.value))):
        value = platform or str(place.value).split()[0].capitalize() if len(str(place.value)) > 25 else str(place.value)
        place = f.Found(platform or value, place.evidence, place.confidence)
    if place:
        put(event, "place", place.value, place.evidence, place.confidence)
    elif online and platform:
        put(event, "place", platform, online_evidence or platform, 0.6)
    event.online = online
    # not online: sure when there is a street address and no online words, unsure when there is no place at all
    event.confidence["online"] = 0.8 if online_evidence else (0.85 if place and f.looks_like_address(str(place.value)) else 0.6)
    if online_evidence:
        event.evidence["online"] = online_evidence
    reg = f.find_registration(seg) or (_registration_from_links(links, seg) if links else None)
    fill_details(event, seg, sent, reg)
    label = f.labelled(seg, "organizer")
    if label:
        put(event, "organizer", label[1], label[1], 0.9)
    elif organiser[0]:
        put(event, "organizer", organiser[0], organiser[1] or organiser[0], organiser[2])
    event.confidence["all_day"] = when.confidence
    if when.all_day:
        event.evidence["all_day"] = when.evidence
    return event


def fill_details(event: Event, lines: list[Line], sent: datetime | None, registration: f.Found | None) -> None:
    """Registration, its deadline and the audience: read alike from a mail's lines or an invite's description."""
    if registration:
        put(event, "registration", registration.value, registration.evidence, registration.confidence)
    deadline = find_deadline(lines, sent, event.start)
    if deadline:
        put(event, "registration_deadline", *deadline)
    audience = f.find_audience(lines)
    if audience:
        put(event, "audience", audience.value, audience.evidence, audience.confidence)


def put(event: Event, name: str, value: object, evidence: str, confidence: float) -> None:
    setattr(event, name, value)
    event.evidence[name] = evidence
    event.confidence[name] = round(max(0.0, min(1.0, confidence)), 2)


def _registration_from_links(links: str, seg: list[Line]) -> f.Found | None:
    """A sign-up link whose address only the HTML part has, behind words this event's lines contain."""
    seg_text = " ".join(" ".join(ln.text.split()) for ln in seg)
    for line in links.split("\n"):
        if f.REG_CUE.search(line) and " <" in line:
            words = " ".join(line.split(" <", 1)[0].split())
            m = f.URL.search(line)
            if m and words and words in seg_text:
                return f.Found(m.group(0), m.group(0), 0.75)
    return None


def find_deadline(lines: list[Line], sent: datetime | None, start: str | None) -> tuple[str, str, float] | None:
    for ln in lines:
        label = f.label_of(ln.text)
        # "du kan tilmelde dig frem til den 20. oktober": until, said of the registration
        cue = DEADLINE_CUE.search(ln.text) or (f.REG_CUE.search(ln.text) and UNTIL.search(ln.text))
        is_deadline_label = label is not None and label[0] == "deadline"
        if not (cue or is_deadline_label):
            continue
        if not (is_deadline_label or re.search(r"frist|deadline", ln.text, re.IGNORECASE) or f.REG_CUE.search(ln.text)):
            continue
        region = ln.text if is_deadline_label else ln.text[cue.start():]
        offset = 0 if is_deadline_label else cue.start()
        for hit in dt.find_dates(region):
            first, _, agrees = dt.resolve(hit, sent)
            if start and first.isoformat() > start[:10]:
                continue
            times = [t for t in dt.find_times(region[hit.end:]) if t.start < 12 and t.end_hour is None]
            value = dt.iso_minute(first, times[0].hour, times[0].minute) if times else dt.iso_date(first)
            end = hit.end + (times[0].end if times else 0)
            evidence = ln.text[offset + hit.start: offset + end]
            confidence = (0.9 if is_deadline_label or cue else 0.7) if agrees else 0.3
            return value, evidence, confidence
    return None


def _organiser(body: Body, lines: list[Line], sender_address: str | None) -> tuple[str | None, str | None, float]:
    """(name, evidence, confidence): who arranges it, from the text, else the relevant signature."""
    text_lines = f.paragraphs([ln for ln in lines if ln.role in ("body", "quote")])
    for ln in text_lines:
        m = ORGANISED_BY.search(ln.text)
        if m:
            window = ln.text[m.end():m.end() + 160]
            orgs = organisations(window)
            if orgs:
                name = _joint(window, orgs, orgs[0])
                return name, name, 0.8
    for ln in text_lines[:40]:
        if ORGANISER_VERB.search(ln.text):
            orgs = organisations(ln.text)
            for org in orgs:
                name = _joint(ln.text, orgs, org)
                verb = ORGANISER_VERB.search(ln.text[org.start_char + len(name):org.start_char + len(name) + 40])
                before = ln.text[:org.start_char]
                if verb or re.search(r"\b(?:i|hos)\s+$", before, re.IGNORECASE):
                    return name, name, 0.75
    signature = _relevant_signature(body, lines)
    for ln in signature:
        orgs = organisations(ln.text)
        if orgs:
            return orgs[-1].text, orgs[-1].text, 0.6
    named = _organisation_after_job(signature)
    if named:
        return named, named, 0.5
    if body.forwarded_from and body.forwarded_from[0]:  # "Fra: Region Midtjylland <…>" of a forwarded mail
        orgs = organisations(body.forwarded_from[0])
        if orgs and orgs[0].text in body.text:
            return orgs[0].text, orgs[0].text, 0.5
    for ln in text_lines[:15]:
        orgs = organisations(ln.text)
        if orgs:
            name = _joint(ln.text, orgs, orgs[0])
            return name, name, 0.45
    return None, None, 0.0


def _joint(text: str, orgs: list, org) -> str:
    """"X og Y" when two organisations arrange it together."""
    for other in orgs:
        between = text[org.end_char:other.start_char]
        if other.start_char > org.end_char and re.fullmatch(r"\s+(?:og|&)\s+", between):
            return text[org.start_char:other.end_char]
    return org.text


JOB_LINE = re.compile(r"^\s*(?P<job>[\wæøåÆØÅ -]{3,60}?)\s*[,|]\s*(?P<org>[A-ZÆØÅ][\wæøåÆØÅ&. -]{1,60})\s*$")


def _organisation_after_job(lines: list[Line]) -> str | None:
    """"Partner, Resonans": an organisation no table knows, named beside a job title in a signature."""
    from parsers.nlp import JOB_WORDS

    for ln in lines:
        m = JOB_LINE.match(ln.text)
        if m and any(w in m.group("job").lower() for w in JOB_WORDS) and not f.looks_like_address(m.group("org")):
            return m.group("org").strip()
    return None


def _relevant_signature(body: Body, lines: list[Line]) -> list[Line]:
    """The signature of the words that count: the forwarded mail's, or the quoted original's, else the sender's."""
    forwarded = any(ln.forwarded for ln in lines)
    quoted = any(ln.role == "quote" for ln in lines)
    if quoted:
        quote_lines = [ln for ln in body.lines if ln.role == "quote"]
        return quote_lines[-10:]
    for sig in reversed(body.signatures):
        if sig and sig[0].forwarded == forwarded:
            return sig[:10]
    return body.signatures[-1][:10] if body.signatures else []


def apply_correction(original: Event, own: list[Line], sent: datetime | None) -> Event:
    """The quoted original with what the reply changes: a new time, date or room."""
    event = Event(**{**original.fields(), "confidence": dict(original.confidence), "evidence": dict(original.evidence)})
    text_lines = [ln for ln in own if ln.text.strip()]
    day = original.start[:10] if original.start else None
    for ln in text_lines:
        dates = dt.find_dates(ln.text)
        times = [t for t in dt.find_times(ln.text) if t.end_hour is not None]
        if dates:
            first, _, _ = dt.resolve(dates[0], sent)
            day = first.isoformat()
        if times and day:
            t = times[0]
            d = date.fromisoformat(day)
            put(event, "start", dt.iso_minute(d, t.hour, t.minute), t.text, 0.75)
            put(event, "end", dt.iso_minute(d, t.end_hour, t.end_minute or 0), t.text, 0.75)
            event.all_day = False
        elif dates and day and original.start and len(original.start) > 10:
            put(event, "start", day + original.start[10:], dates[0].text, 0.7)
            if original.end:
                put(event, "end", day + original.end[10:], dates[0].text, 0.7)
        m = re.search(r"\b(?:holdes|afholdes|foregår|er)\s+(?:nu\s+)?(?:i|på)\s+(?P<room>[A-ZÆØÅ][\wæøå-]*(?:\s+[\wæøå-]+){0,3}?)\s+(?:på|i)\s+(?P<building>[A-ZÆØÅ][^,.;]+)", ln.text)
        if m and original.place:
            building = m.group("building").strip()
            place = original.place
            pos = place.find(building.split()[-1])
            rest = place[place.find(",", pos) if pos >= 0 and place.find(",", pos) >= 0 else len(place):]
            new_place = f"{m.group('room')}, {building}{rest}" if pos >= 0 else f"{m.group('room')}, {building}"
            put(event, "place", new_place, m.group(0), 0.6)
        elif (found := f.find_place([ln])) is not None and f.looks_like_address(str(found.value)):
            put(event, "place", found.value, found.evidence, found.confidence - 0.1)
    return event


def events_from_calendar(text: str, tz: str, body: Body, subject: str, sent: datetime | None,
                         sender_address: str | None) -> list[Event]:
    events = []
    organiser = _organiser(body, [ln for ln in body.lines if ln.role == "body"], sender_address)
    for ce in calendar_events(text, tz)[:10]:
        if ce.start is None:
            continue
        event = Event()
        if isinstance(ce.start, datetime):
            put(event, "start", ce.start.strftime("%Y-%m-%dT%H:%M"), _ics_evidence(text, "DTSTART"), 0.95)
            if isinstance(ce.end, datetime):
                put(event, "end", ce.end.strftime("%Y-%m-%dT%H:%M"), _ics_evidence(text, "DTEND"), 0.95)
        else:
            event.all_day = True
            put(event, "start", ce.start.isoformat(), _ics_evidence(text, "DTSTART"), 0.95)
            if isinstance(ce.end, date) and not isinstance(ce.end, datetime):
                last = date.fromordinal(ce.end.toordinal() - 1)  # DTEND of a DATE is exclusive
                if last > ce.start:
                    put(event, "end", last.isoformat(), _ics_evidence(text, "DTEND"), 0.9)
        if ce.summary:
            put(event, "title", ce.summary, _ics_escaped(ce.summary), 0.9)
        description_lines = split_body(ce.description or "").lines
        if ce.location:
            put(event, "place", ce.location, _ics_escaped(ce.location), 0.9)
        online, platform, evidence = f.find_online(description_lines + split_body(ce.location or "").lines,
                                                   f.Found(ce.location, ce.location, 0.9) if ce.location else None)
        event.online = online
        if online and evidence:
            event.evidence["online"] = evidence
            event.confidence["online"] = 0.8
        reg = f.find_registration(description_lines) or (f.Found(ce.url, ce.url, 0.8) if ce.url else None)
        fill_details(event, description_lines, sent, reg)
        desc_org = _organiser(split_body(ce.description or ""), description_lines, None)
        if desc_org[0]:
            put(event, "organizer", *desc_org)
        elif organiser[0]:
            put(event, "organizer", *organiser)
        elif ce.organizer:
            put(event, "organizer", ce.organizer, ce.organizer, 0.6)
        events.append(event)
    return events


def _ics_escaped(value: str) -> str:
    """A text value as it stands in the .ics file (RFC 5545 escapes), so it can be found there."""
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _ics_evidence(text: str, name: str) -> str:
    m = re.search(rf"^{name}[^\n]*", text, re.MULTILINE)
    return m.group(0) if m else name
