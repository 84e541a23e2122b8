"""The pipeline end to end through the CLI, on a temporary folder and SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kontakt.cli import main
from tests.support.mail import event_mail


def invoke(*args: str):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result


def drafts_json(config: Path) -> list[dict]:
    result = invoke("drafts", "--config", str(config), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_run_queues_drafts_and_prints_table(make_config, inbox):
    config = make_config()
    result = invoke("run", "--config", str(config))
    assert result.exit_code == 0, result.output
    rows = drafts_json(config)
    assert len(rows) == 2  # the auto-reply queues nothing
    assert {r["status"] for r in rows} == {"pending"}
    assert all(r["message_id"] and r["message_id"].startswith("<") for r in rows)
    for row in rows:  # the printed table names each queued draft
        assert str(row["start"]) in result.output
    assert "kontakt serve" in result.output


def test_second_run_queues_nothing_new(make_config, inbox):
    config = make_config()
    invoke("run", "--config", str(config))
    first = drafts_json(config)
    result = invoke("run", "--config", str(config))
    assert result.exit_code == 0
    assert "0 draft(s) queued" in result.output
    assert drafts_json(config) == first


def test_new_mail_between_runs_is_taken_alone(make_config, inbox):
    config = make_config()
    invoke("run", "--config", str(config))
    (inbox / "04-new.eml").write_bytes(event_mail(title="Ledelse af ledere – netværksdag",
                                                  when="Fredag den 30. oktober kl. 10-15"))
    invoke("run", "--config", str(config))
    titles = [r["title"] for r in drafts_json(config)]
    assert len(titles) == 3 and len(set(titles)) == 3


def test_malformed_message_is_stored_failed_and_others_go_through(make_config, inbox, tmp_path):
    (inbox / "00-empty.eml").write_bytes(b"")
    (inbox / "00-garbage.eml").write_bytes(b"\x00\xff\xfe not a mail at all \x00" * 10)
    config = make_config()
    result = invoke("run", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert len(drafts_json(config)) == 2

    from core.settings import load_settings
    from kontakt.pipeline import open_store
    from store import Message, MessageStatus, session_scope
    from sqlmodel import select

    with session_scope(open_store(load_settings(config))) as session:
        messages = session.exec(select(Message)).all()
    assert len(messages) == 5  # every mail kept, byte for byte
    by_ref = {m.source_ref: m for m in messages}
    assert by_ref["00-empty.eml"].status == MessageStatus.FAILED
    assert by_ref["00-empty.eml"].error  # a readable reason
    assert by_ref["00-garbage.eml"].raw == (inbox / "00-garbage.eml").read_bytes()
    assert by_ref["00-garbage.eml"].status in (MessageStatus.FAILED, MessageStatus.NOT_EVENT)
    assert by_ref["03-autosvar.eml"].status == MessageStatus.NOT_EVENT


def test_identical_mail_twice_is_stored_once(make_config, inbox):
    (inbox / "05-copy.eml").write_bytes((inbox / "01-vejle.eml").read_bytes())
    config = make_config()
    invoke("run", "--config", str(config))
    assert len(drafts_json(config)) == 2


def test_extract_json_contract(inbox):
    files = sorted(inbox.glob("*.eml"))
    result = invoke("extract", "--json", *map(str, files))
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["source"] for r in rows] == [str(f) for f in files]  # in the order given
    for row in rows:
        assert set(row) >= {"source", "message_id", "is_event_submission", "kind", "events"}
        for event in row["events"]:
            assert set(event) >= {"title", "start", "end", "all_day", "place", "online", "registration_deadline",
                                  "registration", "organizer", "audience", "confidence", "evidence"}
            for name, value in event["confidence"].items():
                assert 0.0 <= value <= 1.0, name
    kinds = {Path(r["source"]).name: r["kind"] for r in rows}
    assert kinds["03-autosvar.eml"] == "auto_reply"
    assert rows[0]["is_event_submission"] is True


def test_extract_takes_a_folder(inbox):
    result = invoke("extract", "--json", str(inbox))
    assert len(result.output.splitlines()) == 3


def test_extract_reports_unreadable_message_without_stopping(tmp_path, inbox):
    empty = tmp_path / "empty.eml"
    empty.write_bytes(b"")
    result = invoke("extract", "--json", str(empty), str(inbox / "01-vejle.eml"))
    assert result.exit_code == 0
    first, second = (json.loads(line) for line in result.output.splitlines())
    assert first["kind"] == "failed" and first["error"]
    assert second["is_event_submission"] is True


def test_drafts_filters_by_status(make_config, inbox):
    config = make_config()
    invoke("run", "--config", str(config))
    result = invoke("drafts", "--config", str(config), "--status", "approved", "--json")
    assert json.loads(result.output) == []
    result = invoke("drafts", "--config", str(config))
    assert "pending" in result.output


@pytest.mark.parametrize("content, expected", [
    ('[mailbox]\nsource = "pop3://x"\n', "[mailbox] source must be"),
    ('[mailbox]\nsourse = "folder:x"\n', "unknown key [mailbox] sourse"),
    ('[database]\nurl = 5\n', "[database] url must be a string"),
    ('[mailbox]\nbatch_size = "many"\n', "[mailbox] batch_size must be a whole number"),
    ('timezone = "Mars/Olympus"\n', "timezone must be an IANA zone"),
    ('[mailbox\nsource=1', "not valid TOML"),
    ('[mailbox]\naction = "delete"\n', "[mailbox] action must be none, seen, flag or move:FOLDER"),
])
def test_config_errors_are_one_clear_line(tmp_path, content, expected):
    config = tmp_path / "config.toml"
    config.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(main, ["run", "--config", str(config)])
    assert result.exit_code == 1
    assert expected in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_missing_config_file_is_named(tmp_path):
    result = CliRunner().invoke(main, ["run", "--config", str(tmp_path / "nope.toml")])
    assert result.exit_code == 1
    assert "nope.toml: no such config file" in result.output


def test_missing_mail_folder_is_a_clear_error(make_config):
    config = make_config("folder:does-not-exist")
    result = CliRunner().invoke(main, ["run", "--config", str(config)])
    assert result.exit_code == 1
    assert "does-not-exist: no such folder" in result.output


def test_a_message_that_keeps_killing_the_reader_ends_failed_not_retried_forever(make_config, inbox):
    from sqlmodel import select

    from kontakt.pipeline import MAX_PARSE_ATTEMPTS, open_store, run_once
    from core.settings import load_settings
    from store import Message, MessageStatus, repo, session_scope

    config = make_config()
    settings = load_settings(config)
    with session_scope(open_store(settings)) as s:  # as if the reader died on it, again and again
        message, _ = repo.keep_raw(s, b"Subject: x\r\n\r\nkills the reader", source="test", ref="x")
        message.attempts = MAX_PARSE_ATTEMPTS
        s.add(message)
        s.commit()
    report = run_once(settings)
    assert report.failed == 1
    with session_scope(open_store(settings)) as s:
        stuck = s.exec(select(Message).where(Message.source == "test")).one()
        assert stuck.status == MessageStatus.FAILED and f"afbrudt {MAX_PARSE_ATTEMPTS} gange" in stuck.error


def test_a_draft_the_database_refuses_fails_its_mail_alone(make_config, inbox, monkeypatch):
    """Fault injection at the batch's write (where staged drafts reach the database): the batch is
    rolled back and redone mail by mail, and only the mail whose draft is refused ends failed."""
    from sqlmodel import select

    from kontakt.pipeline import open_store, run_once
    from core.settings import load_settings
    from store import Draft, Message, MessageStatus, session_scope
    from store.work import UnitOfWork

    real = UnitOfWork._write_drafts

    def refusing(work, connection):
        if any("Tillid og styring" in (d.values.get("title") or "") for d in work.staged.values()):
            raise RuntimeError("simulated constraint violation")
        return real(work, connection)

    monkeypatch.setattr(UnitOfWork, "_write_drafts", refusing)
    settings = load_settings(make_config())
    report = run_once(settings)
    assert (report.new_drafts, report.failed) == (1, 1)
    assert [d.title for d in report.drafts] == ["Ledelse i forandring – morgenmøde"]
    with session_scope(open_store(settings)) as s:
        statuses = {m.source_ref: m.status for m in s.exec(select(Message)).all()}
        assert statuses == {"01-vejle.eml": MessageStatus.QUEUED, "02-odense.eml": MessageStatus.FAILED,
                            "03-autosvar.eml": MessageStatus.NOT_EVENT}
        assert [d.title for d in s.exec(select(Draft)).all()] == ["Ledelse i forandring – morgenmøde"]
        failed = s.exec(select(Message).where(Message.source_ref == "02-odense.eml")).one()
        assert "simulated constraint violation" in failed.error


def test_a_mail_whose_drafts_cannot_be_stored_fails_alone_and_its_batch_goes_through(make_config, inbox, monkeypatch):
    """Fault injection: storing one mail's drafts raises; the batch is redone mail by mail."""
    from sqlmodel import select

    from kontakt.pipeline import open_store, run_once
    from core.settings import load_settings
    from store import Draft, Message, MessageStatus, session_scope
    from store.work import UnitOfWork

    real = UnitOfWork.queue_events

    def flaky(work, message, parsed, events, **kw):
        if "Tillid og styring" in parsed.subject:
            raise RuntimeError("simulated storage fault")
        return real(work, message, parsed, events, **kw)

    monkeypatch.setattr(UnitOfWork, "queue_events", flaky)
    settings = load_settings(make_config())
    report = run_once(settings)
    assert (report.new_drafts, report.failed) == (1, 1)
    with session_scope(open_store(settings)) as s:
        statuses = {m.source_ref: m.status for m in s.exec(select(Message)).all()}
        assert statuses == {"01-vejle.eml": MessageStatus.QUEUED, "02-odense.eml": MessageStatus.FAILED,
                            "03-autosvar.eml": MessageStatus.NOT_EVENT}
        assert len(s.exec(select(Draft)).all()) == 1
        failed = s.exec(select(Message).where(Message.source_ref == "02-odense.eml")).one()
        assert "simulated storage fault" in failed.error


def test_a_run_stopped_while_reading_loses_nothing_and_the_next_run_queues_each_event_once(tmp_path, inbox,
                                                                                           monkeypatch):
    """Ctrl-C while a mail is being read: what was kept but not read is read by the next run."""
    from sqlmodel import select

    from kontakt.pipeline import open_store, run_once
    from kontakt.reader import Reader
    from core.settings import load_settings
    from store import Draft, Message, MessageStatus, session_scope

    config = tmp_path / "batches-of-one.toml"
    config.write_text('[mailbox]\nsource = "folder:inbox"\nbatch_size = 1\n[database]\nurl = "sqlite:///k.db"\n')
    settings = load_settings(config)
    real = Reader._send_request

    def interrupted(reader, request, **kw):  # Ctrl-C arrives while the run hands the mail to its worker
        if b"Odense" in request[0]:
            raise KeyboardInterrupt
        return real(reader, request, **kw)

    monkeypatch.setattr(Reader, "_send_request", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_once(settings)
    with session_scope(open_store(settings)) as s:
        statuses = {m.source_ref: m.status for m in s.exec(select(Message)).all()}
    assert statuses["01-vejle.eml"] == MessageStatus.QUEUED and statuses["02-odense.eml"] == MessageStatus.RECEIVED

    monkeypatch.setattr(Reader, "_send_request", real)
    run_once(settings)
    with session_scope(open_store(settings)) as s:
        statuses = {m.source_ref: m.status for m in s.exec(select(Message)).all()}
        titles = sorted(d.title for d in s.exec(select(Draft)).all())
    assert statuses == {"01-vejle.eml": MessageStatus.QUEUED, "02-odense.eml": MessageStatus.QUEUED,
                        "03-autosvar.eml": MessageStatus.NOT_EVENT}
    assert titles == ["Ledelse i forandring – morgenmøde", "Tillid og styring – debatmøde"]


def test_start_up_collects_rarely_until_the_extractor_is_loaded_and_frozen():
    import gc

    from kontakt import warmup

    usual = (700, 10, 10)
    gc.unfreeze()  # as a new process: whatever earlier tests loaded is not frozen
    gc.set_threshold(*usual)
    try:
        warmup.quiet_start_up()
        assert gc.get_threshold() == warmup.START_UP_THRESHOLDS != usual
        warmup.load_extractor.cache_clear()
        warmup.load_extractor()
        assert gc.get_threshold() == usual and gc.get_freeze_count() > 0
        warmup.quiet_start_up()  # past start-up (the scheduler's later runs, a test's second command): no effect
        assert gc.get_threshold() == usual
    finally:
        gc.set_threshold(*usual)
