"""A real Dovecot per test (it starts in well under a second), and a config pointing at it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import require_binary
from tests.support import dovecot as dv


@pytest.fixture
def server():
    require_binary(dv.DOVECOT, "Debian's dovecot-imapd")
    require_binary("openssl", "openssl")
    instance = dv.Dovecot().start()
    yield instance
    instance.cleanup()


@pytest.fixture
def imap_config(tmp_path: Path, server, monkeypatch):
    """Write config.toml for the test Dovecot; returns a function taking extra [mailbox] lines."""
    monkeypatch.setenv("KONTAKT_TEST_IMAP_PASSWORD", dv.PASSWORD)

    def _make(*, tls: bool = False, extra: str = "", folder: str = "INBOX") -> Path:
        config = tmp_path / "config.toml"
        lines = [f'source = "{server.url(tls=tls, folder=folder)}"', 'password_env = "KONTAKT_TEST_IMAP_PASSWORD"',
                 f'ca_file = "{server.cert}"']
        config.write_text("[mailbox]\n" + "\n".join(lines) + "\n" + extra + '\n[database]\nurl = "sqlite:///kontakt.db"\n',
                          encoding="utf-8")
        return config

    return _make


@pytest.fixture
def child_env(monkeypatch) -> dict[str, str]:
    """The environment for `kontakt` child processes (the password, and the project on the path)."""
    env = dict(os.environ)
    env["KONTAKT_TEST_IMAP_PASSWORD"] = dv.PASSWORD
    return env
