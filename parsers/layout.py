"""The mail as a reader sees it: lines with roles, in zones.

A line knows what it is (a heading, a label and its value, a table row with its cells and their
column names, a list item, a programme time slot, prose) and where it stands: the author's own
words, a greeting, a signature, a disclaimer, a reply's quoted original, a forwarded original and
its header block. HTML is read from its structure (html_text.py); plain text from its lines.
Attachments (PDF, Word) are sources of their own, read the same way.

The text is rebuilt line by line (table cells apart by " | ", a label cell and its value as
"Label: value"); `Layout.sources[0]` is the body text shown to reviewers, and every line's
(start, end) points into its source, so any span found in a line is exact evidence.
Words and patterns come from patterns/mailtext.json and patterns/labels.json.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path

from parsers.html_text import HtmlLine, HtmlRow, html_lines

_P = Path(__file__).parent / "patterns"
WORDS = json.loads((_P / "mailtext.json").read_text(encoding="utf-8"))
LABELS: dict[str, list[str]] = {k: v for k, v in json.loads((_P / "labels.json").read_text(encoding="utf-8")).items()
                                if not k.startswith("_")}
LABEL_FIELD = {w: name for name, ws in LABELS.items() for w in ws}
_LABEL_WORDS = "|".join(re.escape(w) for w in sorted(LABEL_FIELD, key=len, reverse=True))
LABEL_LINE = re.compile(r"^\s*[*•·\-–]?\s*\**(?P<label>[A-ZÆØÅa-zæøå][\wæøåÆØÅ /&.-]{0,40}?)\**\s*:\s*\**(?=\S)")
LABEL_ALONE = re.compile(r"^\s*\**(?P<label>" + _LABEL_WORDS + r")\**\s*:?\s*$", re.IGNORECASE)
CLOSING = re.compile(r"^\s*(?:" + "|".join(re.escape(w) for w in sorted(WORDS["closings"], key=len, reverse=True))
                     + r")\b[\s,.!/]*(?:$|[A-ZÆØÅ][\w-]+\s*$)", re.IGNORECASE)
GREETING = re.compile(r"^\s*(?:" + "|".join(re.escape(w) for w in WORDS["greetings"]) + r")\b.{0,60}$", re.IGNORECASE)
MOBILE = re.compile("|".join(re.escape(w) for w in WORDS["mobile_footers"]), re.IGNORECASE)
FORWARD_MARK = re.compile(r"^[\s\-_=*>]*(?:" + "|".join(re.escape(w) for w in WORDS["forward_markers"]) + r")[\s\-_=*:]*$",
                          re.IGNORECASE)
REPLY_ORIGINAL = re.compile("|".join(re.escape(w) for w in WORDS["reply_original_markers"]), re.IGNORECASE)
ATTRIBUTION = [re.compile(p, re.IGNORECASE) for p in WORDS["attribution"]]
_HN = WORDS["header_names"]
HEADER_LINE = re.compile(r"^\s*\**(?P<name>" + "|".join(re.escape(w) for ws in _HN.values() for w in ws)
                         + r")\**\s*:\s*(?P<value>.*)$", re.IGNORECASE)
HEADER_KIND = {w.lower(): k for k, ws in _HN.items() for w in ws}
SIG_DASHES = re.compile(r"^(?:--\s*|/[A-ZÆØÅ][\wæøå]+\s*)$")
DISCLAIMER = re.compile("|".join(re.escape(w) for w in WORDS["disclaimer_cues"]), re.IGNORECASE)
BULLET = re.compile(r"^\s*(?:[•·▪◦●■*\-–]|\d{1,2}[.)]|[a-z]\))\s+")
SLOT = re.compile(r"^\s*(?:kl\.?\s*)?(?:[01]?\d|2[0-3])[.:][0-5]\d(?:\s*[-–—]\s*(?:[01]?\d|2[0-3])[.:][0-5]\d)?\s*(?::\s+|[-–—]?\s+)(?=\S)",
                  re.IGNORECASE)
SUBJECT_FORWARD = re.compile(r"^\s*(?:fwd?|vs|wg|tr|videresend)\s*:", re.IGNORECASE)
SUBJECT_REPLY = re.compile(r"^\s*(?:re|sv|aw|antw)\s*:", re.IGNORECASE)
CELL_GAP = " | "

# zones a line can stand in
OWN, GREETING_Z, SIGNATURE, DISCLAIMER_Z, FOOTER, QUOTE, FORWARD, FWD_HEADER, ATTRIBUTION_Z = (
    "own", "greeting", "signature", "disclaimer", "footer", "quote", "forward", "fwd_header", "attribution")


@dataclass
class Cell:
    start: int
    end: int
    column: str | None  # the field its column's header names ("place" under "Sted"), None when not known
    header: str | None  # the header's text
    spanned: bool = False  # the same cell as the row above (rowspan)


@dataclass
class Line:
    index: int
    source: int  # 0 the body, k > 0 the k-th document
    start: int
    end: int
    text: str
    para: int = 0
    zone: str = OWN
    forwarded: bool = False  # inside a forwarded original (the organiser's own mail, passed on)
    quoted: bool = False  # inside the quoted original of a reply
    heading: int = 0
    bold: float = 0.0
    large: bool = False
    item: bool = False
    caps: bool = False
    slot: bool = False
    label: str | None = None  # the field a "Label:" names; "other" for a label no list knows
    label_text: str | None = None
    value_start: int = 0  # offset in `text` where the value after the label begins
    table: int = 0  # data table number, 0 when not in one
    row: int = -1  # row number inside its table
    header_row: bool = False
    cells: list[Cell] = field(default_factory=list)  # offsets in `text`
    separator: bool = False  # a ruled line before it (Outlook's line over an original)
    alone: bool = False  # a paragraph of its own

    @property
    def value(self) -> str:
        return self.text[self.value_start:]


@dataclass
class HeaderBlock:
    """The 'Fra: … Sendt: … Emne: …' lines heading a forwarded or quoted original."""

    first: int
    last: int
    sender_name: str | None
    sender_address: str | None
    subject: str | None
    subject_line: int | None
    forward: bool


@dataclass
class Layout:
    sources: list[str]
    lines: list[Line]
    subject: str
    headers: list[HeaderBlock] = field(default_factory=list)
    from_html: bool = False

    @property
    def text(self) -> str:
        return self.sources[0]

    def own(self) -> list[Line]:
        return [ln for ln in self.lines if ln.zone == OWN]

    def para_lines(self, para: int) -> list[Line]:
        return [ln for ln in self.lines if ln.para == para]


# ------------------------------------------------------------------ reading


@dataclass
class _Raw:
    text: str
    paragraph: bool = False
    heading: int = 0
    bold: float = 0.0
    large: bool = False
    item: bool = False
    quote: int = 0
    separator: bool = False
    cells: list[str] | None = None
    spanned: list[bool] | None = None
    header: bool = False
    table: int = 0


def read_layout(subject: str, html: str | None, plain: str, documents: list[str] | None = None) -> Layout:
    """The body (from HTML where it has text, else the plain text) and each document as lines in zones."""
    raws: list[_Raw] = []
    from_html = False
    if html:
        raws = [_from_html(item) for item in html_lines(html)]
        if not any(r.text.strip() or r.cells for r in raws):
            raws = []
        from_html = bool(raws)
    if not raws:
        raws = _from_plain(plain)
    sources: list[str] = []
    lines: list[Line] = []
    _assemble(raws, 0, sources, lines)
    layout = Layout(sources=sources, lines=lines, subject=subject, from_html=from_html)
    _mark_zones(layout, subject)
    for doc in documents or []:
        before = len(lines)
        _assemble(_from_plain(doc, document=True), len(sources), sources, lines)
        for ln in lines[before:]:
            ln.zone = OWN
    for i, ln in enumerate(lines):
        ln.index = i
    return layout


def _from_html(item: HtmlLine | HtmlRow) -> _Raw:
    if isinstance(item, HtmlRow):
        return _Raw(text="", paragraph=item.paragraph, quote=item.quote, cells=item.cells, spanned=item.spanned,
                    header=item.header, table=item.table)
    return _Raw(text=item.text, paragraph=item.paragraph, heading=item.heading, bold=item.bold, large=item.large,
                item=item.item, quote=item.quote, separator=item.separator)


def _normalise(text: str) -> str:
    return (text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ").replace("\u200b", "")
            .replace("\ufeff", "").replace("\u00ad", ""))


def _from_plain(text: str, *, document: bool = False) -> list[_Raw]:
    raws: list[_Raw] = []
    blank = False
    table = 0
    in_table = False
    for raw_line in _normalise(text).split("\n"):
        quote = 0
        m = re.match(r"^(\s*>)+", raw_line)
        body = raw_line
        if m:
            quote = m.group(0).count(">")
            body = raw_line[m.end():]
            if body.startswith(" "):
                body = body[1:]
        if not body.strip():
            blank = True
            in_table = False
            continue
        if "\t" in body.strip():
            cells = [c.strip() for c in re.split(r"\t+", body.strip())]
            if not in_table:
                table += 1
                in_table = True
            raws.append(_Raw(text="", paragraph=blank, quote=quote, cells=cells, spanned=[False] * len(cells),
                             table=-table))
        else:
            in_table = False
            raws.append(_Raw(text=" ".join(body.split()) if document else body.rstrip(), paragraph=blank or document,
                             quote=quote))
        blank = False
    return raws


def _label_of(text: str) -> tuple[str, str, int] | None:
    """(field or "other", label as written, where the value starts) for a "Label: value" line."""
    m = LABEL_LINE.match(text)
    if not m or text[m.end() - 1:m.end() + 2].startswith(("//", ":/")) or re.match(r"\s*(?:https?|mailto|www)\b", text, re.I):
        return None
    label = m.group("label").strip().strip("*").strip()
    if re.search(r"\d", label):
        return None  # "Mandag 26.10: …", "Kl. 9.00: …": a date or a time, not a label
    name = LABEL_FIELD.get(label.lower())
    if name is None:
        if len(label.split()) > 3 or HEADER_LINE.match(text):
            return None
        name = "other"
    return name, label, m.end()


def _is_label_cell(text: str) -> bool:
    t = text.strip().rstrip(":").strip().lower()
    return bool(t) and (t in LABEL_FIELD or text.strip().endswith(":") and len(t) <= 30)


def _assemble(raws: list[_Raw], source: int, sources: list[str], lines: list[Line]) -> None:
    """Lines of one source, the source's text built from them."""
    parts: list[str] = []
    pos = 0
    para = (lines[-1].para + 1) if lines else 0
    columns: dict[int, list[tuple[str | None, str]]] = {}  # table -> column fields and headers
    pending_label: tuple[str, str] | None = None
    for k, raw in enumerate(raws):
        if raw.paragraph and parts:
            parts.append("\n")
            pos += 1
            para += 1
        prefix = "> " * raw.quote if source == 0 and raw.quote and raw.cells is None else ""
        caption = False
        cells: list[Cell] = []
        header_row = False
        if raw.cells is not None:
            filled = [(i, c) for i, c in enumerate(raw.cells) if c]
            known = columns.get(raw.table)
            if len(filled) == 1 and (known is None or len(raw.cells) > 1 and not raw.spanned[filled[0][0]]):
                text = filled[0][1]  # a cell spanning the table: a caption or a note, a paragraph of its own
                if parts:
                    parts.append("\n")
                    pos += 1
                    para += 1
                caption = True
            elif len(filled) == 2 and _is_label_cell(filled[0][1]) and not (known and raw.header):
                name = filled[0][1].strip().rstrip(":").strip()
                text = f"{name}: {filled[1][1]}"
            elif known is None and _looks_like_header(raw, raws, k):
                header_row = True
                heads = [(LABEL_FIELD.get(c.strip().rstrip(":").lower()), c) for c in raw.cells]
                columns[raw.table] = heads
                text = CELL_GAP.join(c for _, c in filled)
            else:
                heads = known or []
                pieces = []
                offset = 0
                for i, c in filled:
                    if pieces:
                        offset += len(CELL_GAP)
                    col = heads[i] if i < len(heads) else (None, None)
                    cells.append(Cell(offset, offset + len(c), col[0], col[1], bool(raw.spanned and raw.spanned[i])))
                    pieces.append(c)
                    offset += len(c)
                text = CELL_GAP.join(pieces)
        else:
            text = raw.text
        start = pos + len(prefix)
        parts.append(prefix + text + "\n")
        pos += len(prefix) + len(text) + 1
        ln = Line(index=len(lines), source=source, start=start, end=start + len(text), text=text, para=para,
                  heading=raw.heading, bold=raw.bold, large=raw.large, item=raw.item or bool(BULLET.match(text)),
                  separator=raw.separator, table=abs(raw.table) if cells or header_row else 0,
                  row=k if cells else -1, header_row=header_row, cells=cells)
        ln.quoted = raw.quote > 0
        if caption:
            ln.bold = 1.0 if raw.header else 0.0
            lines.append(ln)
            ln.caps = sum(ch.isupper() for ch in text if ch.isalpha()) >= 0.8 * max(1, sum(ch.isalpha() for ch in text))
            pending_label = None
            para += 1
            parts.append("\n")
            pos += 1
            continue
        letters = [ch for ch in text if ch.isalpha()]
        ln.caps = len(letters) >= 6 and sum(ch.isupper() for ch in letters) >= 0.8 * len(letters)
        ln.slot = bool(SLOT.match(text)) and not cells
        found = _label_of(text) if not cells and not header_row else None
        if found:
            ln.label, ln.label_text, ln.value_start = found
            if not text[found[2]:].strip():
                ln.label, ln.label_text, ln.value_start = None, None, 0
        if found and not text[found[2]:].strip() or (not cells and LABEL_ALONE.match(text)):
            name = text.strip().strip("*").rstrip(":").strip()
            pending_label = (LABEL_FIELD.get(name.lower(), "other"), name)
        elif pending_label and not cells and not found and text.strip():
            # "Sted:" alone, its value on the next line (a table rendered as lines)
            ln.label, ln.label_text, ln.value_start = pending_label[0], pending_label[1], 0
            pending_label = None
        else:
            pending_label = None
        lines.append(ln)
    sources.append("".join(parts).rstrip("\n"))
    _mark_alone(lines)


def _looks_like_header(raw: _Raw, raws: list[_Raw], k: int) -> bool:
    """The first row of a table is its header when it is marked so, or is short words with data rows below."""
    below = [r for r in raws[k + 1:k + 4] if r.cells is not None and r.table == raw.table]
    if not below:
        return False
    cells = [c for c in raw.cells or [] if c]
    if len(cells) < 2:
        return False
    short = all(len(c) <= 30 and not re.search(r"\d", c) for c in cells)
    return raw.header and short or short and sum(c.strip().rstrip(":").lower() in LABEL_FIELD for c in cells) >= 2


def _mark_alone(lines: list[Line]) -> None:
    by_para: dict[int, int] = {}
    for ln in lines:
        by_para[ln.para] = by_para.get(ln.para, 0) + 1
    for ln in lines:
        ln.alone = by_para[ln.para] == 1


# ------------------------------------------------------------------ zones


def _header_block(lines: list[Line], i: int) -> int | None:
    """The end of a "Fra: … Sendt: … Til: … Emne: …" block starting at line i, if one starts there."""
    kinds: list[str] = []
    j = i
    while j < len(lines) and j < i + 10:
        m = HEADER_LINE.match(lines[j].text)
        if not m:
            break
        kinds.append(HEADER_KIND.get(m.group("name").lower(), ""))
        j += 1
    # Outlook and Gmail start with "Fra:"; Thunderbird with "Emne:" — any order, as long as a sender is named
    if "from" in kinds and ("sent" in kinds or "subject" in kinds) and len(set(kinds)) >= 2 and \
            (kinds[0] == "from" or len(kinds) >= 3):
        return j
    return None


def _header_info(lines: list[Line], first: int, last: int, forward: bool) -> HeaderBlock:
    name = address = subject = None
    subject_line = None
    for k in range(first, last):
        m = HEADER_LINE.match(lines[k].text)
        if not m:
            continue
        kind = HEADER_KIND.get(m.group("name").lower())
        value = m.group("value").strip()
        if kind == "from" and name is None and address is None:
            n, a = parseaddr(value.replace("[mailto:", "<").replace("]", ">"))
            if not a or "@" not in a:
                found = re.search(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", value)
                a = found.group(0) if found else ""
            name = (n or value.split("<")[0].strip().strip('"')) or None
            address = a.lower() or None
        elif kind == "subject" and subject is None:
            subject, subject_line = value, k
    return HeaderBlock(first, last, name, address, subject, subject_line, forward)


def _mark_zones(layout: Layout, subject: str) -> None:
    lines = [ln for ln in layout.lines if ln.source == 0]
    forward_subject = bool(SUBJECT_FORWARD.match(subject))
    state = OWN  # OWN | SIGNATURE | QUOTE
    sig_start = 0
    quote_signature = False
    forwarded = False
    quoted = False
    seen_content = False
    i = 0
    while i < len(lines):
        ln = lines[i]
        s = ln.text.strip()
        if ln.quoted:  # "> " lines and <blockquote>: a reply's quote (or the forward it quotes)
            ln.zone = ATTRIBUTION_Z if _attribution(s) and len(s) < 300 else QUOTE
            quote_signature = _quote_signature(lines, i, quote_signature)
            if quote_signature and ln.zone == QUOTE:
                ln.zone = SIGNATURE
            if _header_block(lines, i):
                end = _header_block(lines, i) or i + 1
                layout.headers.append(_header_info(lines, i, end, False))
                for k in range(i, end):
                    lines[k].zone = FWD_HEADER
                    lines[k].quoted = True
                i = end
                continue
            i += 1
            continue
        header_end = _header_block(lines, i)
        marker = bool(FORWARD_MARK.match(s))
        if marker or header_end:
            end = header_end or (_header_block(lines, i + 1) or i + 1)
            forward = marker and not REPLY_ORIGINAL.search(s) or forward_subject and not quoted
            if header_end and not marker and i > 0 and lines[i - 1].zone == FWD_HEADER:
                forward = lines[i - 1].forwarded or forward
            block_start = i + 1 if marker and not header_end else i
            if end > block_start:
                layout.headers.append(_header_info(lines, block_start, end, forward))
            for k in range(i, end):
                lines[k].zone = FWD_HEADER
                lines[k].forwarded = forward or forwarded
                lines[k].quoted = quoted or not forward
            if forward:
                forwarded = True
                state = OWN
            else:
                quoted = True
                state = QUOTE
            seen_content = False
            i = end
            continue
        if not quoted and not forwarded and _attribution(s) and len(s) < 300:
            ln.zone = ATTRIBUTION_Z
            quoted = True
            state = QUOTE
            i += 1
            continue
        ln.forwarded = forwarded
        ln.quoted = ln.quoted or quoted
        if state == QUOTE:
            ln.zone = ATTRIBUTION_Z if _attribution(s) and len(s) < 300 else QUOTE
            quote_signature = _quote_signature(lines, i, quote_signature)
            if quote_signature and ln.zone == QUOTE:
                ln.zone = SIGNATURE  # the quoted mail's own signature (quoted: True)
            i += 1
            continue
        if MOBILE.search(s) and len(s) < 60:
            ln.zone = FOOTER
            i += 1
            continue
        if state == OWN and seen_content and (CLOSING.match(s) or SIG_DASHES.match(ln.text)):
            state = SIGNATURE
            sig_start = i
        elif state == SIGNATURE and _content_after_signature(lines, i, sig_start):
            state = OWN  # a cover note signed above the invitation itself: the invitation is the author's text
        if state == SIGNATURE:
            ln.zone = SIGNATURE
            i += 1
            continue
        if not seen_content and s and GREETING.match(s) and not ln.label:
            ln.zone = GREETING_Z
        else:
            ln.zone = FORWARD if forwarded else OWN
            seen_content = True
        i += 1
    _mark_disclaimers(lines)


ATTRIBUTION_WORD = re.compile(r"skrev|wrote|schrieb|écrit|escribió", re.IGNORECASE)


def _attribution(s: str) -> bool:
    """ "Den 14. sep. 2026 kl. 10.12 skrev …:" (the word first: the patterns are costly on every line)."""
    return len(s) < 300 and bool(ATTRIBUTION_WORD.search(s)) and any(p.match(s) for p in ATTRIBUTION)


def _quote_signature(lines: list[Line], i: int, inside: bool) -> bool:
    """Inside a quoted original: from its closing ("Venlig hilsen") to the next header block or attribution."""
    s = lines[i].text.strip()
    if _header_block(lines, i) or _attribution(s):
        return False
    if CLOSING.match(s):
        return True
    return inside and not _content_after_signature(lines, i, i - 3)


def _content_after_signature(lines: list[Line], i: int, sig_start: int) -> bool:
    """A signature does not hold headings, event labels or long prose after a blank line: past those, it has ended."""
    ln = lines[i]
    new_para = i > 0 and lines[i - 1].para != ln.para
    if ln.heading or ln.large and len(ln.text) < 120:
        return True
    if ln.label in ("when", "place", "title", "deadline", "audience") and i - sig_start > 2:
        return True
    return new_para and len(ln.text) > 120 and not DISCLAIMER.search(ln.text)


def _mark_disclaimers(lines: list[Line]) -> None:
    paras: dict[int, list[Line]] = {}
    for ln in lines:
        paras.setdefault(ln.para, []).append(ln)
    for group in paras.values():
        text = " ".join(ln.text for ln in group)
        cues = len(DISCLAIMER.findall(text))
        if cues >= 2 or cues == 1 and len(text) > 200 and group[0].zone in (SIGNATURE, OWN, FORWARD):
            if all(ln.zone in (OWN, SIGNATURE, FORWARD) for ln in group) and not any(ln.label for ln in group):
                for ln in group:
                    ln.zone = DISCLAIMER_Z
