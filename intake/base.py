"""What every mail source offers the pipeline."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class RawMail:
    ref: str  # where in the source: a file name, or FOLDER/UIDVALIDITY/UID
    raw: bytes  # the message exactly as the source holds it
    size: int = 0  # the size the source reports (may exceed len(raw) when over the cap)
    truncated: bool = False  # over [mailbox] max_message_bytes: raw holds only the start


class Mailbox(Protocol):
    """A source of mail. `source` names it without secrets; it keys the intake ledger."""

    source: str

    def fetch_new(self, seen: set[str]) -> Iterator[RawMail]:
        """Every item whose ref is not in `seen`, oldest first."""
        ...

    def apply_action(self, refs: list[str]) -> None:
        """The configured follow-up (none/seen/flag/move) for items whose drafts are committed, in one
        go; refs this source can no longer address (another UIDVALIDITY) are passed over."""
        ...

    def close(self) -> None: ...
