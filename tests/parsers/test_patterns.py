"""Every pattern file loads and has the shape its reader expects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

PATTERNS = Path(__file__).resolve().parents[2] / "parsers" / "patterns"


@pytest.mark.parametrize("path", sorted(PATTERNS.glob("*.json")), ids=lambda p: p.name)
def test_pattern_file_loads(path):
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and data
    for key, value in data.items():
        if not key.startswith("_"):
            assert value, f"{path.name}: {key} is empty"


def test_the_organisation_table_has_all_98_kommuner_and_5_regioner():
    data = json.loads((PATTERNS / "organisations.json").read_text(encoding="utf-8"))
    assert len(set(data["kommuner"])) == 98
    assert sum(r.startswith("Region ") for r in data["regioner"]) == 5


def test_the_spacy_pipeline_is_blank_danish_with_our_component():
    from parsers.nlp import build_nlp, organisations

    nlp = build_nlp()
    assert nlp.lang == "da" and "kontakt_organisations" in nlp.pipe_names
    assert [s.text for s in organisations("I år inviterer Region Hovedstaden og KL til debat")] == ["Region Hovedstaden", "KL"]
