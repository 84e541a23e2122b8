"""HTML -> plain text that keeps the structure a reader sees: lines, table rows, link targets.

A real HTML parser (lxml via BeautifulSoup), never regexes over markup. Scripts,
styles and other invisible content are dropped; nothing is fetched.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString, Tag

MAX_HTML_CHARS = 1_000_000
INVISIBLE = {"script", "style", "head", "title", "noscript", "template", "svg", "object", "iframe", "meta", "link"}
PARAGRAPHS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote", "section", "article",
              "header", "footer", "hr", "pre", "address", "center"}
LINES = {"br", "tr", "li", "div", "dt", "dd"}
BLOCKS = PARAGRAPHS | LINES
CELLS = {"td", "th"}
SAFE_LINK = re.compile(r"^(https?://|mailto:)", re.I)


def html_to_text(html: str) -> str:
    soup = BeautifulSoup(html[:MAX_HTML_CHARS], "lxml")
    out: list[str] = []
    # iterative walk: hostile HTML nests deeper than the recursion limit
    stack: list[object] = [soup]
    while stack:
        node = stack.pop()
        if isinstance(node, str) and node.startswith("\x00end:"):
            name, href = node[5:].split("\x00", 1) if "\x00" in node[5:] else (node[5:], "")
            if href:
                out.append(f" <{href}>")
            if name in PARAGRAPHS:
                out.append("\n\n")
            elif name in CELLS:
                out.append("\t")  # a cell boundary: "Hvor<tab>Rådhuset" reads as a label and its value
            continue
        if isinstance(node, NavigableString):
            if node.__class__.__name__ in ("Comment", "Doctype", "Declaration", "ProcessingInstruction", "CData"):
                continue
            out.append(re.sub(r"\s+", " ", str(node)))
            continue
        if not isinstance(node, Tag):
            continue
        name = (node.name or "").lower()
        if name in INVISIBLE:
            continue
        if name in BLOCKS:
            out.append("\n\n" if name in PARAGRAPHS else "\n")
        href = ""
        if name == "a":
            target = (node.get("href") or "").strip()
            label = node.get_text(" ", strip=True)
            if SAFE_LINK.match(target) and _norm_link(target) != _norm_link(label):
                href = target
        stack.append(f"\x00end:{name}\x00{href}")
        stack.extend(reversed(list(node.children)))
    text = "".join(out).replace("\xa0", " ")
    lines = [re.sub(r" *\t[ \t]*", "\t", re.sub(r" +", " ", line)).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _norm_link(value: str) -> str:
    return re.sub(r"^(https?://|mailto:)(www\.)?", "", value.strip().lower()).rstrip("/")
