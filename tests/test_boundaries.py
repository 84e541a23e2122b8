"""Faults where kontakt meets the outside (database, files, mail server) come out as one line naming what
failed and what to check, never as a traceback; and no secret is ever recorded or printed."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from sqlmodel import select

from core.settings import load_settings, redacted
from kontakt.cli import main
from kontakt.pipeline import open_store, run_once
from store import Run, session_scope
from tests.support.dovecot import free_port
from tests.support.mail import event_mail, write_mails


def one_line_error(result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("Error:")
    return last


def config_with(tmp_path: Path, database: str, mailbox: str | None = None, extra: str = "") -> Path:
    inbox = write_mails(tmp_path / "inbox", {"1.eml": event_mail()})
    config = tmp_path / "config.toml"
    config.write_text(f'[mailbox]\nsource = "{mailbox or f"folder:{inbox}"}"\n[database]\nurl = "{database}"\n{extra}')
    return config


@pytest.mark.parametrize("command", [["run"], ["drafts"], ["messages"], ["serve", "--port", "1"]])
def test_a_database_server_that_is_down(tmp_path, command):
    config = config_with(tmp_path, f"postgresql+psycopg://kontakt@127.0.0.1:{free_port()}/kontakt")
    line = one_line_error(CliRunner().invoke(main, [*command, "--config", str(config)]))
    assert "cannot be used" in line and "database server is running" in line


@pytest.mark.parametrize("command", [["run"], ["drafts"]])
def test_an_sqlite_file_that_cannot_be_written(tmp_path, command):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where a folder should be")
    config = config_with(tmp_path, f"sqlite:///{blocked}/kontakt.db")
    line = one_line_error(CliRunner().invoke(main, [*command, "--config", str(config)]))
    assert str(blocked) in line and "[database] url" in line


def test_a_password_in_the_mailbox_url_is_never_recorded_or_printed(tmp_path, caplog):
    secret = "hemmeligt-kodeord"
    source = f"imaps://kontakt@ledelsesugen.dk:{secret}@127.0.0.1:{free_port()}/INBOX"
    config = config_with(tmp_path, "sqlite:///k.db", mailbox=source)
    caplog.set_level(logging.DEBUG)
    result = CliRunner().invoke(main, ["run", "--config", str(config)])
    one_line_error(result)
    assert secret not in result.output and secret not in caplog.text
    with session_scope(open_store(load_settings(config))) as s:
        (run,) = s.exec(select(Run)).all()
    assert run.outcome == "failed" and secret not in run.source and secret not in (run.error or "")
    assert run.source == redacted(source) and "kontakt@ledelsesugen.dk" in run.source


class Refusing:
    """An SMTP server that refuses one recipient and takes the rest."""

    def __init__(self, refused: str) -> None:
        self.refused, self.accepted = refused, []

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802 (aiosmtpd's name)
        if address == self.refused:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.accepted.extend(envelope.rcpt_tos)
        return "250 OK"


def test_an_smtp_refusal_is_recorded_and_a_server_gone_is_one_line(tmp_path):
    handler = Refusing("meho@vejle.example")
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox = write_mails(tmp_path / "inbox", {
        "1.eml": event_mail(msgid="<a@vejle.example>"),
        "2.eml": event_mail(title="Tillid og styring – debatmøde", msgid="<b@odense.example>",
                            sender="Lars Friis <lafr@odense.example>")})
    config = tmp_path / "config.toml"
    config.write_text(f'[mailbox]\nsource = "folder:{inbox}"\n[database]\nurl = "sqlite:///k.db"\n[notify]\nenabled = true\n'
                      f'smtp_host = "127.0.0.1"\nsmtp_port = {controller.port}\nsmtp_security = "none"\nmax_age_days = 0\n')
    try:
        run_once(load_settings(config))
    finally:
        controller.stop()
    assert handler.accepted == ["lafr@odense.example"]  # one refused, the other still sent
    from store.models import Notification

    with session_scope(open_store(load_settings(config))) as s:
        refused = s.exec(select(Notification).where(Notification.recipient == "meho@vejle.example")).one()
    assert refused.sent_at is None and "no such user" in refused.error
    line = one_line_error(CliRunner().invoke(main, ["notify", "--config", str(config)]))  # the server is gone now
    assert "cannot send mail via 127.0.0.1" in line and "smtp_host" in line
