"""Finding each field of an event in the lines of a mail.

Each finder returns a `Found(value, evidence, confidence)` or None. Evidence is
always a substring of the text the lines come from. Labels ("Sted:") are the
strongest signal; prose patterns ("afholdes på …") come next; the subject and
the signature are last resorts.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from parsers.clean import Line
from parsers.danish_time import MONTHS, find_dates, find_times

_P = Path(__file__).parent / "patterns"
LABELS: dict[str, list[str]] = {k: v for k, v in json.loads((_P / "labels.json").read_text(encoding="utf-8")).items()
                                if not k.startswith("_")}
ONLINE = json.loads((_P / "online.json").read_text(encoding="utf-8"))
MAILTEXT = json.loads((_P / "mailtext.json").read_text(encoding="utf-8"))

URL = re.compile(r"(?:https?://|www\.)[^\s<>()\"'»]+[^\s<>()\"'».,;:!?]", re.IGNORECASE)
BARE_URL = re.compile(r"(?<![@\w.])(?:[a-z0-9-]+\.)+(?:dk|com|org|net|eu|nu|info|io)/[^\s<>()\"']*[^\s<>()\"'.,;:!?]", re.IGNORECASE)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}", re.IGNORECASE)
# a postcode and its town; a year after a month ("29. oktober 2026 Kl. 9") is neither
_NOT_AFTER_MONTH = "".join(f"(?<!{re.escape(w)} )(?<!{re.escape(w)}\\. )" for m in MONTHS for w in (m, m.capitalize()))
POSTCODE_TOWN = re.compile(r"\b(?=\d{4}\s)" + _NOT_AFTER_MONTH + r"\d{4}\s+(?!Kl\b)[A-ZÆØÅ][\wæøåÆØÅ.-]+(?:\s+[A-ZÆØÅ][\wæøå.-]*)?")
STREET_NUMBER = re.compile(r"\b[A-ZÆØÅ][\wæøåÆØÅ.-]+(?:\s+[\wæøåÆØÅ.-]+){0,3}\s+\d{1,4}[A-Za-z]?\b")
_PLATFORM_ANY = re.compile(r"\b(" + "|".join(re.escape(k) for k in sorted(ONLINE["platforms"], key=len, reverse=True)) + r")\b", re.IGNORECASE)


class _PlatformFinder:
    """Platform names; a word that is also everyday Danish needs its context (see online.json)."""

    def search(self, text: str) -> re.Match | None:
        for m in _PLATFORM_ANY.finditer(text):
            word = m.group(1).lower()
            context = ONLINE["platform_context"].get(word)
            if context is None:
                return m
            before = text[max(0, m.start() - 12):m.start()].lower().split()
            compound = text[m.end():m.end() + 1] == "-" or text[m.end():m.end() + 4].lower() == "møde"
            if m.group(1)[0].isupper() and (compound or (before and before[-1] in context)):
                return m
        return None


PLATFORM = _PlatformFinder()
ONLINE_WORD = re.compile(r"\b(" + "|".join(re.escape(k) for k in sorted(ONLINE["online_words"], key=len, reverse=True)) + r")\b", re.IGNORECASE)
HYBRID = re.compile("|".join(re.escape(k) for k in sorted(ONLINE["hybrid_words"], key=len, reverse=True)), re.IGNORECASE)


@dataclass
class Found:
    value: object
    evidence: str
    confidence: float


def label_of(line: str) -> tuple[str, str, str] | None:
    """(field, label as written, value) for a 'Label: value' line."""
    m = re.match(r"^\s*[*•\-–]?\s*([A-ZÆØÅa-zæøå][\wæøåÆØÅ /&-]{1,40}?)\s*:\s*(.+?)\s*$", line)
    if not m:
        return None
    label = m.group(1).strip().lower().rstrip("*")
    for field_name, words in LABELS.items():
        if label in words:
            return field_name, m.group(1), m.group(2).strip().strip("*").strip()
    return None


def labelled(lines: list[Line], field_name: str) -> tuple[Line, str] | None:
    for ln in lines:
        hit = label_of(ln.text)
        if hit and hit[0] == field_name:
            return ln, hit[2]
    return None


# ---------------------------------------------------------------- title

SUBJECT_PREFIX = re.compile(r"^\s*(?:(?:" + "|".join(MAILTEXT["subject_prefixes"]) + r")\s*:\s*)+", re.IGNORECASE)
NUMBERING = re.compile(r"^\s*(?:\d{1,2}[).]|[•*\-–]|[A-Za-z]\))\s+")


REQUEST = re.compile("|".join(re.escape(w) for w in MAILTEXT["request_phrases"]), re.IGNORECASE)
SUBJECT_BOILERPLATE = {w.lower() for w in MAILTEXT["subject_boilerplate"]}
TITLE_STOP = {"i", "på", "den", "d.", "kl.", "kl", "fra", "til", "for", "med", "og", "om", "hos", "ved", "den", "som"}
_WEEKDAY_OR_DATE = r"(?:mandag|tirsdag|onsdag|torsdag|fredag|lørdag|søndag|den|d\.|\d)"
TITLE_FROM_VERB = re.compile(
    r"\b(?:vi afholder|vi holder|inviterer(?:\s+[A-ZÆØÅ][\wæøå-]*){0,4}\s+til|afholder|arrangerer)\s+"
    r"(?:(?:et|en|vores|et åbent|en åben)\s+)?"
    r"(?P<title>[a-zæøå][\wæøå-]*(?:\s+(?!" + _WEEKDAY_OR_DATE + r")[\wæøå-]+){0,6}?)"
    r"(?=\s+" + _WEEKDAY_OR_DATE + r"|\s+(?:fra|kl\.?)\s|[,.]|$)", re.IGNORECASE)


def without_boilerplate(text: str) -> str:
    """"Save the date: Lederkonference 2026" -> "Lederkonference 2026" (words about the mail, not the event)."""
    for phrase in sorted(MAILTEXT["subject_boilerplate"], key=len, reverse=True):
        text = re.sub(rf"^\s*{re.escape(phrase)}\s*[:–-]\s*", "", text, flags=re.IGNORECASE)
        text = re.sub(rf"\s*[:–-]\s*{re.escape(phrase)}\s*$", "", text, flags=re.IGNORECASE)
    return text


def clean_subject(subject: str) -> str:
    s = SUBJECT_PREFIX.sub("", subject or "").strip()
    s = re.sub(r"\s*[–-]?\s*(?:(?:d\.|den)\s*)?\d{1,2}[./]\d{1,2}(?:[./]\d{2,4})?\s*$", "", s)  # "– 30.10", "d. 27/10"
    s = _without_trailing_date(s)  # "Lederfrokost 29. oktober", "Inspirationsdag 27.-28. oktober"
    s = without_boilerplate(s)
    for lead in sorted(MAILTEXT["subject_lead_ins"], key=len, reverse=True):  # "Invitation til lederdag" -> "Lederdag"
        if s.lower().startswith(lead + " ") and len(s) > len(lead) + 3:
            s = s[len(lead):].strip()
            s = s[0].upper() + s[1:]
            break
    return s.strip(" :–-")


def _without_trailing_date(text: str) -> str:
    hits = find_dates(text)
    if not hits or text[hits[-1].end:].strip(" .,:;–-") or len(re.findall(r"[^\W\d]{3,}", text[:hits[-1].start])) < 1:
        return text
    return text[:hits[-1].start].rstrip(" ,:;–-")


QUOTES = "\"'”“„«»‘’"
TITLE_PROSE = re.compile(
    r"\b(?:(?:titlen|arbejdstitlen|titel(?:en)?|overskriften)\s+(?:er|bliver|lyder)\s*:?|"
    r"(?:webinaret|konferencen|arrangementet|seminaret|mødet|workshoppen|foredraget|temadagen|kurset|debatten|"
    r"morgenmødet|netværksmødet|dialogmødet))\s*[\"”“„«](?P<title>[^\"”“„«»\n]{4,160})[\"”“»]",
    re.IGNORECASE)
CONTINUES = re.compile(r"^\s*[a-zæøå(]")


def heading_text(line: str) -> str:
    return NUMBERING.sub("", line).strip().strip(QUOTES).strip()


def is_heading(lines: list[Line], i: int) -> bool:
    """A line standing like a title: starts a paragraph, short, not a sentence, not wrapped into the next line."""
    text = heading_text(lines[i].text)
    if not (6 <= len(text) <= 160) or len(text.split()) < 2:
        return False
    if text[-1] in ".,;:!" or text.endswith("…") or label_of(text) or EMAIL.search(text) or URL.search(text):
        return False
    if lines[i].role not in ("body", "quote") or text.split()[-1].lower() in ("og", "i", "på", "for", "til", "et", "en", "af", "med", "at"):
        return False
    if find_dates(text) or find_times(text) or re.search(r"[.!]\s+[A-ZÆØÅ]", text):  # dates, or two sentences
        return False
    numbered = NUMBERING.match(lines[i].text) is not None
    before_blank = i == 0 or not lines[i - 1].text.strip() or numbered or lines[i].paragraph
    nxt = lines[i + 1].text if i + 1 < len(lines) else ""
    wrapped = bool(nxt.strip()) and CONTINUES.match(nxt) is not None and len(lines[i].text) > 55
    return before_blank and not wrapped


def find_title(lines: list[Line], anchor_index: int | None, subject: str) -> Found | None:
    hit = labelled(lines, "title")
    if hit:
        return Found(hit[1], hit[1], 0.9)
    for ln in lines:
        m = TITLE_PROSE.search(ln.text)
        if m:
            return Found(m.group("title").strip(), m.group("title"), 0.7)
    from parsers.nlp import organisations

    limit = anchor_index if anchor_index is not None else len(lines)
    candidates = [i for i in range(min(limit + 1, len(lines))) if is_heading(lines, i)
                  and not REQUEST.search(lines[i].text + " ")]  # "Kan den komme med i programmet?" asks, not names
    if any(lines[i].forwarded for i in candidates):  # in a forward, the forwarded mail's own words count
        candidates = [i for i in candidates if lines[i].forwarded]
    headings = [without_boilerplate(heading_text(lines[i].text)) for i in candidates]
    # a line that only names the organiser, or a kicker naming the week itself, is not the event's title
    titles = [h for h in headings if not any(o.text == h for o in organisations(h))]
    titles = [h for h in titles if "ledelsesugen" not in h.lower()] or titles
    if titles:
        return Found(titles[0], titles[0], 0.75)
    for ln in lines:  # "Vi afholder et frokostmøde om digital ledelse torsdag …"
        m = TITLE_FROM_VERB.search(ln.text)
        if m:
            words = m.group("title").split()
            while words and (words[-1].lower() in TITLE_STOP or re.fullmatch(r"[\d.]+", words[-1])):
                words.pop()
            if len(words) >= 2:
                title = " ".join(words)
                named = clean_subject(subject)
                # "Lederfrokost" + "… for alle ledere": the subject names it; "… om digital ledelse" names its topic
                if named and title.lower().startswith(named.lower()) and not re.match(r"\s+om\s", title[len(named):]):
                    return Found(named, subject, 0.55)
                return Found(title[0].upper() + title[1:], title, 0.5)
    s = clean_subject(subject)
    if re.search(r"[a-zæøå]{3}", s, re.IGNORECASE) and s.lower() not in SUBJECT_BOILERPLATE:
        return Found(s, subject, 0.45)
    return None


# ---------------------------------------------------------------- place and online

PLACE_PROSE = re.compile(
    r"\b(?:afholdes|afvikles|holdes|foregår|finder sted|mødes vi|sker|er)\s+(?:nu\s+)?(?:på|i|hos)\s+"
    r"(?P<place>(?:[A-ZÆØÅ0-9][^.;!?\n]*?|[a-zæøå]+\s+[A-ZÆØÅ][^.;!?\n]*?))(?=\.\s|\.$|[;!?]|\n|$| – | - |, hvor |, og )",
)


def _strip_place(value: str) -> str:
    value = re.sub(r"\s*\((?:link|linket|zoom-link|teams-link)[^)]*\)\s*$", "", value, flags=re.IGNORECASE)
    value = re.sub(r"^(?:på|i|hos)\s+", "", value.strip())
    return value.strip(" .,;–-")


def looks_like_address(text: str) -> bool:
    return bool(POSTCODE_TOWN.search(text) or STREET_NUMBER.search(text))


PLACE_AFTER_WHEN = re.compile(
    r"\b(?:afholdes|afvikles|holdes|foregår|finder sted|mødes vi|ses vi)\b.{0,80}?\s(?:på|i|hos)\s+"
    r"(?P<place>[A-ZÆØÅ][^;!?\n]*?\b\d{4}\s+[A-ZÆØÅ][\wæøåÆØÅ-]+(?:\s+[A-ZÆØÅ][\wæøå]*)?)"
)
# a venue and its street and number after "på/i/hos", the number not a date or a time ("27.10", "13:00")
VENUE_AND_STREET = re.compile(
    r"(?:^|\s)(?:på|i|hos)\s+(?P<place>[A-ZÆØÅ][\wæøåÆØÅ.-]*(?:\s+[\wæøåÆØÅ.-]+){0,4},\s*"
    r"[A-ZÆØÅ][\wæøåÆØÅ.-]+(?:\s+[\wæøåÆØÅ.-]+){0,2}\s+\d{1,4}[A-Za-z]?(?![\d:/]|\.\d)"
    r"(?:,\s*\d{4}\s+[A-ZÆØÅ][\wæøåÆØÅ-]+(?:\s+[A-ZÆØÅ][\wæøå-]*)?)?)")
ADDRESS_AFTER_PREP = re.compile(r"(?:^|\s)(?:på|i|hos)\s+(?P<place>[A-ZÆØÅ][^;!?\n]*?\b\d{4}\s+[A-ZÆØÅ][\wæøåÆØÅ-]+(?:\s+[A-ZÆØÅ][\wæøå]*)?)")


def _ends_with_town(text: str) -> bool:
    found = list(POSTCODE_TOWN.finditer(text))
    return bool(found) and not text[found[-1].end():].strip(" .")


def paragraphs(lines: list[Line]) -> list[Line]:
    """Hard-wrapped lines joined into paragraphs (a sentence often runs over two lines)."""
    out: list[Line] = []
    for ln in lines:
        if out and ln.text.strip() and out[-1].text.strip() and ln.start == out[-1].start + len(out[-1].text) + 1 \
                and len(out[-1].text) < 2000 and not label_of(ln.text) and not label_of(out[-1].text) \
                and not _ends_with_town(out[-1].text):  # "…, 6200 Aabenraa" ends an address, not a sentence
            out[-1] = Line(out[-1].start, out[-1].text + " " + ln.text.strip(), out[-1].role, out[-1].forwarded)
        else:
            out.append(Line(ln.start, ln.text, ln.role, ln.forwarded))
    return out


def find_place(lines: list[Line]) -> Found | None:
    hit = labelled(lines, "place")
    if hit:
        value = _strip_place(hit[1])
        if value:
            return Found(value, hit[1], 0.9 if looks_like_address(value) else 0.75)
    for ln in lines:  # "Tid og sted: …, online." or "Tid og sted: … på X"
        lab = label_of(ln.text)
        if lab and lab[0] == "when":
            m = PLACE_PROSE.search(lab[2])
            if m:
                return Found(_strip_place(m.group("place")), m.group("place"), 0.7)
    paras = paragraphs(lines)
    for ln in paras:
        m = PLACE_AFTER_WHEN.search(ln.text)
        if m:
            return Found(_strip_place(m.group("place")), m.group("place"), 0.75)
    for ln in paras:
        for m in PLACE_PROSE.finditer(ln.text):
            value = _strip_place(m.group("place"))
            if value and not ONLINE_WORD.fullmatch(value) and "ledelsesugen" not in value.lower() and (
                    looks_like_address(value) or re.match(r"[A-ZÆØÅ]", value)):
                return Found(value, m.group("place"), 0.7 if looks_like_address(value) else 0.55)
    for ln in paras:  # "… kl. 11.30 til 13.00 i Frederiksberg Rådhus, Smallegade 1."
        m = VENUE_AND_STREET.search(ln.text)
        if m and not label_of(ln.text):
            return Found(_strip_place(m.group("place")), m.group("place"), 0.5)
    for ln in paras:  # an address in a line of its own, after "på", or after the date and time
        if POSTCODE_TOWN.search(ln.text) and STREET_NUMBER.search(ln.text) and not label_of(ln.text):
            m = ADDRESS_AFTER_PREP.search(ln.text)
            value = m.group("place") if m else _address_segments(ln.text)
            if value and len(value) < 150:
                return Found(_strip_place(value), value, 0.5)
    return None


def _address_segments(line: str) -> str | None:
    """"Tirsdag 27. oktober, kl. 19-21, Folkets Hus, Vestergade 3, 6700 Esbjerg" -> the venue and address."""
    sentence = next((part for part in re.split(r"(?<=[a-zæøå0-9])\.\s+(?=[A-ZÆØÅ])", line) if POSTCODE_TOWN.search(part)), line)
    segments = [seg.strip() for seg in sentence.split(",")]
    end = next((i for i, seg in enumerate(segments) if POSTCODE_TOWN.search(seg)), None)
    if end is None:
        return None
    start, lead = 0, None
    for i, seg in enumerate(segments[:end]):
        hits = [*find_dates(seg), *find_times(seg)]
        if hits or re.search(r"\d{1,2}\.\s*(?:jan|feb|mar|apr|maj|jun|jul|aug|sep|okt|nov|dec)", seg, re.I):
            start = i + 1
            # "… 2026 Kl. 9.00 – 16.00 Comwell Roskilde": the venue's name after the date and time
            tail = seg[max(h.end for h in hits):].strip(" -–.") if hits else ""
            lead = tail if re.fullmatch(r"[A-ZÆØÅ][\wæøåÆØÅ.&' -]{2,60}", tail) else None
    value = ", ".join(([lead] if lead else []) + segments[start:end + 1]).strip(" .")
    return value or None


def find_online(lines: list[Line], place: Found | None) -> tuple[bool, str | None, str | None]:
    """(online, platform name, evidence). Hybrid events are online too, with a venue."""
    text = "\n".join(ln.text for ln in lines)
    m = HYBRID.search(text)
    if m:
        platform = PLATFORM.search(text)
        return True, ONLINE["platforms"][platform.group(1).lower()] if platform else None, m.group(0)
    if place is not None:
        pm = PLATFORM.search(str(place.value)) or ONLINE_WORD.search(str(place.value))
        if pm and not looks_like_address(str(place.value)):
            return True, ONLINE["platforms"].get(pm.group(1).lower()), pm.group(0)
    platform = PLATFORM.search(text)
    word = ONLINE_WORD.search(text)
    if platform:
        return True, ONLINE["platforms"][platform.group(1).lower()], platform.group(0)
    if word and place is None:
        return True, None, word.group(0)
    return False, None, None


# ---------------------------------------------------------------- registration

REG_CUE = re.compile(r"tilmeld|tilmelding|sign.?up|registrer|registrering|billet|få en plads|sikre dig en plads|"
                     r"reserver|skriv til|send en mail til", re.IGNORECASE)


def _contact(text: str) -> str | None:
    for m in URL.finditer(text):
        return m.group(0)
    m = EMAIL.search(text)
    if m:
        return m.group(0)
    m = BARE_URL.search(text)
    return m.group(0) if m else None


def find_registration(lines: list[Line]) -> Found | None:
    hit = labelled(lines, "registration")
    if hit:
        value = _contact(hit[1])
        if value:
            return Found(value, value, 0.9)
        return None  # "Tilmelding sker via intranettet": there is none to publish
    for i, ln in enumerate(lines):
        if REG_CUE.search(ln.text):
            value = _contact(ln.text)
            if value is None and ln.text.rstrip().endswith(":") and i + 1 < len(lines):
                value = _contact(lines[i + 1].text)  # "… tilmelde dig her:" and the link below
            if value:
                return Found(value, value, 0.8)
    return None


# ---------------------------------------------------------------- audience

_AUD_TAIL = r"\s+(?P<aud>[a-zæøå][^.\n!?]{3,400}?)(?=\s+[–-]\s|[.!?\n]|$)"
AUDIENCE_STRONG = re.compile(
    r"(?:[Mm]ålgruppen?\s+(?:er|for arrangementet er)|[Pp]rimære målgruppe er|henvender sig (?:primært )?til|"
    r"er målrettet|[Mm]ålrettet)" + _AUD_TAIL)
AUDIENCE_WEAK = re.compile(r"(?:[Ff]or(?=\s+alle\b)|arrangementet er for|er åbent for|er for)" + _AUD_TAIL)


AUDIENCE_WELCOME = re.compile(r"\b(?P<aud>[Aa]lle\s+[a-zæøå][\wæøå -]{2,80}?)\s+(?:er|være)\s+(?:hjertelig\s+|meget\s+)?velkomne")


def _inside_quotes(text: str, position: int) -> bool:
    return sum(text[:position].count(q) for q in "\"“”«»„") % 2 == 1


def find_audience(lines: list[Line]) -> Found | None:
    hit = labelled(lines, "audience")
    if hit:
        return Found(hit[1].rstrip("."), hit[1], 0.9)
    for pattern, confidence in ((AUDIENCE_STRONG, 0.7), (AUDIENCE_WEAK, 0.55), (AUDIENCE_WELCOME, 0.5)):
        for ln in lines:
            m = pattern.search(ln.text)
            if m and not _inside_quotes(ln.text, m.start()):  # "Svære samtaler for ledere" is a title
                value = m.group("aud").strip(" ,")
                return Found(value[0].upper() + value[1:], m.group("aud"), confidence)
    return None

