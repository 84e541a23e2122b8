"""HTML -> the lines a reader sees, with what the markup says about each: heading level, bold,
list item, table cell, quote depth, link targets.

A real HTML parser (lxml, libxml2's lenient HTML parser), never regexes over markup. Scripts, styles and
other invisible content are dropped; nothing is fetched. The walk is iterative: hostile HTML
nests deeper than the recursion limit.

Tables are read as a grid (rowspan and colspan expanded): a table of one column, or one whose
cells hold blocks of their own, is page layout and read as flowing text; any other table comes
out one `HtmlRow` per row, each cell apart, so a reader can tell a label/value table from a
table with one row per event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


MAX_HTML_CHARS = 1_000_000
MAX_TABLE_CELLS = 2_000
INVISIBLE = {"script", "style", "head", "title", "noscript", "template", "svg", "object", "iframe", "meta", "link",
             "img", "map", "area", "button", "select", "option", "input", "textarea"}
# a paragraph break around these; Outlook's MsoNormal paragraphs have no margin and read as lines
PARAGRAPHS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "blockquote", "section", "article", "header",
              "footer", "hr", "pre", "address", "center", "dl", "figure", "main", "aside", "nav", "form", "fieldset"}
LINES = {"br", "li", "div", "dt", "dd", "tr", "caption", "figcaption", "legend"}
HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
BOLD = {"b", "strong"}
SAFE_LINK = re.compile(r"^(https?://|mailto:)", re.I)
BOLD_STYLE = re.compile(r"font-weight\s*:\s*(?:bold|[6-9]00)", re.I)
FONT_SIZE = re.compile(r"font-size\s*:\s*(\d+(?:\.\d+)?)\s*(pt|px)", re.I)
QUOTE_CLASSES = re.compile(r"gmail_quote|moz-cite-prefix|yahoo_quoted|protonmail_quote", re.I)
OUTLOOK_SEPARATOR = re.compile(r"border-top\s*:\s*solid", re.I)


@dataclass
class HtmlLine:
    text: str
    heading: int = 0  # 1-6 for <h1>-<h6>
    bold: float = 0.0  # share of the line's letters in bold or a larger font
    large: bool = False  # a font larger than the running text
    item: bool = False  # a list item's first line
    quote: int = 0  # blockquote depth
    separator: bool = False  # Outlook's ruled line before a quoted or forwarded original
    paragraph: bool = False  # a paragraph break before this line


@dataclass
class HtmlRow:
    """One row of a data table, each cell's text apart (a cell spanning rows repeats in each)."""

    cells: list[str]
    spanned: list[bool]  # the cell's text stands in an earlier row (rowspan)
    header: bool  # all <th>, or all bold
    quote: int = 0
    paragraph: bool = False
    table: int = 0


@dataclass
class _Run:
    parts: list[str] = field(default_factory=list)
    letters: int = 0
    bold_letters: int = 0
    large_letters: int = 0
    quote: int = -1  # of the first text in the run
    heading: int = 0
    item: bool = False

    def add(self, text: str, bold: bool, large: bool, quote: int, heading: int, item: bool) -> None:
        self.parts.append(text)
        n = sum(ch.isalnum() for ch in text)
        if n and self.quote < 0:
            self.quote, self.heading, self.item = quote, heading, item
        self.letters += n
        self.bold_letters += n if bold or heading else 0
        self.large_letters += n if large else 0


def html_lines(html: str) -> list[HtmlLine | HtmlRow]:
    """The HTML as lines and table rows, in reading order."""
    root = _parse(html)
    if root is None:
        return []
    reader = _Reader(_base_size(root))
    body = root.find("body")
    reader.walk(body if body is not None else root)
    reader.flush()
    return reader.out


def _parse(html: str):
    """lxml's HTML parser (libxml2: lenient, iterative), comments and processing instructions removed, their
    tails kept; None when there is no document at all."""
    from lxml import etree
    from lxml import html as lxml_html

    data = html[:MAX_HTML_CHARS].encode("utf-8", "replace")
    if not data.strip():
        return None
    try:
        root = lxml_html.document_fromstring(data, parser=lxml_html.HTMLParser(encoding="utf-8", remove_comments=True,
                                                                               remove_pis=True))
    except (etree.ParserError, ValueError):
        return None
    return root


def _base_size(root) -> float:
    """The running text's font size in pt (Outlook declares it for p.MsoNormal), 11 when not said."""
    style = " ".join((s.text or "") for s in root.iter("style"))[:20_000]
    m = re.search(r"p\.MsoNormal[^{]*\{[^}]*?font-size\s*:\s*(\d+(?:\.\d+)?)\s*(pt|px)", style, re.I)
    return _points(float(m.group(1)), m.group(2)) if m else 11.0


def _points(value: float, unit: str) -> float:
    return value * 0.75 if unit.lower() == "px" else value


def _tag(el) -> str:
    tag = el.tag
    return tag.lower() if isinstance(tag, str) else ""


class _Reader:
    def __init__(self, base_size: float) -> None:
        self.base = base_size
        self.out: list[HtmlLine | HtmlRow] = []
        self.run = _Run()
        self.pending_paragraph = False
        self.pending_separator = False
        self.tables = 0
        self.last_was_break = False

    def flush(self, *, blank_is_paragraph: bool = False) -> None:
        raw = "".join(self.run.parts)
        text = re.sub(r"\s+", " ", raw.replace("\xa0", " ")).strip()
        if not text and (blank_is_paragraph or "\xa0" in raw):
            self.paragraph()  # Outlook's empty "<p>&nbsp;</p>", or <br><br>: a blank line
        if text:
            letters = max(self.run.letters, 1)
            self.out.append(HtmlLine(
                text=text, heading=self.run.heading, bold=self.run.bold_letters / letters,
                large=self.run.large_letters / letters > 0.5, item=self.run.item, quote=max(self.run.quote, 0),
                separator=self.pending_separator, paragraph=self.pending_paragraph))
            self.pending_paragraph = False
            self.pending_separator = False
        self.run = _Run()

    def paragraph(self) -> None:
        if self.out:
            self.pending_paragraph = True

    def add(self, text: str | None, state: tuple) -> None:
        if text:
            bold, large, quote, heading, item = state
            self.run.add(text, bold, large, quote, heading, item)
            if text.strip():
                self.last_was_break = False

    def walk(self, root) -> None:
        from lxml import etree

        # state: (bold, large, quote depth, heading level, in a list item), one per open element
        states: list[tuple] = [(False, False, 0, 0, False)]
        hrefs: list[str] = []
        layout_tables: list[bool] = []
        walker = etree.iterwalk(root, events=("start", "end"))
        for event, el in walker:
            name = _tag(el)
            if event == "start":
                state = states[-1]
                if name in INVISIBLE:
                    walker.skip_subtree()
                    states.append(state)
                    hrefs.append("")
                    continue
                if name == "table":
                    self.flush()
                    layout = self._table(el)
                    layout_tables.append(layout)
                    if not layout:
                        walker.skip_subtree()
                style = el.get("style") or ""
                classes = (el.get("class") or "").lower()
                if name in BREAKS or name in ("td", "th") and layout_tables and layout_tables[-1]:
                    self.flush()
                    if name in PARAGRAPHS and "msonormal" not in classes or name in HEADINGS:
                        self.paragraph()
                    if name == "hr" or name == "div" and OUTLOOK_SEPARATOR.search(style):
                        self.pending_separator = True
                href = ""
                if name == "a":
                    target = (el.get("href") or "").strip()
                    if SAFE_LINK.match(target) and _norm_link(target) != _norm_link(el.text_content()):
                        href = target
                hrefs.append(href)
                size = FONT_SIZE.search(style)
                bold, large, quote, heading, item = state
                child = (bold or name in BOLD or bool(BOLD_STYLE.search(style)),
                         (_points(float(size.group(1)), size.group(2)) >= self.base + 2) if size else large,
                         quote + (name == "blockquote"), HEADINGS.get(name, heading), item or name == "li")
                states.append(child)
                if name != "table" or layout_tables[-1]:
                    self.add(el.text, child)
            else:
                states.pop()
                href = hrefs.pop()
                state = states[-1]
                if href:
                    self.add(f" <{href}>", state)
                if name == "table":
                    layout_tables.pop()
                    self.paragraph()
                if name in BREAKS or name in ("td", "th") and layout_tables and layout_tables[-1]:
                    self.flush(blank_is_paragraph=name == "br" and self.last_was_break)
                    self.last_was_break = name == "br"
                    if name in PARAGRAPHS or name in HEADINGS:
                        self.paragraph()
                self.add(el.tail, state)

    def _table(self, table) -> bool:
        """Read a data table's rows now; True when the table is page layout (to be read as flowing text)."""
        grid, header_rows, spanned = _grid(table)
        columns = max((sum(c is not None for c in r) for r in grid), default=0)
        if columns <= 1 or any(cell is not None and _has_blocks(cell) for row in grid for cell in row):
            self.paragraph()
            return True
        self.tables += 1
        self.paragraph()
        for r, row in enumerate(grid):
            texts = [_cell_text(c) if c is not None else "" for c in row]
            if not any(texts):
                continue
            self.out.append(HtmlRow(cells=texts, spanned=list(spanned[r]), header=header_rows[r], quote=0,
                                    paragraph=self.pending_paragraph, table=self.tables))
            self.pending_paragraph = False
        self.paragraph()
        return False


BREAKS = PARAGRAPHS | LINES | set(HEADINGS)


def _grid(table) -> tuple[list[list], list[bool], list[list[bool]]]:
    """The table's cells on a grid, rowspan/colspan expanded; nested tables stay inside their cell."""
    rows = [tr for tr in table.iter("tr") if _owner(tr, "table") is table]
    grid: list[list] = []
    spanned: list[list[bool]] = []
    header: list[bool] = []
    carry: dict[int, tuple[object, int]] = {}  # column -> (cell, rows still to fill)
    cells_seen = 0
    for tr in rows:
        row: list = []
        marks: list[bool] = []
        col = 0
        cells = [c for c in tr if _tag(c) in ("td", "th")]
        all_header = bool(cells)
        queue = list(cells)
        while queue or col in carry:
            if col in carry:
                cell, left = carry[col]
                row.append(cell)
                marks.append(True)
                carry[col] = (cell, left - 1)
                if left - 1 <= 0:
                    del carry[col]
                col += 1
                continue
            cell = queue.pop(0)
            cells_seen += 1
            if cells_seen > MAX_TABLE_CELLS:
                break
            span_c = _span(cell.get("colspan"))
            span_r = _span(cell.get("rowspan"))
            all_header = all_header and (_tag(cell) == "th" or _all_bold(cell))
            for k in range(span_c):
                row.append(cell if k == 0 else None)
                marks.append(False)
                if span_r > 1:
                    carry[col] = (cell, span_r - 1)
                col += 1
        grid.append(row)
        spanned.append(marks)
        header.append(all_header)
    return grid, header, spanned


def _owner(el, tag: str):
    parent = el.getparent()
    while parent is not None and _tag(parent) != tag:
        parent = parent.getparent()
    return parent


def _span(value: object) -> int:
    try:
        return max(1, min(int(str(value).strip()), 50))
    except (TypeError, ValueError):
        return 1


def _all_bold(cell) -> bool:
    text = " ".join(cell.text_content().split())
    if not text:
        return False
    bold = " ".join(" ".join(b.text_content().split()) for b in cell.iter("b", "strong", "th", "h1", "h2", "h3", "h4"))
    return len(bold) >= 0.9 * len(text)


def _has_blocks(cell) -> bool:
    """A cell that holds a table, or several paragraphs of prose, is layout, not data."""
    if any(True for _ in cell.iter("table")):
        return True
    paragraphs = [p for p in cell.iter("p", "div", "h1", "h2", "h3", "ul", "ol") if p.text_content().strip()]
    return len(paragraphs) > 6


def _cell_text(cell) -> str:
    """A cell's text on one line; its own line breaks become ", " (an address over three lines)."""
    from lxml import etree

    pieces: list[str] = []
    current: list[str] = []
    walker = etree.iterwalk(cell, events=("start", "end"))
    for event, el in walker:
        name = _tag(el)
        if event == "start":
            if name in INVISIBLE:
                walker.skip_subtree()
                continue
            if name == "br" or el is not cell and (name in PARAGRAPHS or name in LINES):
                pieces.append("".join(current))
                current = []
            if el.text and name not in INVISIBLE:
                current.append(el.text)
        else:
            if name == "a":
                target = (el.get("href") or "").strip()
                if SAFE_LINK.match(target) and _norm_link(target) != _norm_link(el.text_content()):
                    current.append(f" <{target}>")
            if el is not cell and (name in PARAGRAPHS or name in LINES):
                pieces.append("".join(current))
                current = []
            if el.tail and el is not cell:
                current.append(el.tail)
    pieces.append("".join(current))
    parts = [re.sub(r"\s+", " ", p.replace("\xa0", " ")).strip() for p in pieces]
    parts = [p for p in parts if p]
    out = ""
    for part in parts:
        if not out:
            out = part
        elif out[-1] in ",.;:!?":
            out += " " + part
        else:
            out += ", " + part
    return out


def _norm_link(value: str) -> str:
    return re.sub(r"^(https?://|mailto:)(www\.)?", "", value.strip().lower()).rstrip("/")
