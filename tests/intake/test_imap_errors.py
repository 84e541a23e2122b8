"""What the server refuses after login is an error kontakt names in one line; what was taken in stays."""

from __future__ import annotations

from click.testing import CliRunner
from sqlmodel import select

from core.settings import load_settings
from kontakt.cli import main
from kontakt.pipeline import open_store, run_once
from store import Draft, SeenMail, session_scope
from tests.support.mail import event_mail


def test_a_refused_mailbox_action_is_one_line_and_the_next_run_tries_it_again(server, imap_config):
    server.add_mail(event_mail(msgid="<a@vejle.example>"))
    config = imap_config(extra='action = "move:Findes/Ikke"')  # the server answers NO: no such folder
    result = CliRunner().invoke(main, ["run", "--config", str(config)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("Error:") and "refused applying the mailbox action" in last
    with session_scope(open_store(load_settings(config))) as s:
        assert len(s.exec(select(Draft)).all()) == 1  # the mail was kept and read before the action
        assert [row.action_done for row in s.exec(select(SeenMail))] == [False]  # owed, not forgotten
    fixed = config.read_text().replace('action = "move:Findes/Ikke"', 'action = "seen"')
    config.write_text(fixed)
    run_once(load_settings(config))
    with session_scope(open_store(load_settings(config))) as s:
        assert [row.action_done for row in s.exec(select(SeenMail))] == [True]
        assert len(s.exec(select(Draft)).all()) == 1
