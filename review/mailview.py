"""Showing hostile mail safely: sanitised HTML, and the text with each field's evidence marked so it can be
followed: every field its own mark (colour and name), and where a value came from when not from the text."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import nh3
from markupsafe import Markup, escape

ALLOWED_TAGS = {"p", "br", "b", "strong", "i", "em", "u", "ul", "ol", "li", "table", "thead", "tbody", "tr", "td", "th",
                "a", "h1", "h2", "h3", "h4", "blockquote", "div", "span", "hr", "pre"}  # no img: no remote loads
MAX_HTML = 500_000
# the order fields are marked in: each keeps its own colour (style.css .ev-0 … .ev-9) on every draft
MARK_ORDER = ("title", "start", "end", "place", "online", "registration_deadline", "registration", "organizer",
              "audience", "all_day")


def sanitised_html(html: str | None) -> str:
    """Mail HTML with scripts, handlers, styles, images and non-web links removed."""
    if not html:
        return ""
    return nh3.clean(html[:MAX_HTML], tags=ALLOWED_TAGS, attributes={"a": {"href"}, "td": {"colspan"}, "th": {"colspan"}},
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow",
                     strip_comments=True)


def mark_class(name: str) -> str:
    return f"ev ev-{MARK_ORDER.index(name) if name in MARK_ORDER else len(MARK_ORDER)}"


Span = tuple[int, int, list[str]]


def evidence_spans(text: str, evidence: Mapping[str, str]) -> list[Span]:
    """Where each field's evidence stands in the text: (start, end, fields). Fields read from the same words
    share a span; a span inside another is kept (it nests); one crossing another's edge is left out."""
    spans: list[Span] = []
    for name in sorted(evidence, key=lambda n: MARK_ORDER.index(n) if n in MARK_ORDER else len(MARK_ORDER)):
        snippet = evidence[name]
        at = text.find(snippet) if snippet else -1
        if at < 0:
            continue
        same = next((s for s in spans if (s[0], s[1]) == (at, at + len(snippet))), None)
        if same is not None:
            same[2].append(name)
        else:
            spans.append((at, at + len(snippet), [name]))
    accepted: list[Span] = []
    for span in sorted(spans, key=lambda s: (s[0], -s[1])):
        if all(span[1] <= a[0] or span[0] >= a[1] or _inside(span, a) or _inside(a, span) for a in accepted):
            accepted.append(span)
    return accepted


def _inside(inner: Span, outer: Span) -> bool:
    return outer[0] <= inner[0] and inner[1] <= outer[1] and inner is not outer


def marked_text(text: str, evidence: Mapping[str, str], labels: Mapping[str, str]) -> Markup:
    """The text, escaped, with each field's evidence in its own <mark> (named in Danish on hover), and an
    anchor `#ev-FIELD` before it."""

    def render(low: int, high: int, spans: list[Span]) -> Markup:
        out, pos = [], low
        for span in sorted(s for s in spans if not any(_inside(s, o) for o in spans)):
            start, end, names = span
            out.append(escape(text[pos:start]))
            label = " og ".join(labels.get(n, n) for n in names)
            anchors = Markup("").join(Markup('<span class="ev-anchor" id="ev-{}"></span>').format(n) for n in names)
            inner = render(start, end, [s for s in spans if _inside(s, span)])
            out.append(anchors + Markup('<mark class="{}" data-fields="{}" data-label="{}" title="Kilde til {}">')
                       .format(mark_class(names[0]), " ".join(names), label, label) + inner + Markup("</mark>"))
            pos = end
        out.append(escape(text[pos:high]))
        return Markup("").join(out)

    return render(0, len(text), evidence_spans(text, evidence))


@dataclass(frozen=True)
class Source:
    """Where a field's value was read, said to the reviewer."""

    kind: str  # text, subject, attachment, reply, elsewhere
    label: str  # in Danish: "i mailens tekst", "fra vedhæftet fil program.pdf", …
    message_pk: int | None = None  # a reply: the mail it came from


def evidence_sources(evidence: Mapping[str, str], mail: Any, message: Any, history: Iterable[Any]) -> dict[str, Source]:
    """For each field with evidence: in the text (it has a mark), the subject, an attachment, or a reply."""
    marked = {name for span in evidence_spans(mail.text or "", evidence) for name in span[2]}
    by_reply: dict[str, int] = {}
    for change in history:
        if change.action == "updated_by_reply" and change.message_pk is not None:
            for name in change.changes or {}:
                by_reply[name] = change.message_pk
    sources = {}
    for name, snippet in evidence.items():
        if not snippet:
            continue
        if name in by_reply and (message is None or by_reply[name] != message.id):
            sources[name] = Source("reply", f"fra et svar (mail {by_reply[name]})", by_reply[name])
        elif name in marked:
            sources[name] = Source("text", "i mailens tekst")
        elif mail.text and snippet in mail.text:
            sources[name] = Source("unmarked", "i mailens tekst (ikke markeret: den går ind over en anden kilde)")
        elif message is not None and snippet in (message.subject or ""):
            sources[name] = Source("subject", "fra mailens emnelinje")
        elif attachment := next((a for a in mail.attachments if a.text and snippet in a.text), None):
            sources[name] = Source("attachment", f"fra vedhæftet fil {attachment.filename or '(uden navn)'}")
        else:
            sources[name] = Source("elsewhere", "står ikke ordret i mailens tekst")
    return sources
