"""The body as a reader sees it: which lines are the author's own, which are
quoted, forwarded, signature or greeting.

Word lists (closings, forward markers, header names) live in
patterns/mailtext.json. The text itself is not changed beyond line endings
and white space, so evidence found in it can be shown highlighted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path

_WORDS = json.loads((Path(__file__).parent / "patterns" / "mailtext.json").read_text(encoding="utf-8"))
_LABELS = json.loads((Path(__file__).parent / "patterns" / "labels.json").read_text(encoding="utf-8"))
ALL_LABELS = sorted({w for k, ws in _LABELS.items() if not k.startswith("_") for w in ws}, key=len, reverse=True)

CLOSING = re.compile(
    r"^\s*(?:" + "|".join(re.escape(w) for w in sorted(_WORDS["closings"], key=len, reverse=True)) + r")\b[\s,.!/]*(?:$|[A-ZÆØÅ][\w-]+\s*$)",
    re.IGNORECASE,
)
GREETING = re.compile(r"^\s*(?:" + "|".join(re.escape(w) for w in _WORDS["greetings"]) + r")\b.{0,60}$", re.IGNORECASE)
MOBILE = re.compile("|".join(re.escape(w) for w in _WORDS["mobile_footers"]), re.IGNORECASE)
FORWARD_MARK = re.compile(r"^[\s\-_=*]*(?:" + "|".join(re.escape(w) for w in _WORDS["forward_markers"]) + r")[\s\-_=*:]*$", re.IGNORECASE)
REPLY_ORIGINAL = re.compile("|".join(re.escape(w) for w in _WORDS["reply_original_markers"]), re.IGNORECASE)
_HN = _WORDS["header_names"]
HEADER_LINE = re.compile(
    r"^\s*\*?(?P<name>" + "|".join(re.escape(w) for ws in _HN.values() for w in ws) + r")\*?\s*:\s*(?P<value>.*)$",
    re.IGNORECASE,
)
FROM_NAMES = {w.lower() for w in _HN["from"]}
SENT_NAMES = {w.lower() for w in _HN["sent"]}
SIG_DASHES = re.compile(r"^(?:--\s*|/[A-ZÆØÅ][\wæøå]+\s*)$")  # "-- " or "/Anders" alone on a line
LABEL_CELL = re.compile(r"^\s*(" + "|".join(re.escape(w) for w in ALL_LABELS) + r")\s*:?\s*\t+", re.IGNORECASE)
LABEL_ONLY = re.compile(r"^\s*(?:" + "|".join(re.escape(w) for w in ALL_LABELS) + r")\s*:?\s*$", re.IGNORECASE)


@dataclass
class Line:
    start: int  # offset in Body.text
    text: str
    role: str  # body | greeting | signature | quote | forward_header | footer
    forwarded: bool = False  # inside a forwarded message (the forwarded organiser's words)
    paragraph: bool = False  # each line is a paragraph of its own (text from a document, not a mail)


@dataclass
class Body:
    text: str
    lines: list[Line]
    forwarded_from: tuple[str, str] | None = None  # (name, address) of the forwarded mail's sender
    quoted_from: tuple[str, str] | None = None
    has_quote: bool = False
    signatures: list[list[Line]] = field(default_factory=list)

    def lines_with(self, *roles: str) -> list[Line]:
        return [ln for ln in self.lines if ln.role in roles]


def normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ").replace("\u200b", "")
    # a label and its value in two table cells ("Hvor<tab>Rådhuset") become "Hvor: Rådhuset"
    lines = [LABEL_CELL.sub(r"\1: ", line).replace("\t", " ").rstrip() for line in text.split("\n")]
    # a label alone on its line ("Sted:" then the value below, as HTML tables come out): join them
    merged: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if LABEL_ONLY.match(line) and line.strip():
            j = i + 1
            while j < len(lines) and j <= i + 2 and not lines[j].strip():
                j += 1
            if j < len(lines) and lines[j].strip() and not LABEL_ONLY.match(lines[j]) and len(lines[j]) < 400:
                label = line.strip().rstrip(":")
                merged.append(f"{label}: {lines[j].strip()}")
                i = j + 1
                continue
        merged.append(line)
        i += 1
    return re.sub(r"\n{3,}", "\n\n", "\n".join(merged)).strip("\n")


def split_body(text: str, *, subject: str = "", document: bool = False) -> Body:
    text = normalise(text)
    is_forward = bool(re.match(r"^\s*(?:fwd?|vs|wg|tr)\s*:", subject, re.IGNORECASE))
    lines: list[Line] = []
    offset = 0
    for raw in text.split("\n"):
        lines.append(Line(offset, raw, "body", paragraph=document))
        offset += len(raw) + 1
    body = Body(text=text, lines=lines)
    _mark(body, is_forward)
    return body


def _mark(body: Body, is_forward_subject: bool) -> None:
    lines = body.lines
    state = "body"  # body | signature | quote
    forwarded = False
    seen_content = False
    i = 0
    while i < len(lines):
        ln = lines[i]
        s = ln.text.strip()
        if s.startswith(">"):
            ln.role = "quote"
            body.has_quote = True
            i += 1
            continue
        header_end = _header_block(lines, i)
        if FORWARD_MARK.match(s) or header_end:
            # a forwarded or quoted original begins: its header lines, then its body
            end = header_end or (_header_block(lines, i + 1) or i + 1)
            sender = _sender_in(lines[i:end])
            forward = bool(FORWARD_MARK.match(s)) and not REPLY_ORIGINAL.search(s) or is_forward_subject
            for k in range(i, end):
                lines[k].role = "forward_header"
            if forward:
                forwarded = True
                state = "body"
                seen_content = False  # the forwarded mail has its own greeting
                body.forwarded_from = body.forwarded_from or sender
            else:
                state = "quote"
                body.has_quote = True
                body.quoted_from = body.quoted_from or sender
            i = end
            continue
        if state == "quote":
            ln.role = "quote"
            i += 1
            continue
        if MOBILE.search(s) and len(s) < 60:
            ln.role = "footer"
            i += 1
            continue
        if state == "body" and (CLOSING.match(s) or SIG_DASHES.match(ln.text)) and seen_content:
            state = "signature"
            body.signatures.append([])
        if state == "signature":
            ln.role = "signature"
            ln.forwarded = forwarded
            body.signatures[-1].append(ln)
            i += 1
            continue
        if not seen_content and s and GREETING.match(s):
            ln.role = "greeting"
        elif s:
            seen_content = True
        ln.forwarded = forwarded
        i += 1


def _header_block(lines: list[Line], i: int) -> int | None:
    """The end of an e-mail header block ("Fra: … Sendt: … Til: … Emne: …") starting at line i, if one does."""
    names: list[str] = []
    j = i
    while j < len(lines) and j < i + 8:
        m = HEADER_LINE.match(lines[j].text)
        if not m:
            if lines[j].text.strip() == "" and names:
                break
            if names and not m:
                break
            return None
        names.append(m.group("name").lower())
        j += 1
    if names and names[0] in FROM_NAMES and any(n in SENT_NAMES for n in names) and len(names) >= 3:
        return j
    return None


def _sender_in(block: list[Line]) -> tuple[str, str] | None:
    for ln in block:
        m = HEADER_LINE.match(ln.text)
        if m and m.group("name").lower() in FROM_NAMES:
            name, addr = parseaddr(m.group("value").replace("[mailto:", "<").replace("]", ">"))
            if not addr:
                found = re.search(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", m.group("value"))
                addr = found.group(0) if found else ""
            return (name or m.group("value").split("<")[0].strip().strip('"'), addr.lower())
    return None
