"""Every candidate for every field, everywhere in the mail, with features of where and how it stands.

The design of Gmail's extraction system (Juicer, KDD 2018): each span of a field's type is a
candidate (every date, every time, every link and address, every heading, every organisation
name ...), described by what is around it — its label, its line's role, its zone (own words,
quote, forwarded original, signature), the cue words before it, its form — and a fitted scorer
picks (parsers/decide.py). Nothing here decides; nothing here depends on the model.

Features are named strings (value 1.0 unless said); the model file lists the names it knows,
so a change to what is extracted here changes FEATURE_VERSION and the model must be fitted again.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date, datetime, timedelta
from pathlib import Path

from core.own_mail import SUBJECT_PREFIXES
from parsers import danish_time as dt
from parsers.layout import FWD_HEADER, LABEL_FIELD, OWN, SUBJECT_FORWARD, SUBJECT_REPLY, Layout, Line, read_layout

LABEL_WORDS = set(LABEL_FIELD)

FEATURE_VERSION = 1
_P = Path(__file__).parent / "patterns"
CUES: dict = json.loads((_P / "cues.json").read_text(encoding="utf-8"))
ONLINE = json.loads((_P / "online.json").read_text(encoding="utf-8"))
MAILTEXT = json.loads((_P / "mailtext.json").read_text(encoding="utf-8"))
ORGS = json.loads((_P / "organisations.json").read_text(encoding="utf-8"))


def _is_stem(word: str) -> bool:
    """A cue of five letters or more takes any ending ("tilmeld" -> "tilmelding"); a shorter one is a word of its own."""
    return len(word) > 4 and word[0].isalnum() and word[-1].isalnum()


def _trie(words: list[str]) -> str:
    """An alternation of words as a trie ("tilmeld|tilmelding" -> "tilmeld(?:ing)?"): Python's engine tries the
    alternatives of a flat list one by one at every position, a trie one character at a time."""
    tree: dict = {}
    for w in words:
        node = tree
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        ends = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            return "(?:" + body + ")?"
        return body

    return build(tree)


def _cue(words: list[str], *, stems: bool = True) -> re.Pattern:
    """A cue list as one pattern: whole words, except that a cue ending in a letter takes any ending ("tilmeld" ->
    "tilmelding"). One look-behind for all words, the words as a trie: both for speed."""
    lowered = sorted({w.lower() for w in words})
    # a short word ("til", "fra", "by") is a word of its own, never a stem ("tilmelding" is no "til")
    stem = [w for w in lowered if stems and _is_stem(w)]
    whole = [w for w in lowered if w[0].isalnum() and w not in stem]
    other = [re.escape(w) for w in lowered if not w[0].isalnum()]
    parts = []
    if stem:
        parts.append(r"(?<![\wæøå])" + _trie(stem) + r"[\wæøå]*")
    if whole:
        parts.append(r"(?<![\wæøå])" + _trie(whole) + r"(?![\wæøå])")
    parts.extend(other)
    return re.compile("|".join(parts), re.IGNORECASE)


_CUE_CLASSES: dict[str, set[str]] = {}
for _name, _words in CUES.items():
    if isinstance(_words, list) and not _name.startswith("_"):
        for _w in _words:
            _CUE_CLASSES.setdefault(_w.lower(), set()).add(_name)
ALL_CUES = _cue(list(_CUE_CLASSES))  # one pass over a text finds the cues of every list
_CUE_LENGTHS = sorted({len(w) for w in _CUE_CLASSES}, reverse=True)


@lru_cache(maxsize=50_000)
def cue_spans(text: str) -> dict[str, tuple[tuple[int, int], ...]]:
    """Where each list's cues stand in the text: one regular expression for all lists, each match given to every
    list one of whose words it begins with ("tilmeldingsfrist": deadline and registration)."""
    found: dict[str, list[tuple[int, int]]] = {}
    low = text.lower()
    for m in ALL_CUES.finditer(low):
        word = m.group(0)
        classes: set[str] = set()
        n = len(word)
        for k in _CUE_LENGTHS:  # only the lengths some cue has
            if k > n:
                continue
            hit = _CUE_CLASSES.get(word[:k])
            if hit and (k == n or _is_stem(word[:k])):
                classes |= hit
        for c in classes:
            found.setdefault(c, []).append((m.start(), m.end()))
    return {k: tuple(v) for k, v in found.items()}


def has_cue(text: str, name: str) -> bool:
    return name in cue_spans(text)
URL = re.compile(r"(?:https?://|www\.)[^\s<>()\"'»|]+[^\s<>()\"'».,;:!?|]", re.IGNORECASE)
BARE_URL = re.compile(r"(?<![@\w.:/])(?:[a-z0-9-]+\.)+(?:dk|com|org|net|eu|nu|info|io|se|no)/[^\s<>()\"'|]*[^\s<>()\"'.,;:!?|]",
                      re.IGNORECASE)
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?![\w])", re.IGNORECASE)
_NOT_AFTER_MONTH = "".join(f"(?<!{re.escape(w)} )(?<!{re.escape(w)}\\. )" for w in dt.MONTHS)
POSTCODE_TOWN = re.compile(r"\b(?=\d{4}\s)" + _NOT_AFTER_MONTH + r"\d{4}\s+(?!Kl\b|kl\b)[A-ZÆØÅ][\wæøåÆØÅ.-]+(?:\s+[A-ZÆØÅ][\wæøå.-]*)?")
STREET = re.compile(r"\b[A-ZÆØÅ][\wæøåÆØÅ.-]+(?:\s+[\wæøåÆØÅ.-]+){0,3}\s+(?!(?:19|20)\d\d\b)\d{1,4}[A-Za-z]?\b(?![.:/]\d)")
ADDRESSES = json.loads((_P / "addresses.json").read_text(encoding="utf-8"))
_NUMBERED_WORD = re.compile(r"(?<![\wæøåÆØÅ.-])([\wæøåÆØÅ.-]+)\s+(?!(?:19|20)\d\d\b)\d{1,4}[A-Za-z]?\b(?![.:/]\d)")
_STREET_ENDINGS = tuple(w.lower() for w in ADDRESSES["street_endings"])


def street_named(text: str) -> bool:
    """A street name and its number: the word before the number ends as street names do ("Tuborgvej 164",
    "Hold-An Vej 7", "Torvet 3"), which "Webinar 1" does not."""
    return any(m.group(1).rstrip(".").lower().endswith(_STREET_ENDINGS) for m in _NUMBERED_WORD.finditer(text))


PHONE = re.compile(r"(?:\+45\s?)?\b\d{2}\s?\d{2}\s?\d{2}\s?\d{2}\b")
PLATFORM = re.compile(r"\b(" + _trie(sorted(k.lower() for k in ONLINE["platforms"])) + r")\b", re.IGNORECASE)
ONLINE_WORD = re.compile(r"\b(" + _trie(sorted(k.lower() for k in ONLINE["online_words"])) + r")\b", re.IGNORECASE)
HYBRID = re.compile(_trie(sorted({k.lower() for k in ONLINE["hybrid_words"]})), re.IGNORECASE)
VENUE = _cue(CUES["venue_words"])
QUOTED = re.compile(r"[«\"“”„](?P<q>[^«»\"“”„\n]{4,140})[»\"”“]")
SUBJECT_PREFIX = re.compile(r"^\s*(?:(?:" + "|".join(MAILTEXT["subject_prefixes"]) + r")\s*:\s*)+", re.IGNORECASE)
KONTAKT_SUBJECT = _cue([f"{prefix.lower()}:" for prefix in SUBJECT_PREFIXES])  # kontakt's own mail, quoted
NAME_WORD = r"(?:[A-ZÆØÅ][\wæøåÆØÅ&'.-]*|[A-ZÆØÅ]{2,})"
PROPER = re.compile(NAME_WORD + r"(?:\s+(?:og|for|i|på|af|&|-|the|of|and)?\s*" + NAME_WORD + r"){0,6}")
SENTENCE_END = re.compile(r"(?<=[a-zæøå0-9)])[.!?](?=\s+[A-ZÆØÅ]|\s*$)")
LEDELSESUGEN = re.compile(r"ledelsesugen", re.IGNORECASE)
WEEKDAY_WORD = re.compile(r"\b(?:" + "|".join(dt.WEEKDAYS) + r")\b", re.IGNORECASE)

STOPWORDS = set("og i på til for af med om en et den det de der som at er fra ved hos the of and in to a an on at for".split())
GREETING_START = re.compile(r"^(?:hej|kære|dear|hi|hello|goddag|til)\b", re.IGNORECASE)
ASKS_READER = re.compile(r"^(?:" + "|".join(re.escape(w) for w in CUES["asks_reader"]) + r")\b", re.IGNORECASE)
@lru_cache(maxsize=50_000)
def _dates(text: str) -> tuple[dt.DateHit, ...]:
    return tuple(dt.find_dates(text))


@lru_cache(maxsize=50_000)
def _times(text: str) -> tuple[dt.TimeHit, ...]:
    return tuple(dt.find_times(text))


def clear_caches() -> None:
    """Forget what was read before (benchmarks that read the same mails again call this between rounds)."""
    for fn in (cue_spans, _breaks, _norm, _title_form, _place_form, _dates, _times):
        fn.cache_clear()
    from parsers.nlp import organisation_spans

    organisation_spans.cache_clear()


FIELDS = ("title", "place", "registration", "registration_deadline", "organizer", "audience")


# ------------------------------------------------------------------ what a candidate is


@dataclass
class Cand:
    field: str
    value: object
    evidence: str
    line: int  # index into Layout.lines; -1 when it has no line (the sender's domain, "none")
    pos: int  # offset of the evidence in its line's source (ordering, distance)
    feats: dict[str, float]
    origin: str = "text"
    norm: str = ""  # the value normalised (for counting repeats)
    srcs: tuple[str, ...] = ()  # its "src:" features (how it was found), crossed with its scope per event
    labelled: bool = False  # found after a label or in a named column


@dataclass
class Mention:
    """A date in the mail, which may be an event's day (or a deadline, a signature's holiday ...)."""

    line: int
    start: int  # offsets in the line's text
    end: int
    text: str
    first: date
    last: date | None
    feats: dict[str, float]
    calendar: int = -1  # the calendar event it came from
    times: tuple[datetime | None, datetime | None] | None = None  # a calendar event's exact start and end


@dataclass
class RelativeDeadline:
    """ "senest 14 dage før", "dagen før kl. 12": a deadline counted back from the event's day."""

    line: int
    start: int
    end: int
    text: str
    days: int
    time: tuple[int, int] | None
    feats: dict[str, float]


@dataclass
class TimeSpan:
    line: int
    start: int
    end: int
    text: str
    hour: int
    minute: int
    end_hour: int | None
    end_minute: int | None
    feats: dict[str, float]


@dataclass
class CalendarItem:
    summary: str | None
    start: datetime | date | None
    end: datetime | date | None
    location: str | None
    description: str | None
    organizer: str | None
    url: str | None


@dataclass
class Analysis:
    """A mail read into lines and candidates: everything the scorer needs, nothing it decided."""

    layout: Layout
    subject: str
    sender_name: str | None
    sender_address: str | None
    sent: datetime | None
    headers: dict[str, str]
    calendar: list[CalendarItem]
    calendar_method: str | None
    mentions: list[Mention] = field(default_factory=list)
    times: list[TimeSpan] = field(default_factory=list)
    relative_deadlines: list[RelativeDeadline] = field(default_factory=list)
    cands: dict[str, list[Cand]] = field(default_factory=dict)
    mail_feats: dict[str, float] = field(default_factory=dict)
    orgs: list[tuple[int, int, int, str, str]] = field(default_factory=list)  # line, start, end, text, how found
    reply: bool = False
    forward: bool = False
    online_words: dict[str, bool] = field(default_factory=dict)  # platform, online or hybrid words anywhere


# ------------------------------------------------------------------ reading a mail


def analyse(subject: str, html: str | None, plain: str, documents: list[str], calendar: list[CalendarItem],
            calendar_method: str | None, *, sender_name: str | None, sender_address: str | None,
            sent: datetime | None, headers: dict[str, str], layout_only: bool = False) -> Analysis:
    """The mail's layout and candidates; `layout_only` for mail whose headers already say it gives no event
    (a bounce, an auto-reply, a list): its text is read for the desk, no candidate is looked for."""
    layout = read_layout(subject, html, plain, documents)
    _add_source(layout, [subject] if subject.strip() else [], "subject")
    for k, item in enumerate(calendar):
        texts = [item.summary or "", item.location or ""] + (item.description or "").split("\n")
        _add_source(layout, texts, f"calendar:{k}")
    a = Analysis(layout=layout, subject=subject, sender_name=sender_name, sender_address=(sender_address or "").lower() or None,
                 sent=sent, headers=headers, calendar=calendar, calendar_method=calendar_method)
    a.reply = bool(SUBJECT_REPLY.match(subject)) or bool(headers.get("in-reply-to")) or any(ln.quoted for ln in layout.lines)
    a.forward = bool(SUBJECT_FORWARD.match(subject)) or any(ln.forwarded for ln in layout.lines)
    if layout_only:
        return a
    _find_orgs(a)
    _find_mentions(a)
    _find_times(a)
    a.cands = {
        "title": title_cands(a),
        "place": place_cands(a),
        "registration": registration_cands(a),
        "organizer": organizer_cands(a),
        "audience": audience_cands(a),
    }
    ctx = "reply" if a.reply else ("forward" if a.forward else "plain")
    for cands in a.cands.values():
        for c in cands:
            c.srcs = tuple(k for k in c.feats if k.startswith("src:"))
            c.labelled = any(k.startswith(("label:", "src:label", "src:cell")) for k in c.feats)
            # its zone crossed with what the mail is: in a reply that corrects, its own words win over the quote
            c.feats.update({f"{k}&{ctx}": 1.0 for k in [k for k in c.feats if k.startswith("z:")]})
    a.mail_feats = mail_features(a)
    body = "\n".join(ln.text for ln in a.layout.lines if ln.zone in ("own", "forward", "quote", "document", "subject")
                     or ln.zone.startswith("calendar"))
    a.online_words = {name: bool(pattern.search(body)) for name, pattern in
                      (("platform", PLATFORM), ("online_word", ONLINE_WORD), ("hybrid", HYBRID))}
    return a


def _add_source(layout: Layout, texts: list[str], zone: str) -> None:
    source = len(layout.sources)
    pos = 0
    parts = []
    para = (layout.lines[-1].para + 1) if layout.lines else 0
    for text in texts:
        text = " ".join(text.split())
        ln = Line(index=len(layout.lines), source=source, start=pos, end=pos + len(text), text=text, para=para, zone=zone)
        ln.alone = True
        layout.lines.append(ln)
        parts.append(text)
        pos += len(text) + 1
        para += 1
    layout.sources.append("\n".join(parts))


def zone_of(ln: Line) -> str:
    z = ln.zone
    if z.startswith("calendar"):
        return "calendar"
    if ln.source > 0 and z == OWN:
        return "document"
    if z == "signature" and ln.forwarded:
        return "fwd_signature"
    if z == "signature" and ln.quoted:
        return "quote_signature"
    return z


def origin_of(ln: Line | None) -> str:
    if ln is None:
        return "header"
    z = zone_of(ln)
    return {"own": "text", "greeting": "text", "quote": "quote", "quote_signature": "quote", "forward": "forwarded",
            "fwd_header": "forwarded" if ln.forwarded else "quote", "fwd_signature": "signature", "signature": "signature",
            "subject": "subject", "calendar": "calendar", "document": "attachment", "attribution": "quote",
            "disclaimer": "signature", "footer": "signature"}.get(z, "text")


def line_feats(ln: Line, prefix: str) -> dict[str, float]:
    """What the line a candidate stands in is."""
    z = zone_of(ln)
    f = {f"{prefix}z:{z}": 1.0}
    if ln.heading:
        f[f"{prefix}heading"] = 1.0
    if ln.bold >= 0.8:
        f[f"{prefix}bold"] = 1.0
    if ln.large:
        f[f"{prefix}large"] = 1.0
    if ln.caps:
        f[f"{prefix}caps"] = 1.0
    if ln.item:
        f[f"{prefix}item"] = 1.0
    if ln.slot:
        f[f"{prefix}slot"] = 1.0
    if ln.alone:
        f[f"{prefix}alone"] = 1.0
    if ln.cells:
        f[f"{prefix}row"] = 1.0
    if ln.label:
        f[f"{prefix}label:{ln.label}"] = 1.0
    return f


SENTENCE_BREAK = re.compile(r"(?<![0-9])(?<!\bkl)(?<!\bd)(?<!\bca)(?<!\bnr)[.?!]\s+(?=[A-ZÆØÅ\"«])|[?!]\s+| \| ")


@lru_cache(maxsize=20_000)
def _breaks(text: str) -> tuple[int, ...]:
    """Where sentences (or table cells) end in a line: not after "13." of "13. oktober", nor after "kl."."""
    return tuple(m.end() for m in SENTENCE_BREAK.finditer(text))


def _near(cue: str, text: str, start: int, end: int, before: int = 60, after: int = 0) -> bool:
    """A cue of the list `cue` in the same sentence within `before` characters before (or `after` after) the span."""
    spans = cue_spans(text).get(cue)
    if not spans:
        return False
    left = max(0, start - before)
    for b in _breaks(text):
        if left < b <= start:
            left = b
    right = end + after
    for b in _breaks(text):
        if end < b <= right:
            right = b
            break
    for s, e in spans:
        if left <= s and e <= start or after and end <= s and e <= right:
            return True
    return False


def _sentence(text: str, start: int, end: int) -> str:
    """The sentence around a span."""
    a = max((b for b in _breaks(text) if b <= start), default=0)
    b = min((b for b in _breaks(text) if b > end), default=len(text))
    return text[a:b].strip()


def para_text(a: Analysis, ln: Line) -> str:
    return " ".join(x.text for x in a.layout.lines if x.para == ln.para and x.source == ln.source)


@lru_cache(maxsize=50_000)
def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold()))


def norm(value: object) -> str:
    return _norm(str(value or ""))




def _bin(name: str, value: float, edges: tuple[float, ...]) -> str:
    for e in edges:
        if value <= e:
            return f"{name}<={e:g}"
    return f"{name}>{edges[-1]:g}"


# ------------------------------------------------------------------ organisations


def _org_hint() -> re.Pattern:
    """Words without which no organisation pattern can match: a line lacking all of them is not read by spaCy."""
    words = set(ORGS["suffixes"]) | set(ORGS["prefixes"]) | set(ORGS["names"] + ORGS["kommuner"] + ORGS["regioner"])
    return re.compile(r"(?<![\wæøåÆØÅ])(?:" + _trie(sorted(words)) + r")(?![\wæøåÆØÅ])")


ORG_HINT = _org_hint()


def _find_orgs(a: Analysis) -> None:
    from parsers.nlp import organisation_spans

    # only the stretches around a word a pattern needs ("Kommune", "Region", a known name) are read by spaCy,
    # all of them as one text: reading every line, or a call per line, costs more than the rest of the extractor
    pieces: list[tuple[Line, int, str]] = []
    for ln in a.layout.lines:
        text = ln.text
        if not text or ln.zone in ("disclaimer", "footer", "attribution"):
            continue
        windows: list[list[int]] = []
        for m in ORG_HINT.finditer(text):
            lo, hi = max(0, m.start() - 30), min(len(text), m.end() + 45)  # the patterns reach two words back, three on
            lo = text.rfind(" ", 0, lo) + 1 if lo > 0 else 0  # whole words at the edges
            nxt = text.find(" ", hi)
            hi = len(text) if nxt < 0 else nxt
            if windows and lo <= windows[-1][1]:
                windows[-1][1] = max(windows[-1][1], hi)
            else:
                windows.append([lo, hi])
        for lo, hi in windows:
            pieces.append((ln, lo, text[lo:hi]))
    if not pieces:
        return
    offsets = []
    pos = 0
    for _, _, piece in pieces:
        offsets.append(pos)
        pos += len(piece) + 1
    k = 0
    for start, end, name, how in organisation_spans("\n".join(p for _, _, p in pieces)):
        while k + 1 < len(pieces) and offsets[k + 1] <= start:
            k += 1
        ln, lo, piece = pieces[k]
        if end - offsets[k] <= len(piece):
            a.orgs.append((ln.index, start - offsets[k] + lo, end - offsets[k] + lo, name, how))


# ------------------------------------------------------------------ dates


def _mention_feats(a: Analysis, ln: Line, start: int, end: int, first: date, last: date | None, hit: dt.DateHit | None,
                   relative: bool) -> dict[str, float]:
    text = ln.text
    f = line_feats(ln, "")
    for cue in ("deadline", "registration", "since", "absence", "past", "cancel", "move", "tentative", "question"):
        if _near(cue, text, start, end, 50):
            f[f"cue:{cue}"] = 1.0
    if has_cue(text, "for_all"):
        f["cue:for_all"] = 1.0
    if _near("deadline", text, start, end, 25):
        f["cue:deadline_close"] = 1.0
    sentence = _sentence(text, start, end)
    if sentence.rstrip().endswith("?"):
        f["in_question"] = 1.0
    after = text[end:end + 30]
    if re.match(r"\s*,?\s*(?:kl\.?|klokken|fra|from|at)?\s*\d{1,2}(?:[.:]\d\d)?\s*(?:[-–]|til|to|am|pm|a\.m|p\.m)", after, re.I) or \
            re.match(r"\s*,?\s*(?:kl\.?|klokken)\s*\d", after, re.I):
        f["time_after"] = 1.0
    if _times(text[max(0, start - 30):start]):
        f["time_before"] = 1.0
    if ln.label == "when" or any(c.column == "when" and c.start <= start < c.end for c in ln.cells):
        f["when_label"] = 1.0
    if ln.label in ("deadline", "registration"):
        f["deadline_label"] = 1.0
    if hit is not None:
        f["has_year"] = float(hit.year is not None)
        f["weekday"] = float(hit.weekday is not None)
        if hit.weekday is not None and hit.weekday not in (first.weekday(), last.weekday() if last else None):
            f["weekday_wrong"] = 1.0
        f["worded"] = float(bool(re.search(r"[a-zæøå]{3}", hit.text[-12:], re.I)))
        if hit.week is not None:
            f["in_week"] = 1.0
    if relative:
        f["relative"] = 1.0
    if last:
        f["range"] = 1.0
    if a.sent:
        days = (first - a.sent.date()).days
        f[_bin("days", days, (-1, 6, 20, 45, 90, 200))] = 1.0
        if days > 400 or days < -400:
            f["years_away"] = 1.0
    if ln.zone == "signature" or ln.zone == "disclaimer":
        f["in_signature"] = 1.0  # a holiday, an office number, the mail's own date: not the event's
    f["week44"] = float(first.isocalendar()[1] == 44)
    if first.weekday() >= 5:
        f["weekend"] = 1.0
    if len(text) > 200:
        f["long_line"] = 1.0
    f[_bin("pos", ln.index / max(len(a.layout.lines), 1), (0.2, 0.5, 0.8))] = 1.0
    return f


NUMBERS = {"en": 1, "et": 1, "to": 2, "tre": 3, "fire": 4, "fem": 5, "seks": 6, "syv": 7, "otte": 8, "ni": 9, "ti": 10, "fjorten": 14,
           "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "ten": 10, "fourteen": 14}
RELATIVE_DEADLINE = re.compile(r"\b(?:(?P<n>\d{1,2}|" + "|".join(NUMBERS) + r")\s+(?P<unit>dage|dags|uger|ugers|days|weeks?)|"
                               r"(?P<one>dagen|ugen|the day|a week|en uge))\s+(?:før|inden|forud for|before|prior to)\b",
                               re.IGNORECASE)
_DIGITS_OR_DAY = re.compile(r"\d|dagen|ugen|day|week|uge", re.IGNORECASE)


def _find_mentions(a: Analysis) -> None:
    lines = a.layout.lines
    for ln in lines:
        if not ln.text.strip() or ln.zone == FWD_HEADER and ln.label != "title":
            continue  # a header block's "Sendt:" date is when a mail was sent
        if ln.zone == "attribution":
            continue
        absolute = _dates(ln.text)
        hits = [(h, False) for h in absolute]
        if dt.RELATIVE.search(ln.text):  # "i morgen", "på tirsdag" — unless a date follows ("på tirsdag den 27. oktober")
            hits += [(h, True) for h in dt.find_relative_dates(ln.text, a.sent)
                     if not any(d.start - 8 <= h.end and h.start <= d.end for d in absolute)]
        hits.sort(key=lambda x: x[0].start)
        k = 0
        while k < len(hits):
            hit, relative = hits[k]
            first, last, _ = dt.resolve(hit, a.sent)
            end = hit.end
            # "fra mandag den 26. oktober (kl. 10) til tirsdag den 27. oktober": one span of days
            if k + 1 < len(hits):
                nxt = hits[k + 1][0]
                between = ln.text[hit.end:nxt.start]
                if re.fullmatch(r"\s*,?\s*(?:(?:kl\.?|klokken)?\s*\d{1,2}(?:[.:]\d\d)?\s*)?(?:til|–|—|-|to|until)\s*", between, re.I):
                    f2, l2, _ = dt.resolve(nxt, a.sent)
                    if first < f2 <= first + timedelta(days=14):
                        last = l2 or f2
                        end = nxt.end
                        k += 1
            feats = _mention_feats(a, ln, hit.start, end, first, last, hit, relative)
            a.mentions.append(Mention(ln.index, hit.start, end, ln.text[hit.start:end], first, last, feats))
            k += 1
    for k, item in enumerate(a.calendar):
        if item.start is None:
            continue
        start_d = item.start.date() if isinstance(item.start, datetime) else item.start
        end_d = item.end.date() if isinstance(item.end, datetime) else item.end
        if isinstance(item.end, date) and not isinstance(item.end, datetime) and end_d:
            end_d = end_d - timedelta(days=1)  # DTEND of a DATE is exclusive
        last = end_d if end_d and end_d > start_d else None
        line = next((ln.index for ln in lines if ln.zone == f"calendar:{k}"), -1)
        feats = {"z:calendar": 1.0, "calendar": 1.0, "when_label": 1.0}
        if a.calendar_method:
            feats[f"cal_method:{a.calendar_method.lower()}"] = 1.0
        if a.sent:
            feats[_bin("days", (start_d - a.sent.date()).days, (-1, 6, 20, 45, 90, 200))] = 1.0
        feats["week44"] = float(start_d.isocalendar()[1] == 44)
        times = (item.start if isinstance(item.start, datetime) else None,
                 item.end if isinstance(item.end, datetime) else None)
        a.mentions.append(Mention(line, 0, 0, item.summary or "", start_d, last, feats, calendar=k, times=times))
    for ln in lines:
        if ln.zone not in ("own", "forward", "quote", "document") or not _DIGITS_OR_DAY.search(ln.text):
            continue
        for mm in RELATIVE_DEADLINE.finditer(ln.text):
            if mm.group("one"):
                n, unit = 1, 7 if mm.group("one").lower() in ("ugen", "a week", "en uge") else 1
            else:
                n = int(mm.group("n")) if mm.group("n").isdigit() else NUMBERS.get(mm.group("n").lower(), 0)
                unit = 7 if mm.group("unit").lower().startswith(("uge", "week")) else 1
            if not n:
                continue
            times = [t for t in _times(ln.text[mm.end():mm.end() + 16]) if t.start < 8 and t.end_hour is None]
            feats = line_feats(ln, "")
            for cue in ("deadline", "registration", "cancel", "move", "absence"):
                if _near(cue, ln.text, mm.start(), mm.end(), 50):
                    feats[f"cue:{cue}"] = 1.0
            if times:
                feats["time_after"] = 1.0
            a.relative_deadlines.append(RelativeDeadline(ln.index, mm.start(), mm.end(), mm.group(0), n * unit,
                                                         (times[0].hour, times[0].minute) if times else None, feats))
    # how often each day is named, and in which zones
    days: dict[date, int] = {}
    for m in a.mentions:
        days[m.first] = days.get(m.first, 0) + 1
    own_days = {m.first for m in a.mentions if m.feats.get("z:own") or m.feats.get("z:forward")}
    for m in a.mentions:
        m.feats["repeated"] = float(days[m.first] > 1)
        m.feats[_bin("own_days", len(own_days), (0, 1, 2, 4))] = 1.0
        later = [x for x in a.mentions if x.first > m.first and (x.feats.get("when_label") or x.feats.get("time_after"))]
        if later:
            m.feats["before_a_timed_date"] = 1.0


# ------------------------------------------------------------------ times


SLOT_TIME = re.compile(r"^\s*(?:kl\.?\s*)?(?P<t>(?P<h1>[01]?\d|2[0-3])[.:](?P<m1>[0-5]\d)"
                       r"(?:\s*[-–—]\s*(?P<h2>[01]?\d|2[0-3])[.:](?P<m2>[0-5]\d))?)", re.IGNORECASE)


def _find_times(a: Analysis) -> None:
    for ln in a.layout.lines:
        if not ln.text.strip() or ln.zone in (FWD_HEADER, "attribution"):
            continue
        labelled = ln.label == "when" or any(c.column == "when" for c in ln.cells)
        hits = list(dt.find_times(ln.text, labelled=labelled or ln.slot))
        if ln.slot and not any(t.start <= 8 for t in hits):  # "13.00 Velkomst": a programme's slot
            m = SLOT_TIME.match(ln.text)
            if m:
                h2 = int(m.group("h2")) if m.group("h2") else None
                hits.insert(0, dt.TimeHit(m.start("h1"), m.end("t"), m.group("t"), int(m.group("h1")), int(m.group("m1")),
                                          h2, int(m.group("m2")) if h2 is not None else None, True))
        for t in hits:
            f = line_feats(ln, "")
            text = ln.text
            for cue in ("start", "arrival", "end", "deadline", "after_end", "noon"):
                if _near(cue, text, t.start, t.end, 35):
                    f[f"cue:{cue}"] = 1.0
            if _near("after_end", text, t.start, t.end, 0, after=40):
                f["cue:after_end_after"] = 1.0
            if _near("arrival", text, t.start, t.end, 0, after=40):
                f["cue:arrival_after"] = 1.0
            if _near("end", text, t.start, t.end, 0, after=30):
                f["cue:end_after"] = 1.0
            if t.end_hour is not None:
                f["range"] = 1.0
            if re.match(r"(?:kl|klokken)", t.text, re.I):
                f["kl"] = 1.0
            if ln.slot and t.start <= 8:
                f["slot_time"] = 1.0
            f[_bin("hour", t.hour, (6, 8, 11, 13, 16, 19))] = 1.0
            if labelled:
                f["when_label"] = 1.0
            a.times.append(TimeSpan(ln.index, t.start, t.end, t.text, t.hour, t.minute, t.end_hour, t.end_minute, f))
        for s0, e0 in cue_spans(ln.text).get("noon", ()):  # "fra kl. 9 til middag"
            f = line_feats(ln, "")
            f["noon"] = 1.0
            a.times.append(TimeSpan(ln.index, s0, e0, ln.text[s0:e0], 12, 0, None, None, f))


# ------------------------------------------------------------------ titles


def clean_subject(subject: str) -> str:
    s = SUBJECT_PREFIX.sub("", subject or "").strip()
    s = KONTAKT_SUBJECT.sub("", s).strip()
    return s


def _strip_title(text: str) -> str:
    text = re.sub(r"^\s*(?:[•·▪◦●■*\-–]|\d{1,2}[.)])\s+", "", text)
    text = text.strip().strip("*").strip()
    if len(text) >= 2 and text[0] in "\"'«“”„" and text[-1] in "\"'»“”":
        text = text[1:-1].strip()
    return text.rstrip(" :;,–-").strip()


def _sentence_case(text: str) -> str:
    """An ALL-CAPS heading as a title is written."""
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 6 and sum(c.isupper() for c in letters) >= 0.8 * len(letters):
        lowered = text.lower()
        return lowered[0].upper() + lowered[1:]
    return text


@lru_cache(maxsize=20_000)
def _title_form(value: str) -> dict[str, float]:  # cached: read-only, copied by callers
    f: dict[str, float] = {}
    words = value.split()
    f[_bin("t_words", len(words), (1, 2, 4, 8, 14, 25))] = 1.0
    if value.endswith((".", "!")):
        f["t_ends_stop"] = 1.0
    if value.endswith("?"):
        f["t_ends_q"] = 1.0
    if re.search(r"[.!?]\s+[A-ZÆØÅ]", value):
        f["t_two_sentences"] = 1.0
    if _dates(value):
        f["t_has_date"] = 1.0
    if _times(value):
        f["t_has_time"] = 1.0
    if URL.search(value) or EMAIL.search(value):
        f["t_has_link"] = 1.0
    if POSTCODE_TOWN.search(value) or STREET.search(value) and "," in value:
        f["t_has_address"] = 1.0
        if POSTCODE_TOWN.search(value) and STREET.search(value):
            f["t_full_address"] = 1.0
    if LEDELSESUGEN.search(value):
        f["t_ledelsesugen"] = 1.0
    if value[:1].islower():
        f["t_lower_start"] = 1.0
    if ":" in value:
        f["t_colon"] = 1.0
    if " – " in value or " - " in value:
        f["t_dash"] = 1.0
    if has_cue(value, "offer") or has_cue(value, "question"):
        f["t_request_words"] = 1.0
    if re.match(r"^(?:vi|jeg|we|i|der|det|hermed|her)\b", value, re.I):
        f["t_pronoun_start"] = 1.0
    if has_cue(value, "registration") or has_cue(value.split(":")[0], "deadline"):
        f["t_reg_words"] = 1.0
    if PLATFORM.search(value) or ONLINE_WORD.search(value):
        f["t_online_words"] = 1.0
    if VENUE.search(value):
        f["t_venue_words"] = 1.0
    if re.fullmatch(r"[\W\d]*", value):
        f["t_no_letters"] = 1.0
    if value.strip(" :").lower() in LABEL_WORDS:
        f["t_label_word"] = 1.0
    if value.startswith(("(", "[")):
        f["t_paren_start"] = 1.0
    f[_bin("t_chars", len(value), (10, 20, 40, 70, 110))] = 1.0
    caps = sum(w[:1].isupper() for w in words)
    if words:
        f[_bin("t_caps_share", caps / len(words), (0.2, 0.5, 0.8))] = 1.0
    f[_bin("t_commas", value.count(","), (0, 1, 2))] = 1.0
    if GREETING_START.match(value):
        f["t_greeting"] = 1.0
    if ASKS_READER.match(value):
        f["t_asks_reader"] = 1.0
    return f


def title_cands(a: Analysis) -> list[Cand]:
    out: list[Cand] = []
    lines = a.layout.lines
    subject = clean_subject(a.subject)
    subject_n = norm(subject)
    subject_words = set(norm(_subject_core(subject)).split()) - STOPWORDS
    org_lines = {}
    for li, s, e, name, how in a.orgs:
        org_lines.setdefault(li, []).append((s, e, name))

    def add(value: str, evidence: str, ln: Line, pos: int, kind: str, extra: dict | None = None) -> None:
        value = _strip_title(value)
        if not value or len(value) > 200 or len(value) < 3:
            return
        if KONTAKT_SUBJECT.search(evidence):
            return  # kontakt's own receipt or decision: never an event's title
        if ln.zone == "greeting" or value.strip(" :").lower() in LABEL_WORDS or GREETING_START.match(value):
            return  # "Kære alle", "Tid og sted": the mail's form, not a name
        if URL.search(value) or EMAIL.search(value) or BARE_URL.search(value) or LEADING_WHEN.match(value) or \
                LINKISH.search(value):
            return  # a link, or a line that starts with its time, is not what an event is called
        if value.endswith("?") and ASKS_READER.match(value):
            return  # "Kan I tage den med i programmet?": a request to the reader
        if VERB_START.match(value):
            return  # "inviterer Aarhus Universitet til …": the middle of a sentence
        if value.endswith(".") and len(value.split()) >= 5 or value.startswith("(") or ln.slot:
            return  # a sentence, a parenthesis or a programme's slot: not what the event is called
        if value.lower() in BOILERPLATE_SET:
            return  # "Arrangement i Ledelsesugen": nothing but words about the mail
        rest = value
        for h in sorted([*_dates(value), *_times(value)], key=lambda h: -h.start):
            rest = rest[:h.start] + rest[h.end:]
        if len(re.findall(r"[A-Za-zÆØÅæøå]", WHEN_WORDS.sub("", rest))) < 3:
            return  # "27-10-2026 kl. 9:00 - 12:00": only when, no name
        bare = _without_boilerplate(value)
        if bare != value:
            if len(bare) < 4:
                return  # "Arrangement i Ledelsesugen": nothing but words about the mail
            value = bare  # "Save the date: …", "Invitation: …": words about the mail
        f = line_feats(ln, "")
        f[f"src:{kind}"] = 1.0
        f.update(_title_form(value))
        vn = norm(value)
        if subject_words and vn:
            words = set(vn.split()) - STOPWORDS
            if words:
                share = len(words & subject_words) / len(words)
                f[_bin("t_subject_share", share, (0.0, 0.3, 0.6, 0.99))] = 1.0
                cover = len(words & subject_words) / len(subject_words)
                f[_bin("t_subject_cover", cover, (0.0, 0.3, 0.6, 0.99))] = 1.0
        if subject_n and vn:
            if vn == subject_n:
                f["t_is_subject"] = 1.0
            elif vn in subject_n:
                f["t_in_subject"] = 1.0
            elif subject_n in vn:
                f["t_has_subject"] = 1.0
        if any(norm(n) == vn for _, _, n in org_lines.get(ln.index, [])):
            f["t_is_org"] = 1.0
        if extra:
            f.update(extra)
        shown = _sentence_case(value)
        out.append(Cand("title", shown[:1].upper() + shown[1:], evidence, ln.index, ln.start + pos, f, origin_of(ln), vn))

    for ln in lines:
        text = ln.text
        if not text.strip() or ln.zone in ("signature", "disclaimer", "footer", "attribution") and not ln.forwarded:
            continue
        z = ln.zone
        if z.startswith("calendar"):
            if text and ln.index == next(x.index for x in lines if x.zone == z):
                add(text, text, ln, 0, "cal_summary")
            continue
        if z == "subject":
            add(subject, text, ln, 0, "subject")
            bare = _subject_core(subject)
            if bare and bare != subject:
                add(bare, text, ln, 0, "subject_core")
            continue
        if z == FWD_HEADER:
            if ln.label == "title":  # "Emne: …" of a forwarded original
                value = clean_subject(ln.value)
                add(value, ln.value, ln, ln.value_start, "fwd_subject")
                bare = _subject_core(value)
                if bare and bare != value:
                    add(bare, ln.value, ln, ln.value_start, "fwd_subject_core")
            continue
        if ln.label and ln.label != "other":
            if ln.label == "title":
                add(ln.value, ln.value, ln, ln.value_start, "label_title")
            continue
        for cell in ln.cells:
            ctext = text[cell.start:cell.end]
            if cell.column in (None, "title") and not _dates(ctext) and not _times(ctext):
                add(ctext, ctext, ln, cell.start, "cell_title" if cell.column == "title" else "cell")
                _title_parts(add, ctext, ln, cell.start, "cell_part")
        if ln.cells or ln.header_row:
            continue
        if ln.label == "other":  # "Ledelsessalon: Ledelse i krydspres", "Tema: …"
            add(text, text, ln, 0, "label_other_whole")
            add(ln.value, ln.value, ln, ln.value_start, "label_other_value", {"label_words": float(len(ln.label_text.split()))})
            continue
        short = len(text) <= 160
        nxt = lines[ln.index + 1] if ln.index + 1 < len(lines) else None
        # a line that stands as a title: a heading, bold, a paragraph of its own, a list item, or the first line
        # of a paragraph whose next line is a label, a date or a slot (a block that starts with its name)
        leads = nxt is not None and nxt.para == ln.para and (nxt.label or nxt.slot or nxt.cells or _dates(nxt.text)) \
            and (ln.index == 0 or lines[ln.index - 1].para != ln.para)
        introduces = text.rstrip().endswith(":")  # "Vores to bidrag til programmet:" introduces what follows
        if short and not introduces and (ln.heading or ln.bold >= 0.8 or ln.caps or ln.large or ln.alone or ln.item or leads):
            add(text, text, ln, 0, "line" if not leads else "line_leads")
        prose = text.rstrip().endswith(".") and len(text.split()) > 8
        dated = len(text) <= 100 and bool(_dates(text) or _times(text))
        if ln.item or (40 < len(text) <= 140 and (ln.alone or ln.heading or ln.bold >= 0.8) or dated) and not prose:
            _title_parts(add, text, ln, 0, "part")  # a listing line; prose gives its title by verbs and quotes
        for m in QUOTED.finditer(text):
            add(m.group("q"), m.group("q"), ln, m.start("q"), "quoted")
        for m in VERB_TITLE.finditer(text):
            piece = _cut_at_date(m.group("t"))
            add(piece, piece, ln, m.start("t"), "verb")
    _title_context(out)
    return out


VERB_TITLE = re.compile(r"\b(?:inviterer|invites?|afholder|holder|arrangerer|indbyder|hosts?|holds?)\s+"
                        r"(?:(?:\w+\s+){0,5}?(?:til|to|på)\s+)?(?:(?:et|en|vores|an?|our|the|et åbent|en åben)\s+)?"
                        r"(?P<t>[^.,;!?\n]{6,120})", re.IGNORECASE)


def _title_parts(add, text: str, ln: Line, offset: int, kind: str) -> None:
    """Pieces of a line that holds more than the title — "Dialogcafé – mandag 26. oktober kl. 14-15.30, Aulaen",
    "Tirsdag d. 27/10 kl. 8-9: Morgenkaffe – "X". Vejle Rådhus": the stretches between its dates, times and
    separators, each offered with where it stands (before the date, after it, first or later)."""
    cuts = sorted([(h.start, h.end) for h in (*_dates(text), *_times(text))])
    cuts += [(m.start(), m.end()) for m in PART_SEPARATOR.finditer(text)]
    cuts.sort()
    pos = 0
    pieces: list[tuple[int, int, bool]] = []  # start, end, a date or time before it
    when_before = False
    for s0, e0 in cuts:
        if s0 > pos:
            pieces.append((pos, s0, when_before))
        if (s0, e0) in [(h.start, h.end) for h in (*_dates(text), *_times(text))]:
            when_before = True
        pos = max(pos, e0)
    if pos < len(text):
        pieces.append((pos, len(text), when_before))
    pieces = [(a0, b0, w) for a0, b0, w in pieces if re.search(r"[A-Za-zÆØÅæøå]{3}", text[a0:b0])]
    if len(pieces) < 2 and not cuts:
        return
    for k, (a0, b0, w) in enumerate(pieces[:4]):
        piece = text[a0:b0].strip(" ,:;–-|")
        if not piece:
            continue
        at = text.find(piece, a0)
        part_kind = kind if k == 0 else kind + "_later"
        add(piece, piece, ln, offset + at, part_kind, {"t_part_after_when": 1.0} if w else {"t_part_before_when": 1.0})
        if ":" in piece[:40]:
            head, _, tail = piece.partition(":")
            if len(head.split()) <= 3 and tail.strip():
                add(tail, tail.strip(), ln, offset + at + len(head) + 1, kind + "_after_colon")


PART_SEPARATOR = re.compile(r"(?<=[a-zæøå0-9)\"»”])\.\s+(?=[A-ZÆØÅ])| [–—-] | \| |,\s+(?=[A-ZÆØÅ])")


def _cut_at_date(text: str) -> str:
    hits = [*_dates(text), *_times(text)]
    m = WEEKDAY_WORD.search(text)
    ends = [h.start for h in hits] + ([m.start()] if m else [])
    end = min(ends) if ends else len(text)
    piece = text[:end]
    piece = re.sub(r"\s+(?:den|d\.?|på|i|kl\.?|fra|om|the|on|at)\s*$", "", piece.strip(), flags=re.I)
    return piece


def _without_boilerplate(text: str) -> str:
    """"Save the date: Lederkonference 2026" -> "Lederkonference 2026": words about the mail, not the event."""
    s = BOILERPLATE_HEAD.sub("", text)
    return BOILERPLATE_TAIL.sub("", s).strip()


BOILERPLATE = sorted(MAILTEXT["subject_boilerplate"], key=len, reverse=True)
BOILERPLATE_SET = {w.lower() for w in BOILERPLATE}
_BOILER = "|".join(re.escape(w) for w in BOILERPLATE)
BOILERPLATE_HEAD = re.compile(rf"^\s*(?:(?:{_BOILER})\s*[:–-]\s*)+", re.IGNORECASE)
BOILERPLATE_TAIL = re.compile(rf"(?:\s*[:–-]\s*(?:{_BOILER}))+\s*$", re.IGNORECASE)
WHEN_WORDS = re.compile(r"\b(?:kl|klokken|fra|til|den|d|og|" + "|".join(re.escape(w) for w in list(dt.WEEKDAYS) + list(dt.MONTHS)
                                                                        + dt._CAL["day_parts"]) + r")\b\.?", re.IGNORECASE)
LINKISH = re.compile(r"^//|://|@|\bwww\.")
VERB_START = re.compile(r"^(?:" + "|".join(re.escape(w) for w in CUES["organiser_verbs"]) + r")\b", re.IGNORECASE)
LEADING_WHEN = re.compile(r"^\s*(?:kl\.?|klokken)?\s*\d{1,2}(?:[.:]\d\d)?\s*(?:[-–]\s*\d{1,2}(?:[.:]\d\d)?)?\s*,", re.IGNORECASE)


def subject_title(subject: str) -> str:
    """The event a subject names, without reply prefixes, boilerplate and a trailing date ("Fwd: Webinar om trivsel –
    27/10" -> "Webinar om trivsel"): the subject's candidate title."""
    return _subject_core(clean_subject(subject))


def _subject_core(subject: str) -> str:
    """The subject without boilerplate and a trailing date: "Invitation: Lederdag 27. oktober" -> "Lederdag"."""
    s = _without_boilerplate(subject)
    for lead in sorted(MAILTEXT["subject_lead_ins"], key=len, reverse=True):
        if s.lower().startswith(lead + " ") and len(s) > len(lead) + 3:
            s = s[len(lead):].strip()
            break
    hits = _dates(s)
    if hits and not s[hits[-1].end:].strip(" .,:;–-()"):
        s = s[:hits[-1].start]
    s = re.sub(r"\s*[–-]?\s*(?:(?:d\.|den)\s*)?\d{1,2}[./]\d{1,2}(?:[./]\d{2,4})?\.?\s*$", "", s)
    s = re.sub(r"\s+(?:den|d\.|på|i|om|–|-)\s*$", "", s.strip())
    s = s.strip(" :–-")
    return s[:1].upper() + s[1:] if s else s


def _title_context(out: list[Cand]) -> None:
    """How often the same title is offered, and whether it is the first heading-like line."""
    counts: dict[str, int] = {}
    for c in out:
        counts[c.norm] = counts.get(c.norm, 0) + 1
    first_line = min((c.line for c in out if c.feats.get("src:line") and c.feats.get("z:own")), default=None)
    for c in out:
        if counts[c.norm] > 1:
            c.feats["t_repeated"] = 1.0
        if c.line == first_line and c.feats.get("src:line"):
            c.feats["t_first_line"] = 1.0


# ------------------------------------------------------------------ places


@lru_cache(maxsize=20_000)
def _place_form(value: str) -> dict[str, float]:  # cached: read-only, copied by callers
    f: dict[str, float] = {}
    if POSTCODE_TOWN.search(value):
        f["p_postcode"] = 1.0
    if STREET.search(value):
        f["p_street"] = 1.0
        if street_named(value):
            f["p_street_named"] = 1.0
    if VENUE.search(value):
        f["p_venue"] = 1.0
    if PLATFORM.search(value):
        f["p_platform"] = 1.0
    if ONLINE_WORD.search(value):
        f["p_online_word"] = 1.0
    if HYBRID.search(value):
        f["p_hybrid"] = 1.0
    if _dates(value) or _times(value):
        f["p_has_when"] = 1.0
    if PHONE.search(value):
        f["p_phone"] = 1.0
    if EMAIL.search(value) or URL.search(value):
        f["p_link"] = 1.0
    words = value.split()
    f[_bin("p_words", len(words), (1, 2, 4, 8, 14))] = 1.0
    f[_bin("p_commas", value.count(","), (0, 1, 2, 3))] = 1.0
    if value[:1].islower():
        f["p_lower_start"] = 1.0
    if re.search(r"\b(?:vi|jeg|der|som|hvor|og så|we|you)\b", value, re.I):
        f["p_prose_words"] = 1.0
    if value.endswith("."):
        f["p_ends_stop"] = 1.0
    if LEDELSESUGEN.search(value):
        f["p_ledelsesugen"] = 1.0
    if has_cue(value, "to_be_announced"):
        f["p_tba"] = 1.0
    if STREET.search(value) and not POSTCODE_TOWN.search(value) and not VENUE.search(value) and len(words) <= 3:
        f["p_street_only"] = 1.0
    return f


TBA_START = re.compile(r"^(?:" + "|".join(re.escape(w) for w in CUES["to_be_announced"]) + r")\b", re.IGNORECASE)


def _clean_place(value: str) -> str:
    value = re.sub(r"\s*<[^>]+>", "", value)
    value = re.sub(r"\s*\((?:link|linket|zoom-link|teams-link|kort|map|se kort)[^)]*\)", "", value, flags=re.I)
    value = re.sub(r"^(?:på|i|hos|ved|at|in)\s+", "", value.strip(), flags=re.I)
    return value.strip(" .,;:–-")


def place_cands(a: Analysis) -> list[Cand]:
    out: list[Cand] = []
    lines = a.layout.lines

    def add(value: str, evidence: str, ln: Line, pos: int, kind: str, extra: dict | None = None) -> None:
        value = _clean_place(value)
        if not value or len(value) > 180 or not re.search(r"[A-Za-zÆØÅæøå]{2}", value):
            return
        if TBA_START.match(value):
            return  # "Sted: Følger – vi er ved at finde et lokale": no place yet
        f = line_feats(ln, "")
        f[f"src:{kind}"] = 1.0
        f.update(_place_form(value))
        if extra:
            f.update(extra)
        out.append(Cand("place", value, evidence, ln.index, ln.start + pos, f, origin_of(ln), norm(value)))
        # the same place without what trails it: "Vejle Bibliotek, … (Salen)", "X - and online via Zoom"
        for cut in (re.search(r"\s+\([^)]*\)\s*$", value),
                    re.search(r"\s*(?:\s[–-]|,|\s(?:og|and|eller|or))\s+(?:(?:eller|og|or|and|men|but)\s+)?(?:også\s+)?"
                              r"(?:online|via|streames|digitalt|virtuelt|på teams|on zoom)\b.*$", value, re.I),
                    re.search(r"(?<=[a-zæøå0-9]{2})\.\s+[A-ZÆØÅ][a-zæøå].*$", value)):
            if cut and cut.start() > 3:
                shorter = value[:cut.start()].strip(" ,.;")
                g = dict(f)
                g.update(_place_form(shorter))
                g["p_trimmed"] = 1.0
                out.append(Cand("place", shorter, evidence, ln.index, ln.start + pos, g, origin_of(ln), norm(shorter)))

    for ln in lines:
        text = ln.text
        if not text.strip() or ln.zone in ("attribution", FWD_HEADER):
            continue
        z = ln.zone
        if z.startswith("calendar"):
            first = next(x.index for x in lines if x.zone == z)
            if ln.index == first + 1 and text:
                add(text, text, ln, 0, "cal_location")
            elif ln.index > first + 1:
                _place_prose(add, ln)
            continue
        if z == "subject":
            continue
        if ln.label == "place":
            add(ln.value, ln.value, ln, ln.value_start, "label_place")
            nxt = lines[ln.index + 1] if ln.index + 1 < len(lines) else None
            if nxt and nxt.para == ln.para and not nxt.label and (POSTCODE_TOWN.search(nxt.text) or STREET.search(nxt.text)):
                both = a.layout.sources[ln.source][ln.start + ln.value_start:nxt.end]
                add(ln.value + ", " + nxt.text, both, ln, ln.value_start, "label_place_next")
            continue
        if ln.label == "when":  # "Tid og sted: 27. oktober kl. 9-12, Rådhuset"
            _place_prose(add, ln)
            pieces = [p.strip() for p in ln.value.split(",")]
            for i, p in enumerate(pieces):
                if p and not _dates(p) and not _times(p) and re.match(r"[A-ZÆØÅ]", p):
                    rest = ", ".join(pieces[i:])
                    add(rest, rest, ln, ln.value_start + ln.value.find(p), "when_label_tail")
                    break
            continue
        for cell in ln.cells:
            ctext = text[cell.start:cell.end]
            if cell.column == "place":
                add(ctext, ctext, ln, cell.start, "cell_place")
            elif POSTCODE_TOWN.search(ctext) or (street_named(ctext) and not _dates(ctext)) or VENUE.search(ctext) \
                    and len(ctext) < 80 and not _dates(ctext):
                add(ctext, ctext, ln, cell.start, "cell_address")
        if ln.cells:
            continue
        _place_prose(add, ln)
        whens = [*_dates(text), *_times(text)]
        if whens and (ln.item or ln.alone or ln.label):
            tail = text[max(h.end for h in whens):].strip(" ,.;:–-|")
            tail = re.split(r"\s+[–—-]\s+|\.\s+", tail)[0]
            if tail and re.match(r"[A-ZÆØÅ]", tail) and len(tail.split()) <= 10 and not EMAIL.search(tail):
                add(tail, tail, ln, text.find(tail), "after_when")  # "… kl. 14-15.30, Aula 12"
        has_address = POSTCODE_TOWN.search(text) or STREET.search(text) and not _dates(text) and len(text) < 90
        if has_address and not ln.label:
            add(text, text, ln, 0, "address_line")
            for seg in _address_segments(text):
                add(seg, seg, ln, text.find(seg), "address_segment")
            # a venue on the line above: "Aarhus Rådhus" / "Rådhuspladsen 2, 8000 Aarhus C"
            prev = lines[ln.index - 1] if ln.index > 0 else None
            if prev and prev.para == ln.para and prev.source == ln.source and len(prev.text) < 70 and not prev.label \
                    and not _dates(prev.text) and prev.zone == ln.zone and not PHONE.search(prev.text):
                both = a.layout.sources[ln.source][prev.start:ln.end]
                add(prev.text + ", " + text, both, prev, 0, "venue_and_address")
                prev2 = lines[ln.index - 2] if ln.index > 1 else None
                if prev2 and prev2.para == ln.para and len(prev2.text) < 70 and not prev2.label and not _dates(prev2.text) \
                        and VENUE.search(prev2.text):
                    add(prev2.text + ", " + prev.text + ", " + text, a.layout.sources[ln.source][prev2.start:ln.end],
                        prev2, 0, "venue_and_address")
            nxt = lines[ln.index + 1] if ln.index + 1 < len(lines) else None
            if nxt and nxt.para == ln.para and POSTCODE_TOWN.search(nxt.text) and not POSTCODE_TOWN.search(text) \
                    and not nxt.label:
                add(text + ", " + nxt.text, a.layout.sources[ln.source][ln.start:nxt.end], ln, 0, "address_two_lines")
        for m in PLATFORM.finditer(text):
            add(ONLINE["platforms"][m.group(1).lower()], m.group(0), ln, m.start(), "platform")
        for m in ONLINE_WORD.finditer(text):
            if m.group(1).lower() in ("online", "virtuelt", "virtuel", "virtual"):
                add(m.group(1).capitalize(), m.group(0), ln, m.start(), "online_word")
    _repeats(out)
    return out


PLACE_PROSE = re.compile(
    r"(?:(?<![\wæøå])(?:afholdes|afvikles|holdes|foregår|finder sted|mødes vi|mødes|ses vi|sker|er|is|held|takes place|meet|venue is)"
    r"\s+(?:nu\s+)?(?:(?:på|i|hos|ved|at|in)\s+)?|(?<![\wæøå])(?:på|i|hos|ved|at|in)\s+"
    r"|(?<![\wæøå])(?:flyttet|rykket|flytter|moved|relocated)\s+(?:til|to)\s+)"  # a reply's new venue
    r"(?P<place>[A-ZÆØÅ0-9][^.;!?\n|]{2,140}?)(?=\.\s|\.$|[;!?|]|\n|$| – | - |, hvor |, og |, where | and )")


PLACE_PROSE_HINT = re.compile(r"(?<![\wæøå])(?:på|i|hos|ved|at|in|afholdes|afvikles|holdes|foregår|sted|mødes|ses|vi|sker|er|is|"
                              r"held|place|meet|til|to)\s+(?:nu\s+)?(?:(?:på|i|hos|ved|at|in)\s+)?[A-ZÆØÅ0-9]")


def _place_prose(add, ln: Line) -> None:
    text = ln.text
    if not PLACE_PROSE_HINT.search(text):
        return  # no capitalised word after a preposition or a place verb: the long pattern cannot match
    for m in PLACE_PROSE.finditer(text):
        value = m.group("place")
        if _dates(value[:12]) or re.match(r"(?:uge|week)\b", value, re.I):
            continue
        verb = not re.match(r"(?:på|i|hos|ved|at|in)\s", m.group(0), re.I)
        add(value, value, ln, m.start("place"), "prose_verb" if verb else "prose_prep")
        # "på Vejle Bibliotek, Willy Sørensens Plads 1, 7100 Vejle, hvor …": cut at the town
        town = list(POSTCODE_TOWN.finditer(value))
        if town and town[-1].end() < len(value) - 2:
            add(value[:town[-1].end()], value[:town[-1].end()], ln, m.start("place"), "prose_to_town")


def _address_segments(line: str) -> list[str]:
    """The venue and address of a line that also says other things: "Tirsdag …, kl. 19-21, Folkets Hus, Vestergade 3, 6700 Esbjerg"."""
    out = []
    for sentence in re.split(r"(?<=[a-zæøå0-9])\.\s+(?=[A-ZÆØÅ])|\s+[–—-]\s+|\s+\|\s+", line):
        if not (POSTCODE_TOWN.search(sentence) or STREET.search(sentence)):
            continue
        segs = [s.strip() for s in sentence.split(",")]
        start = 0
        for i, seg in enumerate(segs):
            if _dates(seg) or _times(seg) or re.search(r"\bkl\.?\s*\d", seg, re.I):
                start = i + 1
        value = ", ".join(segs[start:]).strip(" .")
        if value and value != line:
            out.append(value)
    return out


def _repeats(out: list[Cand]) -> None:
    counts: dict[str, int] = {}
    for c in out:
        counts[c.norm] = counts.get(c.norm, 0) + 1
    for c in out:
        if counts[c.norm] > 1:
            c.feats["repeated"] = 1.0


# ------------------------------------------------------------------ registration


def registration_cands(a: Analysis) -> list[Cand]:
    out: list[Cand] = []
    sender = a.sender_address or ""
    sender_domain = sender.split("@")[-1] if "@" in sender else ""
    for ln in a.layout.lines:
        text = ln.text
        if not text.strip() or ln.zone in ("attribution", FWD_HEADER, "subject"):
            continue
        found: list[tuple[int, int, str, str]] = []
        for m in URL.finditer(text):
            found.append((m.start(), m.end(), m.group(0), "url"))
        for m in EMAIL.finditer(text):
            if not any(s <= m.start() < e for s, e, _, _ in found):
                found.append((m.start(), m.end(), m.group(0), "email"))
        for m in BARE_URL.finditer(text):
            if not any(s <= m.start() < e for s, e, _, _ in found):
                found.append((m.start(), m.end(), m.group(0), "bare_url"))
        for s, e, value, kind in found:
            value = value.rstrip(".,;:)")
            if value.lower().startswith("mailto:"):
                value = value[7:]
            f = line_feats(ln, "")
            f[f"kind:{kind}"] = 1.0
            for cue in ("registration", "deadline", "no_registration"):
                if _near(cue, text, s, e, 80):
                    f[f"cue:{cue}"] = 1.0
            if _near("registration", text, s, e, 25):
                f["cue:registration_close"] = 1.0
            if has_cue(text, "for_all"):
                f["cue:for_all"] = 1.0
            if _near("registration", text, s, e, 0, after=40):
                f["cue:registration_after"] = 1.0
            prev = a.layout.lines[ln.index - 1] if ln.index > 0 else None
            if prev is not None and prev.para == ln.para and has_cue(prev.text[-80:], "registration"):
                f["cue:registration_line_above"] = 1.0
            if text[:s].rstrip().endswith("<"):
                f["href"] = 1.0  # a link's target behind its words
            low = value.lower()
            domain = low.split("@")[-1] if kind == "email" else re.sub(r"^(?:https?://)?(?:www\.)?", "", low).split("/")[0]
            if kind == "email" and low == sender:
                f["is_sender"] = 1.0
            if sender_domain and (domain == sender_domain or domain.endswith("." + sender_domain)):
                f["sender_domain"] = 1.0
            if "ledelsesugen" in domain:
                f["ledelsesugen_domain"] = 1.0
            if kind != "email":
                path = re.sub(r"^(?:https?://)?[^/]+", "", low)
                f["url_no_path"] = float(len(path.strip("/")) == 0)
                if has_cue(path, "registration") or re.search(r"form|event|arrangement|tilmeld|signup|nemtilmeld|billet|ticket", low):
                    f["url_reg_words"] = 1.0
                if re.search(r"teams|zoom|meet\.|webex", low):
                    f["url_meeting"] = 1.0
            elif re.match(r"(?:no-?reply|info|kontakt|post|mail|hr|sekretariat)", low):
                f["generic_mailbox"] = 1.0
            out.append(Cand("registration", value, value, ln.index, ln.start + s, f, origin_of(ln), norm_reg(value)))
        # "Tilmelding til mig", "skriv til mig": the sender's own address
        if sender and has_cue(text, "registration") and has_cue(text, "to_me") and not found:
            s0, e0 = cue_spans(text)["to_me"][0]
            f = line_feats(ln, "")
            f["kind:to_me"] = 1.0
            f["is_sender"] = 1.0
            out.append(Cand("registration", sender, text[s0:e0], ln.index, ln.start + s0, f, "header", norm_reg(sender)))
    _repeats(out)
    return out


def norm_reg(value: str) -> str:
    text = (value or "").strip().casefold()
    text = re.sub(r"^mailto:", "", text)
    text = re.sub(r"^https?://", "", text)
    text = re.sub(r"^www\.", "", text)
    return text.rstrip("/.,;)")


# ------------------------------------------------------------------ organisers


def organizer_cands(a: Analysis) -> list[Cand]:
    out: list[Cand] = []
    lines = a.layout.lines

    def add(value: str, evidence: str, ln: Line | None, pos: int, kind: str, extra: dict | None = None) -> None:
        value = value.strip(" ,.;:–-")
        if not value or len(value) > 120 or LEDELSESUGEN.fullmatch(value) or value.lower() in ("ledelsesugens", "kalenderen"):
            return
        f = line_feats(ln, "") if ln is not None else {"z:header": 1.0}
        f[f"src:{kind}"] = 1.0
        if ln is not None:
            text = ln.text
            at = pos - ln.start if pos >= ln.start else 0
            if _near("organised_by", text, at, at + len(value), 40):
                f["cue:organised_by"] = 1.0
            if _near("organiser_verbs", text, at, at + len(value), 0, after=40):
                f["cue:verb_after"] = 1.0
            if _near("organiser_verbs", text, at, at + len(value), 16):
                f["cue:verb_before"] = 1.0  # "Den 27. oktober inviterer Aarhus Universitet til …"
            if ln.label == "organizer":
                f["label_org"] = 1.0
        words = value.split()
        f[_bin("o_words", len(words), (1, 2, 4, 7))] = 1.0
        if 2 <= len(words) <= 4 and all(w[:1].isupper() for w in words) and not ORG_WORDS.search(value) \
                and not re.search(r"\d", value):
            f["o_personish"] = 1.0
        if PRONOUN.match(value):
            f["o_pronoun_start"] = 1.0
        if VENUE.search(value):
            f["o_venue_words"] = 1.0
        if POSTCODE_TOWN.search(value) or STREET.search(value):
            f["o_address"] = 1.0
        if any(w in value.lower() for w in JOB_WORDS):
            f["o_job_words"] = 1.0
        if ln is not None and ln.zone == "signature":
            rank = 0
            k = ln.index - 1
            while k >= 0 and lines[k].zone == "signature" and rank < 9:
                rank += 1
                k -= 1
            f[_bin("o_sig_rank", rank, (0, 1, 2, 3, 5))] = 1.0
        if " og " in value or " & " in value:
            f["o_joint"] = 1.0
        if LEDELSESUGEN.search(value):
            f["o_ledelsesugen"] = 1.0
        if extra:
            f.update(extra)
        out.append(Cand("organizer", value, evidence, ln.index if ln is not None else -1, pos, f, origin_of(ln), norm(value)))

    for li, s, e, name, how in a.orgs:
        ln = lines[li]
        if ln.zone == "attribution":
            continue
        add(name, ln.text[s:e], ln, ln.start + s, f"org_{how}")
        # "X og Y" arrange it together
        rest = ln.text[e:]
        m = re.match(r"\s+(?:og|&|and)\s+", rest)
        if m:
            other = next(((s2, e2, n2) for l2, s2, e2, n2, _ in a.orgs if l2 == li and s2 == e + m.end()), None)
            if other:
                add(ln.text[s:other[1]], ln.text[s:other[1]], ln, ln.start + s, "org_joint")
    for ln in lines:
        text = ln.text
        if not text.strip() or ln.zone in ("attribution", "subject") or ln.zone.startswith("calendar"):
            continue
        if ln.label == "organizer":
            add(ln.value, ln.value, ln, ln.start + ln.value_start, "label_org")
        for vs, ve in cue_spans(text).get("organiser_verbs", ()):  # "Lederforum Nord inviterer …"
            before = text[:vs].rstrip()
            nps = list(PROPER.finditer(before))
            if nps and nps[-1].end() >= len(before) - 1:
                np_ = nps[-1].group(0)
                if not PRONOUN.match(np_):
                    add(np_, np_, ln, ln.start + nps[-1].start(), "verb_subject")
            # the whole clause before the verb: "Danske Fysioterapeuters ledernetværk i Region Hovedstaden holder …"
            clause_start = max(before.rfind(". "), before.rfind("! "), before.rfind("? "), before.rfind(": ")) + 2
            clause = re.sub(r"\s+[–—-]\s+[^–—]*?\s+[–—-]\s*$", "", before[max(clause_start, 0) if clause_start > 1 else 0:]).strip()
            clause = re.sub(r"\s+(?:i år|igen|også|gerne|nu|i ledelsesugen|i uge 44)(?:\s+(?:i år|igen|også|gerne))*$", "", clause,
                            flags=re.IGNORECASE)
            if clause and clause[0].isupper() and len(clause.split()) <= 9 and not PRONOUN.match(clause) \
                    and (not nps or clause != nps[-1].group(0)):
                add(clause, clause, ln, ln.start + text.find(clause), "verb_clause")
        for bs, be in cue_spans(text).get("organised_by", ()):
            after = text[be:].lstrip()
            np_ = PROPER.match(after)
            if np_:
                add(np_.group(0), np_.group(0), ln, ln.start + be + (len(text[be:]) - len(after)), "organised_by")
        for m in ORG_HEAD.finditer(text):  # "ledernetværket i Region Hovedstaden", "Netværk for sundhedschefer i Midtjylland"
            start = m.start()
            before = text[:start]
            lead = re.search(r"((?:[A-ZÆØÅ][\wæøåÆØÅ-]*s?\s+){1,3})$", before)
            if lead and not PRONOUN.match(lead.group(1)):
                start = lead.start(1)
            tail = re.match(r"(?:\s+(?:for|i|af|på|ved|under|of|for the|in)\s+(?:[\wæøåÆØÅ-]+\s+){0,3}?(?:[A-ZÆØÅ][\wæøåÆØÅ-]+)"
                            r"(?:\s+[A-ZÆØÅ][\wæøåÆØÅ-]+)*|(?:\s+[A-ZÆØÅ][\wæøåÆØÅ-]+){1,3})", text[m.end():])
            end = m.end() + (tail.end() if tail else 0)
            phrase = text[start:end]
            if len(phrase.split()) >= 2 and len(phrase) <= 90:
                add(phrase, phrase, ln, ln.start + start, "org_head")
        if ln.zone == "signature":  # "Sekretær for Netværk for …", "Formand for Lederforum Sønderjylland"
            m = re.match(r"^\s*(?P<job>[\wæøåÆØÅ-]+(?:\s+[\wæøåÆØÅ-]+){0,2})\s+(?:for|i|hos|ved|at|of|in)\s+(?P<org>.{3,90})$", text)
            if m and any(w in m.group("job").lower() for w in JOB_WORDS) and not PHONE.search(text):
                add(m.group("org"), m.group("org"), ln, ln.start + m.start("org"), "sig_role_of")
        if ln.zone == "signature" or ln.zone == "fwd_header":
            # a signature's organisation line: "HR, Vejle Kommune", "Partner | Resonans"
            if ln.zone == "signature" and not PHONE.search(text) and not EMAIL.search(text) and not URL.search(text) \
                    and not POSTCODE_TOWN.search(text) and len(text) < 70 and not CUE_CLOSING.match(text):
                parts = [p.strip() for p in re.split(r"\s*[,|·]\s*", text) if p.strip()]
                for p in parts[-2:]:
                    one_name = len(p.split()) == 1 and not p.isupper() and not ORG_WORDS.search(p)  # "Lars", a first name
                    person = PERSON_NAME.fullmatch(p) is not None and not ORG_WORDS.search(p) and not VENUE.search(p)
                    if re.match(r"[A-ZÆØÅ]", p) and not any(w in p.lower() for w in JOB_WORDS) and len(p.split()) <= 6 \
                            and not one_name and not person:
                        add(p, p, ln, ln.start + text.find(p), "sig_line")
    for h in a.layout.headers:  # "Fra: Region Syddanmark <info@…>": the forwarded original's sender, when a body
        if h.forward and h.sender_name and ORG_WORDS.search(h.sender_name) and not EMAIL.search(h.sender_name):
            add(h.sender_name, h.sender_name, lines[h.first], lines[h.first].start, "fwd_sender")
    for k, item in enumerate(a.calendar):
        if item.organizer:
            ln = next((x for x in lines if x.zone == f"calendar:{k}"), None)
            add(item.organizer, item.organizer, ln, 0, "cal_organizer")
    # the sender's domain, and the forwarded or quoted original's
    for address, kind in [(a.sender_address, "sender_domain")] + [(h.sender_address, "fwd_domain" if h.forward else "quote_domain")
                                                                  for h in a.layout.headers]:
        name = org_from_domain(address)
        if name:
            add(name, "", None, -1, kind)
    _org_context(a, out)
    return out


PERSON_NAME = re.compile(r"[A-ZÆØÅ][a-zæøåé]+(?:-[A-ZÆØÅ][a-zæøå]+)?(?:\s+[A-ZÆØÅ]\.)?(?:\s+[A-ZÆØÅ][a-zæøåé]+(?:-[A-ZÆØÅ][a-zæøå]+)?){1,3}")
PRONOUN = re.compile(r"^(?:Vi|Jeg|Der|Det|Hermed|Her|We|I|De|Den|Du|Hej|Kære|Dear|Hi|Tak|Thank|Som|Hvis|Når|Nu|Så|Også|Og|Men)\b")
ORG_HEAD = _cue(ORGS["org_heads"], stems=False)
CUE_CLOSING = re.compile(r"^\s*(?:" + "|".join(re.escape(w) for w in MAILTEXT["closings"]) + r")\b", re.IGNORECASE)
JOB_WORDS = tuple(ORGS["job_words"])
ORG_WORDS = _cue(ORGS["suffixes"] + [p.split()[0] for p in ORGS["prefixes"]] + ORGS["org_heads"] +
                 [n.split()[0] for n in ORGS["names"]])


def _fold(text: str) -> str:
    return (text.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa").replace(" ", "").replace("-", "")
            .replace(".", ""))


_DOMAINS: dict[str, str] = {}


def org_from_domain(address: str | None) -> str | None:
    """The public body a mail domain belongs to: "vejle.dk" -> "Vejle Kommune" (the table's names, and its domains)."""
    if not address or "@" not in address:
        return None
    if not _DOMAINS:
        for name in ORGS["kommuner"]:
            stem = name.replace(" Kommune", "").replace("s Regionskommune", "").replace(" Regionskommune", "")
            _DOMAINS[_fold(stem)] = name
        for domain, name in ORGS.get("domains", {}).items():
            _DOMAINS[domain] = name
    domain = address.split("@")[-1].lower()
    if domain in _DOMAINS:
        return _DOMAINS[domain]
    label = domain.split(".")[-2] if domain.count(".") >= 1 else domain
    return _DOMAINS.get(_fold(label))


def _org_context(a: Analysis, out: list[Cand]) -> None:
    counts: dict[str, int] = {}
    for c in out:
        counts[c.norm] = counts.get(c.norm, 0) + 1
    domains = {norm(org_from_domain(a.sender_address) or "")}
    fwd = {norm(org_from_domain(h.sender_address) or "") for h in a.layout.headers if h.forward}
    for c in out:
        n = counts[c.norm]
        c.feats[_bin("o_count", n, (1, 2, 4))] = 1.0
        if c.norm and c.norm in domains:
            c.feats["o_sender_domain_match"] = 1.0
        if c.norm and c.norm in fwd:
            c.feats["o_fwd_domain_match"] = 1.0
        if a.forward:
            c.feats["mail_forward"] = 1.0


# ------------------------------------------------------------------ audience


AUDIENCE_WORDS = _cue(CUES["audience_words"])
AUDIENCE_PROSE = re.compile(
    r"(?:målgruppen?\s+(?:er|for arrangementet er)|primære målgruppe er|henvender sig (?:primært |især )?til|er målrettet|målrettet|"
    r"(?:arrangementet|dagen|mødet|seminaret|webinaret|workshoppen|det) er for|er åbent? for|intended for|aimed at|open to|"
    r"(?<![\wæøå])for(?=\s+(?:alle|ledere|chefer|mellemledere|topledere|managers|leaders|medlemmer|nye))|"
    r"(?<![\wæøå])(?=alle\s+[a-zæøå]+(?:\s+[a-zæøå]+){0,6}\s+er\s+(?:hjertelig\s+|meget\s+)?velkomne))"
    r"\s*(?P<aud>[^.\n!?|]{4,160}?)(?=\s+[–-]\s|[.!?\n|]|,\s+(?:men|så|og\s+vi|hvor|der)\b|\s+er\s+(?:hjertelig\s+)?velkomne|$)",
    re.IGNORECASE)


def audience_cands(a: Analysis) -> list[Cand]:
    out: list[Cand] = []

    def add(value: str, evidence: str, ln: Line, pos: int, kind: str) -> None:
        value = value.strip(" ,.;:–-")
        if len(value) < 3 or len(value) > 200 or any(q in value for q in "\"«»“”„"):
            return  # a quotation mark inside: a title's words, not who it is for
        f = line_feats(ln, "")
        f[f"src:{kind}"] = 1.0
        words = value.split()
        f[_bin("a_words", len(words), (2, 4, 8, 14))] = 1.0
        if AUDIENCE_WORDS.search(value):
            f["a_people_words"] = 1.0
        if _dates(value) or _times(value):
            f["a_has_when"] = 1.0
        if LEDELSESUGEN.search(value):
            f["a_ledelsesugen"] = 1.0
        out.append(Cand("audience", value[:1].upper() + value[1:], evidence, ln.index, ln.start + pos, f, origin_of(ln), norm(value)))
        for cut in (re.search(r",\s+(?:men|så|og|der|som|hvor)\b.*$", value), re.search(r"\s+[–-]\s+.*$", value),
                    re.search(r"\s*\(.*$", value)):
            if cut and cut.start() > 5:
                add(value[:cut.start()], evidence, ln, pos, kind + "_cut")

    for ln in a.layout.lines:
        text = ln.text
        if not text.strip() or ln.zone in ("attribution", FWD_HEADER, "subject", "signature", "disclaimer"):
            continue
        if ln.label == "audience":
            add(ln.value, ln.value, ln, ln.value_start, "label")
            continue
        for cell in ln.cells:
            if cell.column == "audience":
                add(text[cell.start:cell.end], text[cell.start:cell.end], ln, cell.start, "cell")
        for m in AUDIENCE_PROSE.finditer(text):
            if QUOTED.search(text[max(0, m.start() - 60):m.start()] + "«") and text[:m.start()].count("«") > text[:m.start()].count("»"):
                continue
            add(m.group("aud"), m.group("aud"), ln, m.start("aud"), "prose")
    return out


# ------------------------------------------------------------------ the mail as a whole


def mail_features(a: Analysis) -> dict[str, float]:
    """What kind of mail this is, from its headers, structure and words (the kind model's input)."""
    h = a.headers
    f: dict[str, float] = {"bias": 1.0}
    subject = a.subject.lower()
    auto = h.get("auto-submitted", "no").strip().lower()
    if auto not in ("", "no"):
        f["h:auto_submitted"] = 1.0
        f[f"h:auto:{auto.split(';')[0][:20]}"] = 1.0
    for name in ("x-auto-response-suppress", "x-autoreply", "x-autorespond", "list-id", "list-unsubscribe"):
        if name in h:
            f[f"h:{name}"] = 1.0
    prec = h.get("precedence", "").lower().strip()
    if prec:
        f[f"h:precedence:{prec[:12]}"] = 1.0
    ctype = h.get("content-type", "").lower()
    if "multipart/report" in ctype:
        f["h:report"] = 1.0
        if "delivery-status" in ctype:
            f["h:report_delivery"] = 1.0
        if "disposition-notification" in ctype:
            f["h:report_read"] = 1.0
    sender = (a.sender_address or "") + " " + (a.sender_name or "")
    if re.search(r"mailer-daemon|postmaster|mail delivery", sender, re.I):
        f["h:daemon"] = 1.0
    if re.search(r"no-?reply|donotreply|noreply", sender, re.I):
        f["h:noreply"] = 1.0
    if a.reply:
        f["reply"] = 1.0
    if h.get("in-reply-to") or h.get("references"):
        f["threaded"] = 1.0
    if a.forward:
        f["forward"] = 1.0
    if a.calendar:
        f["calendar"] = 1.0
    if a.calendar_method:
        f[f"cal_method:{a.calendar_method.lower()}"] = 1.0
    for name in ("calendar_response_subject", "read_receipt_subject", "cancel_subject"):
        if has_cue(subject, name):
            f[f"s:{name}"] = 1.0
    for key in ("auto_reply_subject", "bounce_subject"):
        if any(w in subject for w in KINDS[key]):
            f[f"s:{key}"] = 1.0
    own = [ln for ln in a.layout.lines if ln.zone in (OWN, "greeting") and ln.source == 0]
    own_text = "\n".join(ln.text for ln in own)
    low = own_text.lower()
    own_cues = cue_spans(low)
    f[_bin("own_chars", len(own_text), (0, 80, 300, 1000, 3000))] = 1.0
    for name in ("cancel", "move", "question", "thanks", "offer", "request_material", "rsvp", "private", "tentative", "internal",
                 "unsubscribe", "newsletter", "marketing", "press", "phishing", "journalist", "absence", "registration", "past",
                 "not_public", "visit_request", "inquiry"):
        n = len(own_cues.get(name, ()))
        if n:
            f[f"w:{name}"] = 1.0
            if n >= 3:
                f[f"w:{name}_many"] = 1.0
        if has_cue(subject, name):
            f[f"sw:{name}"] = 1.0
    for key in ("auto_reply_body", "newsletter_body"):
        if any(w in low for w in KINDS[key]):
            f[f"w:{key}"] = 1.0
    q = own_text.count("?")
    if q:
        f[_bin("questions", q, (1, 2, 4))] = 1.0
    if not own_text.strip():
        f["own_empty"] = 1.0
    if any(ln.zone == "quote" for ln in a.layout.lines):
        f["has_quote"] = 1.0
    if any(ln.zone == "forward" for ln in a.layout.lines):
        f["has_forward_body"] = 1.0
    if any(ln.source > 0 and not ln.zone.startswith("calendar") and ln.zone != "subject" for ln in a.layout.lines):
        f["has_document"] = 1.0
    if a.sent:
        f[_bin("sent_month", a.sent.month, (3, 6, 8, 9, 10, 11))] = 1.0
    if KONTAKT_SUBJECT.search(a.subject):
        f["kontakt_subject"] = 1.0
    return f


KINDS = json.loads((_P / "kinds.json").read_text(encoding="utf-8"))
