"""Checking a reviewer's edits, with messages in Danish."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$")
EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(\.[\w-]+)*\.[a-z]{2,}$", re.IGNORECASE)
URL = re.compile(r"^(https?://|www\.)[^\s<>\"']+$", re.IGNORECASE)
TEXT_FIELDS = ("title", "place", "registration", "organizer", "audience", "description")
MAX_LENGTH = {"title": 300, "place": 500, "registration": 500, "organizer": 300, "audience": 500, "description": 5000}


@dataclass
class DraftForm:
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def _when(value: str) -> str | None:
    value = value.strip().replace(" ", "T", 1) if value.strip() else ""
    if len(value) == 16 and DATETIME.match(value) or DATE.match(value):
        return value
    return None


def check_draft(form: dict[str, str]) -> DraftForm:
    result = DraftForm()
    v = result.values
    for name in TEXT_FIELDS:
        text = " ".join((form.get(name) or "").split()) if name != "description" else (form.get(name) or "").strip()
        if len(text) > MAX_LENGTH[name]:
            result.errors[name] = f"Højst {MAX_LENGTH[name]} tegn."
        v[name] = text or None
    if not v["title"]:
        result.errors["title"] = "Arrangementet skal have en titel."
    for name, label in (("start", "Start"), ("end", "Slut"), ("registration_deadline", "Tilmeldingsfrist")):
        raw = (form.get(name) or "").strip()
        parsed = _when(raw) if raw else None
        if raw and parsed is None:
            result.errors[name] = f"{label} skal skrives som ÅÅÅÅ-MM-DD eller ÅÅÅÅ-MM-DDTTT:MM, fx 2026-10-27T09:30."
        v[name] = parsed
    if not v["start"] and "start" not in result.errors:
        result.errors["start"] = "Arrangementet skal have en start."
    v["all_day"] = form.get("all_day") in ("on", "true", "1")
    v["online"] = form.get("online") in ("on", "true", "1")
    if v["start"] and v["end"] and "end" not in result.errors and v["end"] < v["start"]:
        result.errors["end"] = "Slut skal ligge efter start."
    if v["start"] and v["registration_deadline"] and v["registration_deadline"][:10] > v["start"][:10]:
        result.errors["registration_deadline"] = "Tilmeldingsfristen skal ligge før arrangementet."
    for name in ("start", "end"):  # all day: both ends are dates (the feed's DTEND is the day after the end)
        if v["all_day"] and v[name] and len(v[name]) > 10:
            v[name] = v[name][:10]
    reg = v["registration"]
    if reg and not (EMAIL.match(reg) or URL.match(reg)):
        result.errors["registration"] = "Tilmelding skal være et link (https://…) eller en e-mailadresse."
    return result
