"""Local sources: a folder of .eml files, or a Maildir. The embedded default and the tests' source."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from intake.base import RawMail
from intake.errors import MailboxUnavailable


def read_capped(path: Path, limit: int) -> RawMail | None:
    """The file's bytes, at most `limit` of them; None if it vanished meanwhile."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            raw = fh.read(limit)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise MailboxUnavailable(f"cannot read {path}: {exc.strerror or exc}") from exc
    return RawMail(ref=path.name, raw=raw, size=size, truncated=size > limit)


class FolderMailbox:
    """Every `*.eml` file in a folder, by name. Reading never changes the folder."""

    def __init__(self, path: str | Path, *, max_bytes: int) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.source = f"folder:{self.path}"
        if not self.path.is_dir():
            raise MailboxUnavailable(f"{self.source}: no such folder")

    def _files(self) -> list[Path]:
        return sorted(p for p in self.path.iterdir() if p.suffix.lower() == ".eml" and p.is_file())

    def fetch_new(self, seen: set[str]) -> Iterator[RawMail]:
        for path in self._files():
            if path.name in seen:
                continue
            mail = read_capped(path, self.max_bytes)
            if mail is not None:
                yield mail

    def apply_action(self, refs: list[str]) -> None:
        """A folder is read-only for kontakt: the ledger alone remembers what was taken."""

    def close(self) -> None:
        pass


class MaildirMailbox:
    """A Maildir's new/ and cur/ messages, keyed by their unique name (without flags)."""

    def __init__(self, path: str | Path, *, max_bytes: int) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.source = f"maildir:{self.path}"
        if not (self.path / "cur").is_dir() or not (self.path / "new").is_dir():
            raise MailboxUnavailable(f"{self.source}: not a Maildir (no cur/ and new/)")

    def fetch_new(self, seen: set[str]) -> Iterator[RawMail]:
        files = [p for sub in ("new", "cur") for p in (self.path / sub).iterdir() if p.is_file()]
        # Maildir names start with the delivery time, so sorting by name is oldest first
        for path in sorted(files, key=lambda p: p.name):
            key = path.name.split(":", 1)[0]
            if key in seen:
                continue
            mail = read_capped(path, self.max_bytes)
            if mail is not None:
                yield RawMail(ref=key, raw=mail.raw, size=mail.size, truncated=mail.truncated)

    def apply_action(self, refs: list[str]) -> None:
        pass

    def close(self) -> None:
        pass
