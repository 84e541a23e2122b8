"""Fixtures shared by every area's tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.mail import auto_reply, event_mail, write_mails

REQUIRE_SERVICES = os.environ.get("KONTAKT_REQUIRE_SERVICES") == "1"
ROOT = Path(__file__).resolve().parent.parent


def require_binary(path_or_name: str, what: str) -> str:
    """The binary's path; skip the test when it is missing, or fail under KONTAKT_REQUIRE_SERVICES=1 (CI)."""
    found = path_or_name if os.path.isabs(path_or_name) and os.path.exists(path_or_name) else shutil.which(path_or_name)
    if found:
        return found
    message = f"{what} is not installed ({path_or_name}); .ci/run installs it"
    if REQUIRE_SERVICES:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def make_config(tmp_path: Path):
    """Write a config.toml for a tmp folder source and SQLite file; returns its path."""

    def _make(source: str | None = None, *, extra: str = "", db: str = "kontakt.db") -> Path:
        inbox = tmp_path / "inbox"
        inbox.mkdir(exist_ok=True)
        config = tmp_path / "config.toml"
        config.write_text(
            f'[mailbox]\nsource = "{source or "folder:inbox"}"\n\n[database]\nurl = "sqlite:///{db}"\n{extra}\n',
            encoding="utf-8",
        )
        return config

    return _make


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    """A folder with two event submissions and an auto-reply."""
    return write_mails(tmp_path / "inbox", {
        "01-vejle.eml": event_mail(),
        "02-odense.eml": event_mail(title="Tillid og styring – debatmøde", when="Onsdag den 28. oktober kl. 14-16",
                                    place="Borgernes Hus, Kongensgade 2, 5000 Odense C",
                                    sender="Lars Friis <lafr@odense.example>"),
        "03-autosvar.eml": auto_reply(),
    })


@pytest.fixture(scope="session")
def hostile_dir(tmp_path_factory) -> Path:
    """../shared's 57 malformed and malicious mails, written afresh by its generator (never into ../shared)."""
    script = ROOT.parent / "shared" / "corpus" / "make_hostile.py"
    if not script.exists():
        pytest.skip("../shared/corpus/make_hostile.py is not beside the project")
    out = tmp_path_factory.mktemp("hostile")
    subprocess.run([sys.executable, str(script), "--out", str(out)], check=True, stdout=subprocess.DEVNULL)
    return out
