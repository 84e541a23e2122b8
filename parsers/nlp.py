"""The spaCy pipeline: `spacy.blank("da")` plus kontakt's own registered components.

No trained Danish pipeline can be installed here, so organisers are found by
rules kept as data (patterns/organisations.json): whole names from a table of
Danish public bodies and unions, and token patterns such as "X Kommune",
"Region X", "Styrelsen for X". Built once per process.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # spaCy is imported when the pipeline is first built: a run with no new mail never pays for it
    from spacy.language import Language
    from spacy.tokens import Doc, Span

PATTERNS = Path(__file__).parent / "patterns"
ORG_LABEL = "ORG"


def organisation_patterns() -> list[dict]:
    """SpanRuler patterns (label, pattern, id) built from the organisations table."""
    data = json.loads((PATTERNS / "organisations.json").read_text(encoding="utf-8"))
    patterns: list[dict] = []
    for name in data["names"] + data["kommuner"] + data["regioner"]:
        patterns.append({"label": ORG_LABEL, "pattern": name, "id": "table"})
    # a capitalised function word starting a sentence ("I Gudenå Kommune …") is not part of the name
    name_word = {"IS_TITLE": True, "LOWER": {"NOT_IN": data["not_name_words"]}}
    connector = {"LOWER": {"IN": ["og", "for", "i", "-", "&"]}}
    # one pattern for all suffixes, and one for all one-word prefixes: the matcher's cost grows with the
    # number of patterns that can start at a capitalised word
    patterns.append({"label": ORG_LABEL, "id": "suffix",
                     "pattern": [{**name_word, "OP": "?"}, name_word, {"TEXT": {"IN": data["suffixes"]}}]})
    # prefixes of the same length share one pattern (word by word): fewer patterns, a faster matcher
    by_length: dict[int, list[list[str]]] = {}
    for prefix in data["prefixes"]:
        by_length.setdefault(len(prefix.split()), []).append(prefix.split())
    heads = [[{"TEXT": {"IN": sorted({p[k] for p in group})}} for k in range(n)] for n, group in sorted(by_length.items())]
    for words in heads:
        patterns.append({"label": ORG_LABEL, "id": "prefix",
                         "pattern": words + [{"IS_TITLE": True}, {"IS_TITLE": True, "OP": "?"}]})
        patterns.append({"label": ORG_LABEL, "id": "prefix-connected",
                         "pattern": words + [{"IS_TITLE": True}, connector, {"IS_TITLE": True}]})
    return patterns


def make_organisation_finder(nlp: "Language", name: str, spans_key: str) -> "OrganisationFinder":
    return OrganisationFinder(nlp, name, spans_key)


class OrganisationFinder:
    """Marks organisation names in doc.spans[spans_key], longest match first."""

    def __init__(self, nlp: "Language", name: str, spans_key: str) -> None:
        self.spans_key = spans_key
        self.ruler = nlp.add_pipe("span_ruler", name=f"{name}_ruler", config={"spans_key": f"_{spans_key}_all",
                                                                              "phrase_matcher_attr": "TEXT"})
        self.ruler.add_patterns(organisation_patterns())
        data = json.loads((PATTERNS / "organisations.json").read_text(encoding="utf-8"))
        self.area_words = set(data["area_words"])

    def __call__(self, doc: "Doc") -> "Doc":
        from spacy.tokens import Span
        from spacy.util import filter_spans

        found = list(doc.spans.get(f"_{self.spans_key}_all", []))
        for span in list(found):  # "Lederforum Nord", "Djøf Sjælland": a known body and its area
            if span.id_ == "table" and span.end < len(doc) and doc[span.end].text in self.area_words:
                found.append(Span(doc, span.start, span.end + 1, label=span.label, span_id="table-area"))
        doc.spans[self.spans_key] = filter_spans(found)
        return doc


@lru_cache(maxsize=1)
def build_nlp() -> "Language":
    """spacy.blank("da") with kontakt's registered components; built once per process."""
    import spacy
    from spacy.language import Language

    if not Language.has_factory("kontakt_organisations"):
        Language.factory("kontakt_organisations", assigns=["doc.spans"],
                         default_config={"spans_key": "organisations"})(make_organisation_finder)
    nlp = spacy.blank("da")
    nlp.add_pipe("kontakt_organisations", last=True)
    return nlp


def organisations(text: str) -> list["Span"]:
    """Organisation names in the text, in order, as spans (with character offsets)."""
    doc = build_nlp()(text[:20_000])
    found = sorted(doc.spans.get("organisations", []), key=lambda s: s.start_char)
    return [s for s in found if s.text not in NOT_ORGANISERS]


@lru_cache(maxsize=4096)
def organisation_spans(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, name, how it was found) for each organisation in the text; `how` is the pattern's kind
    ("table", "table-area", "suffix", "prefix", "prefix-connected")."""
    doc = build_nlp()(text[:MAX_NLP_CHARS])
    found = sorted(doc.spans.get("organisations", []), key=lambda s: s.start_char)
    return [(s.start_char, s.end_char, s.text, s.id_ or "table") for s in found if s.text not in NOT_ORGANISERS]


MAX_NLP_CHARS = 50_000
JOB_WORDS = tuple(json.loads((PATTERNS / "organisations.json").read_text(encoding="utf-8"))["job_words"])
NOT_ORGANISERS = set(json.loads((PATTERNS / "organisations.json").read_text(encoding="utf-8"))["not_organisers"])
