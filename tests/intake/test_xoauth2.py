"""XOAUTH2 against Dovecot's own oauth2 passdb.

Dovecot checks each token at an introspection endpoint (RFC 7662). Microsoft's
cannot be reached here, so a small HTTP server on loopback plays that part:
it is the only stand-in; the SASL exchange and the decision are Dovecot's.
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from click.testing import CliRunner

from kontakt.cli import main
from kontakt.pipeline import run_once
from core.settings import load_settings
from tests.conftest import require_binary
from tests.support import dovecot as dv
from tests.support.mail import event_mail

pytestmark = pytest.mark.dovecot
VALID_TOKEN = "eyJ0eXAiOiJKV1QiLCJub25jZSI6InRlc3QifQ.gyldig"


class Introspection(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
        active = form.get("token", [""])[0] == VALID_TOKEN
        body = json.dumps({"active": active, "username": dv.USER} if active else {"active": False}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def oauth_server():
    require_binary(dv.DOVECOT, "Debian's dovecot-imapd")
    http = HTTPServer(("127.0.0.1", dv.free_port()), Introspection)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    server = dv.Dovecot(oauth2_introspection_url=f"http://127.0.0.1:{http.server_port}/introspect").start()
    server.add_mail(event_mail())
    yield server
    server.cleanup()
    http.shutdown()


def config_for(tmp_path: Path, server, token_setting: str) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(f'[mailbox]\nsource = "{server.url(tls=True)}"\nca_file = "{server.cert}"\n{token_setting}\n'
                      '[database]\nurl = "sqlite:///k.db"\n')
    return config


def test_token_from_an_environment_variable(oauth_server, tmp_path, monkeypatch):
    monkeypatch.setenv("KONTAKT_TEST_TOKEN", VALID_TOKEN)
    config = config_for(tmp_path, oauth_server, 'oauth2_token_env = "KONTAKT_TEST_TOKEN"')
    assert run_once(load_settings(config)).new_drafts == 1
    assert "method=XOAUTH2" in oauth_server.log()


def test_token_from_a_command(oauth_server, tmp_path):
    script = tmp_path / "token.py"
    script.write_text(f"print({VALID_TOKEN!r})\n")
    config = config_for(tmp_path, oauth_server, f'oauth2_token_command = "{sys.executable} {script}"')
    assert run_once(load_settings(config)).new_drafts == 1


def test_an_expired_token_says_what_to_do_and_never_prints_the_token(oauth_server, tmp_path, monkeypatch):
    monkeypatch.setenv("KONTAKT_TEST_TOKEN", "udloebet-token-123")
    config = config_for(tmp_path, oauth_server, 'oauth2_token_env = "KONTAKT_TEST_TOKEN"')
    result = CliRunner().invoke(main, ["run", "--config", str(config)])
    assert result.exit_code == 1
    assert "may have expired" in result.output and "new access token" in result.output
    assert "udloebet-token-123" not in result.output
