"""The same store on SQLite and PostgreSQL: schema, instants, hostile text, conflicts, workers."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel, select

from kontakt.locking import pipeline_lock
from kontakt.pipeline import open_store, run_once
from core.settings import settings_from_dict
from core.model import Event, MailKind, ParsedMail
from store import (Conflict, Draft, Message, MessageStatus, Run, SchemaOutOfDate, SeenMail, ensure_schema, open_engine,
                   repo, session_scope)
from store.schema import HEAD_REVISION, head_revision
from store.work import unit_of_work
from tests.support.mail import event_mail, write_mails

ROOT = Path(__file__).resolve().parents[2]


def worker_config(path: Path, inbox: Path, url: str) -> Path:
    """A worker's config file: mail from the folder `inbox`, into the database `url`."""
    path.write_text(f'[mailbox]\nsource = "folder:{inbox}"\n[database]\nurl = "{url}"\n')
    return path


def run_command(config: Path) -> list[str]:
    """`kontakt run --config CONFIG` as the command line of a process of its own (a worker)."""
    return [sys.executable, "-m", "kontakt.cli", "run", "--config", str(config)]


def settings_for(url: str, inbox: Path):
    return settings_from_dict({"mailbox": {"source": f"folder:{inbox}"}, "database": {"url": url}}, base_dir=inbox.parent)


def test_migrations_build_exactly_the_models(database_url):
    engine = open_engine(database_url)
    ensure_schema(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
        assert context.get_current_revision() == head_revision() == HEAD_REVISION  # the constant follows the scripts


def test_an_out_of_date_schema_is_refused_with_what_to_do(database_url):
    engine = open_engine(database_url)
    ensure_schema(engine)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0000'"))
    with pytest.raises(SchemaOutOfDate, match="run `kontakt db upgrade`"):
        ensure_schema(engine)


def test_a_database_of_the_first_schema_is_upgraded_with_its_mail_intact(database_url):
    """0001 -> head through `upgrade`, as `kontakt db upgrade` does, with mail stored before; on PostgreSQL
    raw mail stored from then on is compressed with lz4 (where the server offers it)."""
    from alembic import command

    from store.schema import alembic_config, current_revision, upgrade

    engine = open_engine(database_url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0001")
        connection.execute(sa.text("INSERT INTO message (sha256, raw, size, source, source_ref, subject, sender, "
                                   "received_at, status, attempts) VALUES ('old', :raw, 3, 'test', 'old', '', '', "
                                   "CURRENT_TIMESTAMP, 'received', 0)"), {"raw": b"\x00\xffx"})
    with pytest.raises(SchemaOutOfDate):
        ensure_schema(engine)
    assert upgrade(engine) == ("0001", HEAD_REVISION)
    assert current_revision(engine) == HEAD_REVISION
    ensure_schema(engine)  # accepted now
    with session_scope(engine) as s:
        repo.keep_raw(s, event_mail() * 20, source="test", ref="new")  # large enough to be compressed
        assert s.exec(select(Message).where(Message.sha256 == "old")).one().raw == b"\x00\xffx"
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            offered = connection.execute(sa.text("SELECT enumvals FROM pg_settings "
                                                 "WHERE name = 'default_toast_compression'")).scalar()
            method = connection.execute(sa.text("SELECT pg_column_compression(raw) FROM message "
                                                "WHERE source_ref = 'new'")).scalar()
        assert method == ("lz4" if "lz4" in offered else "pglz")


def test_instants_come_back_aware_and_event_times_as_written(database_url, tmp_path):
    engine = open_engine(database_url)
    ensure_schema(engine)
    sent = datetime(2026, 10, 25, 1, 30, tzinfo=timezone(timedelta(hours=2)))  # the night of the DST change
    parsed = ParsedMail(message_id="<x@t>", subject="Æøå \ud83d test\x00", sender="A <a@t.example>", sender_address="a@t.example",
                        date=sent, in_reply_to=None, references=[], kind=MailKind.EVENT,
                        events=[Event(title="Møde\x00", start="2026-10-25T02:30", confidence={"title": 0.5},
                                      evidence={"title": "Møde \ud83d"})], text="")
    with session_scope(engine) as s:
        message, _ = repo.keep_raw(s, b"raw \x00 bytes \xff", source="test", ref="1")
        with unit_of_work(s) as work:
            work.queue_events(message, parsed, parsed.events, timezone="Europe/Copenhagen")
    with session_scope(engine) as s:
        message = s.exec(select(Message)).one()
        assert message.raw == b"raw \x00 bytes \xff"
        assert message.sent_at == sent and message.sent_at.tzinfo is not None
        assert message.received_at.tzinfo is not None
        draft = s.exec(select(Draft)).one()
        assert draft.start == "2026-10-25T02:30" and draft.title == "Møde"


def test_the_pipeline_and_a_version_conflict(database_url, tmp_path):
    inbox = write_mails(tmp_path / "inbox", {"1.eml": event_mail(), "2.eml": event_mail(title="Andet møde om ledelse",
                                                                                          msgid="<2@t.example>")})
    settings = settings_for(database_url, inbox)
    assert run_once(settings).new_drafts == 2
    assert run_once(settings).new_drafts == 0
    with session_scope(open_store(settings)) as s:
        draft = s.exec(select(Draft)).first()
        repo.update_draft(s, draft.id, actor="a", action="edited", expected_version=1, values={"title": "Ny"})
        with pytest.raises(Conflict):
            repo.update_draft(s, draft.id, actor="b", action="edited", expected_version=1, values={"title": "Anden"})
        assert s.get(Draft, draft.id).title == "Ny"


@pytest.mark.parametrize("same_run", [True, False], ids=["reply-in-the-same-batch", "reply-in-a-later-run"])
@pytest.mark.parametrize("threaded_by", ["headers", "subject"])
def test_a_reply_proposes_a_change_whether_or_not_the_draft_is_stored_yet(database_url, tmp_path, same_run, threaded_by):
    """The pipeline stages a batch's drafts and writes them at the end: a reply's change to a draft of the
    same batch must wait exactly as one to a stored draft does (one draft, unchanged, the change proposed
    with its evidence), and accepting it gives the same draft and history either way."""
    title = "Tillid i hverdagen – ledermøde"
    original = event_mail(title=title, msgid="<original@vejle.example>")
    headers = {"In-Reply-To": "<original@vejle.example>"} if threaded_by == "headers" else {}
    reply = event_mail(title=title, when="Tirsdag den 27. oktober kl. 13-14", subject=f"SV: Arrangement: {title}",
                       msgid="<svar@vejle.example>", extra_headers=headers)
    inbox = write_mails(tmp_path / "inbox", {"1-original.eml": original} | ({"2-svar.eml": reply} if same_run else {}))
    settings = settings_for(database_url, inbox)
    first = run_once(settings)
    if not same_run:
        write_mails(inbox, {"2-svar.eml": reply})
    second = run_once(settings) if not same_run else None
    totals = [(r.new_drafts, r.updated_drafts) for r in (first, second) if r is not None]
    assert [sum(column) for column in zip(*totals)] == [1, 1]
    with session_scope(open_store(settings)) as s:
        draft = s.exec(select(Draft)).one()
        assert (draft.title, draft.start, draft.end) == (title, "2026-10-27T09:00", "2026-10-27T11:00")
        change = draft.pending_change
        assert change["cancel"] is False and set(change["fields"]) == {"start", "end"}
        assert change["fields"]["start"]["current"] == "2026-10-27T09:00"
        assert change["fields"]["start"]["proposed"] == "2026-10-27T13:00"
        assert "13-14" in change["fields"]["start"]["evidence"]
        reply_message = s.get(Message, change["from_message"])
        assert reply_message.message_id == "<svar@vejle.example>" and reply_message.thread_pk == draft.message_pk
        repo.accept_change(s, draft.id, actor="mette")
        draft = s.get(Draft, draft.id)
        assert (draft.start, draft.end, draft.pending_change) == ("2026-10-27T13:00", "2026-10-27T14:00", None)
        assert [c.action for c in repo.history(s, draft.id)] == ["created", "change_proposed", "change_accepted"]
        assert repo.history(s, draft.id)[2].changes["start"] == ["2026-10-27T09:00", "2026-10-27T13:00"]
        statuses = sorted(m.status for m in s.exec(select(Message)).all())
        assert statuses == [MessageStatus.QUEUED, MessageStatus.QUEUED]


def test_the_same_bytes_twice_in_one_batch_are_stored_once(database_url):
    engine = open_engine(database_url)
    ensure_schema(engine)
    raw = event_mail()
    with session_scope(engine) as s:
        kept = repo.keep_raw_many(s, [("a", raw), ("b", b"other"), ("c", raw)], source="test")
        assert [is_new for _, is_new in kept] == [True, True, False]
        assert kept[0][0].id == kept[2][0].id != kept[1][0].id
        assert kept[0][0].raw == raw
        assert repo.seen_refs(s, "test") == {"a", "b", "c"}
        assert len(s.exec(select(Message)).all()) == 2


def test_the_ledger_notes_each_item_once_and_marks_only_what_it_is_told(database_url):
    """An item already in the ledger (a rerun, another worker) is left as it was, not a failed batch;
    the follow-up is marked for the items named, in their own source only (the names are written into
    the statement as literals, so quotes, backslashes and percent signs must stay text)."""
    engine = open_engine(database_url)
    ensure_schema(engine)
    awkward = "Sager/it's a \\ 100%' OR '1'='1"
    with session_scope(engine) as s:
        (first, _), = repo.keep_raw_many(s, [("INBOX/7/1", b"first")], source="imap://a")
        repo.keep_raw_many(s, [("INBOX/7/1", b"first")], source="imap://b")
        kept = repo.keep_raw_many(s, [("INBOX/7/1", b"other bytes, same item"), ("INBOX/7/2", b"second"),
                                      (awkward, b"awkward")], source="imap://a")
        assert [is_new for _, is_new in kept] == [True, True, True]  # the bytes are new; the first item was not
        repo.mark_actions_done(s, "imap://a", ["INBOX/7/1", "INBOX/7/not-there", awkward])
        repo.mark_actions_done(s, "imap://a", [])
    with session_scope(engine) as s:
        ledger = {(row.source, row.ref): (row.message_pk, row.action_done) for row in s.exec(select(SeenMail))}
        assert repo.pending_actions(s, "imap://a") == ["INBOX/7/2"]
    assert ledger == {("imap://a", "INBOX/7/1"): (first.id, True), ("imap://b", "INBOX/7/1"): (first.id, False),
                      ("imap://a", "INBOX/7/2"): (kept[1][0].id, False), ("imap://a", awkward): (kept[2][0].id, True)}


def test_bulk_writes_keep_every_byte_and_character(database_url):
    """A batch is written by bulk statements, the drafts' ids read back by (message, event index): each
    draft gets its own id and history, awkward text (tab, newline, backslash, a literal \\N), every byte
    value, JSON and NULLs come back exactly as they went in, and left-out columns get their defaults."""
    engine = open_engine(database_url)
    ensure_schema(engine)
    raw = bytes(range(256)) * 3 + b"\\N\t\\."
    awkward = 'Tab\there, line\nbreak, back\\slash, \\N, "quoted", \\., æøå'
    event = Event(title=awkward, start="2026-10-27T09:00", place=None, registration=awkward,
                  confidence={"title": 0.5}, evidence={"title": awkward, "place": None})
    parsed = ParsedMail(message_id="<bulk@t>", subject=awkward, sender="A <a@t.example>", sender_address="a@t.example",
                        date=None, in_reply_to=None, references=[], kind=MailKind.EVENT, events=[event, event], text="")
    with session_scope(engine) as s:
        (message, is_new), = repo.keep_raw_many(s, [("1", raw)], source="test")
        with unit_of_work(s) as work:
            work.queue_events(message, parsed, parsed.events, timezone="Europe/Copenhagen")
        written = [(d.values["event_index"], d.values["id"]) for d in work.written]
    assert is_new
    with session_scope(engine) as s:
        message = s.exec(select(Message)).one()
        assert message.raw == raw and message.size == len(raw) and message.status == MessageStatus.QUEUED
        assert message.subject == awkward and message.received_at.tzinfo is not None
        drafts = s.exec(select(Draft).order_by(Draft.event_index)).all()
        assert [(d.event_index, d.id) for d in drafts] == written and len(written) == 2
        for draft in drafts:
            assert draft.title == draft.registration == awkward and draft.place is None
            assert draft.evidence == {"title": awkward, "place": None} and draft.confidence == {"title": 0.5}
            assert draft.sequence == 0 and draft.published is None and draft.created_at.tzinfo is not None
            (created,) = repo.history(s, draft.id)
            assert created.action == "created" and created.changes["title"] == [None, awkward]
        assert repo.seen_refs(s, "test") == {"1"}


@pytest.mark.postgres
def test_two_workers_on_postgresql_take_each_message_once(postgres, tmp_path):
    url = postgres.create_database("kontakt_workers")
    inbox = write_mails(tmp_path / "inbox", {f"{n:03}.eml": event_mail(title=f"Møde nummer {n} om ledelse",
                                                                        msgid=f"<w{n}@t.example>") for n in range(60)})
    config = worker_config(tmp_path / "config.toml", inbox, url)
    ensure_schema(open_engine(url))
    procs = [subprocess.Popen(run_command(config), cwd=ROOT, env=dict(os.environ), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for p in procs:
        p.communicate(timeout=120)
    assert any(p.returncode == 0 for p in procs)
    rerun = subprocess.run(run_command(config), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    engine = open_engine(url)
    with session_scope(engine) as s:
        assert len(s.exec(select(Message)).all()) == 60
        assert len(s.exec(select(Draft)).all()) == 60
        assert {m.status for m in s.exec(select(Message)).all()} == {MessageStatus.QUEUED}


@pytest.mark.postgres
def test_on_postgresql_a_held_mailbox_stops_only_its_own_runs_and_other_mailboxes_go_on(postgres, tmp_path):
    url = postgres.create_database("kontakt_mailboxes")
    ensure_schema(open_engine(url))
    configs = {}
    for box in ("nord", "syd"):
        inbox = write_mails(tmp_path / box, {f"{n:02}.eml": event_mail(title=f"Ledermøde {box} nummer {n}",
                                                                       msgid=f"<{box}{n}@t.example>") for n in range(5)})
        configs[box] = (inbox, worker_config(tmp_path / f"{box}.toml", inbox, url))

    def run(box: str) -> subprocess.CompletedProcess:
        return subprocess.run(run_command(configs[box][1]), cwd=ROOT, capture_output=True, text=True, timeout=120)

    with pipeline_lock(settings_for(url, configs["nord"][0])):  # a worker on another machine is reading "nord"
        held, other = run("nord"), run("syd")
    assert held.returncode == 1 and "another kontakt run is in progress on this mailbox" in held.stderr
    assert other.returncode == 0, other.stderr
    with session_scope(open_engine(url)) as s:
        assert {m.source for m in s.exec(select(Message)).all()} == {f"folder:{configs['syd'][0]}"}
    assert run("nord").returncode == 0
    with session_scope(open_engine(url)) as s:
        assert len(s.exec(select(Draft)).all()) == 10
        assert sorted(r.outcome for r in s.exec(select(Run)).all()) == ["ok", "ok", "skipped"]
