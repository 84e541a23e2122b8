"""The published programme's fixtures: a site built by the real pipeline, served by a real uvicorn."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import select

from core.settings import load_settings
from kontakt.cli import main
from kontakt.pipeline import open_store, run_once
from store import Draft, DraftStatus, repo, session_scope
from tests.support.mail import event_mail, write_mails

SITE_URL = "https://ledelsesugen.example/programme/"


@pytest.fixture
def site(tmp_path: Path):
    """Three events read from mail; the first two approved. Returns (settings, {title: draft id})."""
    inbox = write_mails(tmp_path / "inbox", {
        "01.eml": event_mail(title="Morgenmøde om tillid", when="Mandag den 26. oktober kl. 9-10.30", msgid="<1@t.example>"),
        "02.eml": event_mail(title="Lederdag for alle", when="Onsdag den 28. oktober (heldag)", msgid="<2@t.example>"),
        "03.eml": event_mail(title="Afventende webinar", when="Torsdag den 29. oktober kl. 14-15", msgid="<3@t.example>"),
    })
    config = tmp_path / "config.toml"
    config.write_text(f'[mailbox]\nsource = "folder:{inbox}"\n[database]\nurl = "sqlite:///k.db"\n'
                      f'[publish]\nsite_url = "{SITE_URL}"\n')
    settings = load_settings(config)
    run_once(settings)
    with session_scope(open_store(settings)) as s:
        drafts = {d.title: d.id for d in s.exec(select(Draft)).all()}
        for title in ("Morgenmøde om tillid", "Lederdag for alle"):
            repo.update_draft(s, drafts[title], actor="mette", action="approved", status=DraftStatus.APPROVED)
    return settings, drafts


def approve(settings, draft_id: int, **values) -> Draft:
    """A reviewer's edit and approval in one step, as the desk's "Godkend" does."""
    with session_scope(open_store(settings)) as s:
        return repo.update_draft(s, draft_id, actor="mette", action="approved", status=DraftStatus.APPROVED,
                                 values=values or None)


def edit(settings, draft_id: int, **values) -> Draft:
    with session_scope(open_store(settings)) as s:
        return repo.update_draft(s, draft_id, actor="jonas", action="edited", values=values)


def draft(settings, draft_id: int) -> Draft:
    with session_scope(open_store(settings)) as s:
        return repo.get_draft(s, draft_id)


def cli(settings, *args: str, input: str | None = None):
    return CliRunner().invoke(main, [*args, "--config", str(settings.base_dir / "config.toml")], input=input)


def publish(settings, out: Path) -> Path:
    result = cli(settings, "publish", "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


