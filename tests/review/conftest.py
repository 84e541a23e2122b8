"""A seeded review desk: drafts queued by the real pipeline from mails written here, two users."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import uvicorn

from kontakt.pipeline import open_store, run_once
from core.settings import load_settings
from store import session_scope
from store.users import add_user
from tests.support.dovecot import free_port
from tests.support.mail import event_mail, write_mails

PASSWORDS = {"mette": "mettes-lange-kodeord", "jonas": "jonas-lange-kodeord"}
XSS_HTML = """<html><body><p onclick="alert('klik')">Kære Ledelsesugen</p>
<script>alert('script')</script><img src="http://203.0.113.9/pixel.gif" onerror="alert('img')">
<p><b>Tid:</b> Torsdag den 29. oktober kl. 10-12</p><p><b>Sted:</b> Rådhuset, Torvet 1, 7100 Vejle</p>
<p><a href="javascript:alert('link')">Tilmeld dig her</a></p>
<iframe src="http://203.0.113.9/frame"></iframe><link rel="stylesheet" href="http://203.0.113.9/x.css">
<p>Venlig hilsen<br>Vejle Kommune</p></body></html>"""


def xss_mail() -> bytes:
    from email.mime.text import MIMEText

    msg = MIMEText(XSS_HTML, "html", "utf-8")
    msg["From"] = "<script>alert('from')</script> <x@vejle.example>"
    msg["To"] = "kontakt@ledelsesugen.dk"
    msg["Subject"] = "<img src=x onerror=alert('subject')> Lederdag om <script>alert(1)</script>"
    msg["Date"] = "Mon, 14 Sep 2026 10:00:00 +0200"
    msg["Message-ID"] = "<xss@vejle.example>"
    return msg.as_bytes()


@pytest.fixture
def desk(tmp_path: Path):
    inbox = write_mails(tmp_path / "inbox", {
        "01.eml": event_mail(msgid="<a@vejle.example>"),
        "02.eml": event_mail(title="Tillid og styring – debatmøde", when="Onsdag den 28. oktober kl. 14-16",
                             msgid="<b@odense.example>", sender="Lars Friis <lafr@odense.example>"),
        "03.eml": xss_mail(),
    })
    config = tmp_path / "config.toml"
    config.write_text(f'[mailbox]\nsource = "folder:{inbox}"\n[database]\nurl = "sqlite:///k.db"\n')
    settings = load_settings(config)
    run_once(settings)
    with session_scope(open_store(settings)) as s:
        add_user(s, "mette", PASSWORDS["mette"], admin=True)
        add_user(s, "jonas", PASSWORDS["jonas"])
    return settings


@pytest.fixture
def live_desk(desk, monkeypatch):
    """The app served by uvicorn in a thread on a free loopback port; yields its base URL."""
    from kontakt.desk import desk_app

    monkeypatch.setenv("KONTAKT_SECRET", "test-secret-for-signing")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(desk_app(desk), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(5)
