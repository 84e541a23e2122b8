"""A seeded review desk: drafts queued by the real pipeline from mails written here, two users."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from kontakt.pipeline import open_store, run_once
from core.settings import load_settings
from store import session_scope
from store.users import add_user
from tests.support.desk import served
from tests.support.mail import CPH_SUMMER, event_mail, write_mails

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
    monkeypatch.setenv("KONTAKT_SECRET", "test-secret-for-signing")
    with served(desk) as base:
        yield base


LONG_LINE = "Programmet:" + "x" * 20_000  # one unbroken line, as HTML mail often has


def html_mail_with_a_long_line() -> bytes:
    from email.mime.text import MIMEText

    html = (f"<html><body><p>Kære Ledelsesugen</p><p><b>Tid:</b> Fredag den 30. oktober kl. 13-15</p>"
            f"<p><b>Sted:</b> Biblioteket, Havnegade 4, 4000 Roskilde</p><p>{LONG_LINE}</p></body></html>")
    msg = MIMEText(html, "html", "utf-8")
    msg["From"] = "Ida Krogh <idkr@roskilde.example>"
    msg["To"] = "kontakt@ledelsesugen.dk"
    msg["Subject"] = "Lederfrokost om arbejdsmiljø"
    msg["Date"] = "Tue, 15 Sep 2026 09:00:00 +0200"
    msg["Message-ID"] = "<lang@roskilde.example>"
    return msg.as_bytes()


@pytest.fixture
def season(tmp_path: Path):
    """A season's mail: the bundled samples (events of several organisers, one mail with two events), an
    event of next year's week, an HTML mail with a very long line, a mail that failed, one event approved."""
    import shutil

    from store import repo
    from store.decisions import decide
    from store import DraftStatus

    inbox = tmp_path / "inbox"
    shutil.copytree(Path(__file__).resolve().parents[2] / "samples" / "inbox", inbox)
    write_mails(inbox, {
        "20-naeste-aar.eml": event_mail(title="Tillidsdagen 2027", when="Tirsdag den 26. oktober 2027 kl. 10-12",
                                        sent=datetime(2027, 9, 1, 10, 0, tzinfo=CPH_SUMMER), msgid="<n@aar.example>",
                                        sender="Bo Dahl <bo@aar.example>"),
        "21-lang-linje.eml": html_mail_with_a_long_line(),
    })
    config = tmp_path / "config.toml"
    config.write_text(f'[mailbox]\nsource = "folder:{inbox}"\n[database]\nurl = "sqlite:///k.db"\n')
    settings = load_settings(config)
    run_once(settings)
    with session_scope(open_store(settings)) as s:
        add_user(s, "mette", PASSWORDS["mette"], admin=True)
        add_user(s, "jonas", PASSWORDS["jonas"])
        failed, _ = repo.keep_raw(s, b"From: x@y.example\r\nSubject: Ulaeselig\r\n\r\n\xff\xfe", source="test", ref="bad")
        repo.record_failure(s, failed, "simuleret fejl ved læsning")
        approved = next(d for d in repo.list_drafts(s) if d.registration_deadline and d.start and "T" in d.start)
        decide(s, [(approved.id, approved.version)], actor="mette", action="approved", status=DraftStatus.APPROVED)
    return settings


@pytest.fixture
def live_season(season, monkeypatch):
    monkeypatch.setenv("KONTAKT_SECRET", "test-secret-for-signing")
    with served(season) as base:
        yield base
