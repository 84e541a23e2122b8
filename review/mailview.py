"""Showing hostile mail safely: sanitised HTML, and the text with each field's evidence marked."""

from __future__ import annotations

import nh3
from markupsafe import Markup, escape

ALLOWED_TAGS = {"p", "br", "b", "strong", "i", "em", "u", "ul", "ol", "li", "table", "thead", "tbody", "tr", "td", "th",
                "a", "h1", "h2", "h3", "h4", "blockquote", "div", "span", "hr", "pre"}  # no img: no remote loads
MAX_HTML = 500_000


def sanitised_html(html: str | None) -> str:
    """Mail HTML with scripts, handlers, styles, images and non-web links removed."""
    if not html:
        return ""
    return nh3.clean(html[:MAX_HTML], tags=ALLOWED_TAGS, attributes={"a": {"href"}, "td": {"colspan"}, "th": {"colspan"}},
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow",
                     strip_comments=True)


def marked_text(text: str, evidence: dict[str, str], labels: dict[str, str]) -> Markup:
    """The text, escaped, with each evidence span wrapped in <mark data-field=…>."""
    spans: list[tuple[int, int, str]] = []
    for name, snippet in evidence.items():
        if not snippet:
            continue
        at = text.find(snippet)
        if at >= 0 and all(at >= e or at + len(snippet) <= s for s, e, _ in spans):
            spans.append((at, at + len(snippet), name))
    out, pos = [], 0
    for start, end, name in sorted(spans):
        out.append(escape(text[pos:start]))
        out.append(Markup('<mark data-field="{}" title="{}">{}</mark>').format(name, labels.get(name, name), text[start:end]))
        pos = end
    out.append(escape(text[pos:]))
    return Markup("").join(out)
