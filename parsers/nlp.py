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
    for name in data["names"]:  # "Lederforum Nord", "Djøf Sjælland": a known body and its area
        patterns.append({"label": ORG_LABEL, "id": "table-area",
                         "pattern": [{"TEXT": w} for w in name.split()] + [{"TEXT": {"IN": data["area_words"]}}]})
    # a capitalised function word starting a sentence ("I Gudenå Kommune …") is not part of the name
    name_word = {"IS_TITLE": True, "LOWER": {"NOT_IN": data["not_name_words"]}}
    connector = {"LOWER": {"IN": ["og", "for", "i", "-", "&"]}}
    for suffix in data["suffixes"]:
        patterns.append({"label": ORG_LABEL, "id": "suffix",
                         "pattern": [{**name_word, "OP": "?"}, name_word, {"TEXT": suffix}]})
    for prefix in data["prefixes"]:
        words = [{"TEXT": w} for w in prefix.split()]
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

    def __call__(self, doc: "Doc") -> "Doc":
        from spacy.util import filter_spans

        found = list(doc.spans.get(f"_{self.spans_key}_all", []))
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


JOB_WORDS = tuple(json.loads((PATTERNS / "organisations.json").read_text(encoding="utf-8"))["job_words"])
NOT_ORGANISERS = set(json.loads((PATTERNS / "organisations.json").read_text(encoding="utf-8"))["not_organisers"])
