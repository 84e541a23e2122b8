"""Text and JSON that every database accepts, whatever a hostile mail carries."""

from __future__ import annotations

from typing import Any

# column sizes of the draft's fields (hostile mail can carry megabyte "titles")
FIELD_LIMITS = {"start": 16, "end": 16, "registration_deadline": 16, "registration": 2000}
DEFAULT_FIELD_LIMIT = 1000


def safe_text(value: str | None, limit: int | None = None) -> str | None:
    """Lone surrogates replaced, NUL removed (PostgreSQL refuses it), cut to `limit`."""
    if value is None:
        return None
    text = value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")
    return text[:limit] if limit is not None else text


def safe_json(value: Any) -> Any:
    if isinstance(value, str):
        return safe_text(value, 4000)
    if isinstance(value, dict):
        return {safe_text(str(k), 200): safe_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [safe_json(v) for v in value]
    return value


def clipped(values: dict[str, Any]) -> dict[str, Any]:
    """Field values cut to their column sizes."""
    return {k: (safe_text(v, FIELD_LIMITS.get(k, DEFAULT_FIELD_LIMIT)) if isinstance(v, str) else v)
            for k, v in values.items()}
