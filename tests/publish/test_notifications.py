"""Notifications against a real SMTP server on loopback (aiosmtpd): who gets mail, and who never does."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from sqlmodel import select

from kontakt.cli import main
from kontakt.pipeline import open_store, run_once
from core.settings import load_settings
from store import Draft, DraftStatus, repo, session_scope
from tests.support.dovecot import free_port
from tests.support.smtp import Catcher
from tests.support.mail import auto_reply, event_mail, write_mails


@pytest.fixture
def smtp():
    inbox = Catcher()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def bounce() -> bytes:
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    report = MIMEMultipart("report", report_type="delivery-status")
    report.attach(MIMEText("Delivery failed.\n"))
    report.attach(MIMEText(event_mail().decode(), "rfc822-headers"))
    report["From"] = "MAILER-DAEMON@mx.kommune.example"
    report["To"] = "kontakt@ledelsesugen.dk"
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report["Message-ID"] = "<bounce@mx.kommune.example>"
    return report.as_bytes()


@pytest.fixture
def configured(tmp_path: Path, smtp):
    controller, _ = smtp
    inbox = write_mails(tmp_path / "inbox", {
        "01-event.eml": event_mail(msgid="<event@vejle.example>", sender="Mette Holm <meho@vejle.example>"),
        "02-noreply.eml": event_mail(title="Webinar fra systemet", msgid="<nr@x.example>",
                                     sender="Tilmeldingssystem <no-reply@system.example>"),
        "03-auto.eml": auto_reply(),
        "04-bounce.eml": bounce(),
        "05-list.eml": event_mail(title="Nyhed om lederdag", msgid="<nl@nyt.example>", sender="Nyt <info@nyt.example>",
                                  extra_headers={"List-Unsubscribe": "<https://nyt.example/afmeld>", "Precedence": "bulk"}),
    })
    config = tmp_path / "config.toml"
    config.write_text(f'[mailbox]\nsource = "folder:{inbox}"\n[database]\nurl = "sqlite:///k.db"\n'
                      f'[notify]\nenabled = true\nsmtp_host = "127.0.0.1"\nsmtp_port = {controller.port}\n'
                      'smtp_security = "none"\nreviewers = ["redaktion@ledelsesugen.dk"]\nmax_age_days = 0\n')
    return load_settings(config), inbox


def test_a_receipt_to_the_organiser_and_none_to_machines(configured, smtp):
    settings, _ = configured
    _, received = smtp
    run_once(settings)
    receipts = received.to("meho@vejle.example")
    assert len(receipts) == 1
    receipt = receipts[0]
    assert receipt["Subject"].startswith("Vi har modtaget")
    assert receipt["Auto-Submitted"] == "auto-replied"
    assert receipt["In-Reply-To"] == "<event@vejle.example>"
    assert "Rådhuset, Torvet 1, 7100 Vejle" in receipt.get_content()
    everyone = {a for m in received.messages for a in m["X-Envelope-To"].split(", ")}
    assert everyone == {"meho@vejle.example", "redaktion@ledelsesugen.dk"}  # no auto-reply, bounce, list, no-reply
    digest = received.to("redaktion@ledelsesugen.dk")[0]
    assert "nye kladder" in digest["Subject"]


def test_nothing_is_sent_twice(configured, smtp):
    settings, inbox = configured
    _, received = smtp
    run_once(settings)
    count = len(received.messages)
    run_once(settings)  # nothing new
    assert len(received.messages) == count


def test_one_receipt_per_thread(configured, smtp):
    settings, inbox = configured
    _, received = smtp
    run_once(settings)
    (inbox / "06-followup.eml").write_bytes(event_mail(
        title="Ekstra møde om tillid", when="Fredag den 30. oktober kl. 9-10", msgid="<follow@vejle.example>",
        subject="SV: noget andet", extra_headers={"In-Reply-To": "<event@vejle.example>", "References": "<event@vejle.example>"}))
    run_once(settings)
    assert len(received.to("meho@vejle.example")) == 1


def test_decisions_are_told_to_the_organiser_with_the_reason(configured, smtp):
    settings, _ = configured
    _, received = smtp
    run_once(settings)
    with session_scope(open_store(settings)) as s:
        draft = next(d for d in s.exec(select(Draft)).all() if d.title.startswith("Ledelse i forandring"))
        repo.update_draft(s, draft.id, actor="mette", action="rejected", status=DraftStatus.REJECTED,
                          note="Arrangementet ligger uden for uge 44")
    result = CliRunner().invoke(main, ["notify", "--config", str(settings.base_dir / "config.toml")])
    assert result.exit_code == 0 and "Sent 1" in result.output
    note = received.to("meho@vejle.example")[-1]
    assert "kom ikke i programmet" in note["Subject"]
    assert "uden for uge 44" in note.get_content()
    assert note["Auto-Submitted"] == "auto-replied"


def test_a_mail_server_that_is_down_does_not_fail_the_run(configured, smtp, caplog):
    settings, _ = configured
    controller, _ = smtp
    config = settings.base_dir / "config.toml"
    config.write_text(config.read_text().replace(f"smtp_port = {controller.port}", f"smtp_port = {free_port()}"))
    report = run_once(load_settings(config))
    assert report.new_drafts >= 1
    assert "notifications not sent" in caplog.text


def test_starttls_with_a_verified_certificate(configured, tmp_path):
    import ssl
    import subprocess

    settings, _ = configured
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    received = Catcher()
    controller = Controller(received, hostname="127.0.0.1", port=free_port(), tls_context=context, require_starttls=True)
    controller.start()
    try:
        config = settings.base_dir / "config.toml"
        text = config.read_text()
        text = text.replace('smtp_security = "none"', f'smtp_security = "starttls"\nsmtp_ca_file = "{cert}"')
        text = text.replace(f"smtp_port = {settings.notify.smtp_port}", f"smtp_port = {controller.port}")
        config.write_text(text)
        run_once(load_settings(config))
        assert len(received.to("meho@vejle.example")) == 1
    finally:
        controller.stop()


def test_no_mail_about_old_mail_or_mail_from_before_notifications_were_on(tmp_path, smtp):
    """Turning notifications on must not answer a mailbox's history: mail received before that, and mail
    sent longer ago than [notify] max_age_days (found in the mailbox now), get nothing; new mail does."""
    from datetime import datetime, timedelta, timezone

    controller, received = smtp
    now = datetime.now(timezone.utc)
    inbox = write_mails(tmp_path / "inbox", {"1-before.eml": event_mail(msgid="<before@vejle.example>", sent=now)})
    config = tmp_path / "config.toml"
    base = f'[mailbox]\nsource = "folder:{inbox}"\n[database]\nurl = "sqlite:///k.db"\n'
    config.write_text(base)
    run_once(load_settings(config))  # notifications off: taken in, never answered
    with session_scope(open_store(load_settings(config))) as s:
        first = s.exec(select(Draft)).one()
        repo.update_draft(s, first.id, actor="mette", action="approved", status=DraftStatus.APPROVED)
    config.write_text(base + f'[notify]\nenabled = true\nsmtp_host = "127.0.0.1"\nsmtp_port = {controller.port}\n'
                             'smtp_security = "none"\nmax_age_days = 14\n')
    write_mails(inbox, {
        "2-old.eml": event_mail(title="Gammelt arrangement fra arkivet", msgid="<old@vejle.example>",
                                when="Tirsdag den 27. oktober 2020 kl. 9-11", sent=datetime(2020, 9, 1, tzinfo=timezone.utc)),
        "3-new.eml": event_mail(title="Nyt morgenmøde om tillid", msgid="<new@vejle.example>",
                                when="Onsdag den 27. oktober 2027 kl. 9-11", sent=now - timedelta(days=1)),
    })
    run_once(load_settings(config))
    answered = [m["In-Reply-To"] for m in received.to("meho@vejle.example")]
    assert answered == ["<new@vejle.example>"]


def test_one_decision_mail_per_submission_listing_its_events(configured, smtp):
    settings, inbox = configured
    _, received = smtp
    from email.message import EmailMessage as Mail

    two = Mail()
    two["From"], two["To"], two["Subject"] = "Ida Kruse <ikr@kyst.example>", "kontakt@ledelsesugen.dk", "To arrangementer"
    two["Date"], two["Message-ID"] = "Mon, 14 Sep 2026 10:00:00 +0200", "<two@kyst.example>"
    two.set_content("Hej\n\nVi holder to arrangementer:\n\n"
                    "Ledelse og data\nTid: Tirsdag den 27. oktober kl. 9-11\nSted: Kyst Universitet, Auditorium A, "
                    "Universitetsvej 1, 6700 Esbjerg\n\n"
                    "Tillid i teams\nTid: Torsdag den 29. oktober kl. 13-15\nSted: Kyst Universitet, Auditorium B, "
                    "Universitetsvej 1, 6700 Esbjerg\n\nVenlig hilsen\nIda Kruse\nKyst Universitet\n")
    (inbox / "06-two.eml").write_bytes(bytes(two))
    run_once(settings)
    with session_scope(open_store(settings)) as s:
        drafts = [d for d in s.exec(select(Draft)).all() if d.title in ("Ledelse og data", "Tillid i teams")]
        assert len(drafts) == 2
        for draft in drafts:
            repo.update_draft(s, draft.id, actor="mette", action="approved", status=DraftStatus.APPROVED)
    CliRunner().invoke(main, ["notify", "--config", str(settings.base_dir / "config.toml")])
    decisions = [m for m in received.to("ikr@kyst.example") if not m["Subject"].startswith("Vi har modtaget")]
    assert len(decisions) == 1
    body = decisions[0].get_content()
    assert "Ledelse og data" in body and "Tillid i teams" in body and "torsdag den 29. oktober 2026" in body
    CliRunner().invoke(main, ["notify", "--config", str(settings.base_dir / "config.toml")])
    assert len([m for m in received.to("ikr@kyst.example") if not m["Subject"].startswith("Vi har modtaget")]) == 1
