"""The mailbox worker against a real Dovecot: never lose a mail, never take one twice."""

from __future__ import annotations

import hashlib
import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import imapclient
import pytest
from click.testing import CliRunner
from sqlmodel import func, select

from kontakt.cli import main
from core.errors import KontaktError
from kontakt.pipeline import open_store, run_once
from core.settings import load_settings
from store import Draft, Message, MessageStatus, Run, session_scope
from tests.support import dovecot as dv
from tests.support.mail import event_mail

pytestmark = pytest.mark.dovecot

ROOT = Path(__file__).resolve().parents[2]


def mail(n: int, **kw) -> bytes:
    return event_mail(title=f"Ledermøde nummer {n} om tillid", msgid=f"<m{n}@test.example>",
                      when=f"Tirsdag den 27. oktober kl. {8 + n % 8}-{9 + n % 8}", **kw)


def counts(config: Path) -> tuple[int, int]:
    with session_scope(open_store(load_settings(config))) as s:
        return (s.exec(select(func.count()).select_from(Message)).one(),
                s.exec(select(func.count()).select_from(Draft)).one())


def imap(server) -> imapclient.IMAPClient:
    client = imapclient.IMAPClient("127.0.0.1", port=server.port, ssl=False)
    client.login(dv.USER, dv.PASSWORD)
    return client


def test_first_run_then_incremental_run(server, imap_config):
    server.add_many([mail(1), mail(2)])
    config = imap_config()
    report = run_once(load_settings(config))
    assert (report.fetched, report.new_drafts) == (2, 2)
    server.add_mail(mail(3))
    report = run_once(load_settings(config))
    assert (report.fetched, report.new_drafts) == (1, 1)
    assert run_once(load_settings(config)).fetched == 0
    assert counts(config) == (3, 3)


def test_tls_with_the_servers_ca_and_refused_without_it(server, imap_config, tmp_path):
    server.add_mail(mail(1))
    config = imap_config(tls=True)
    assert run_once(load_settings(config)).new_drafts == 1
    untrusted = tmp_path / "untrusted.toml"
    untrusted.write_text(config.read_text().replace(f'ca_file = "{server.cert}"', 'ca_file = ""'))
    result = CliRunner().invoke(main, ["run", "--config", str(untrusted)])
    assert result.exit_code == 1 and "certificate is not trusted" in result.output


@pytest.mark.parametrize("action, check", [
    ("none", lambda flags, folders: b"\\Seen" not in flags and b"\\Flagged" not in flags),
    ("seen", lambda flags, folders: b"\\Seen" in flags),
    ("flag", lambda flags, folders: b"\\Flagged" in flags),
])
def test_flag_actions(server, imap_config, action, check):
    server.add_mail(mail(1))
    run_once(load_settings(imap_config(extra=f'action = "{action}"')))
    client = imap(server)
    client.select_folder("INBOX")
    flags = client.get_flags(client.search("ALL"))
    assert check(next(iter(flags.values())), None)


def test_move_action_moves_after_storing_and_a_second_run_takes_nothing(server, imap_config):
    server.add_many([mail(1), mail(2)])
    config = imap_config(extra='action = "move:Behandlet"')
    assert run_once(load_settings(config)).new_drafts == 2
    client = imap(server)
    assert client.select_folder("INBOX")[b"EXISTS"] == 0
    assert client.select_folder("Behandlet")[b"EXISTS"] == 2
    assert run_once(load_settings(config)).fetched == 0
    assert counts(config) == (2, 2)


def test_a_move_that_failed_is_done_by_the_next_run_and_in_one_command_a_batch(server, imap_config, monkeypatch):
    """The ledger notes each follow-up once done: a run stopped between storing and moving
    (here: the server refuses the MOVE) leaves it to the next run, which stores nothing twice."""
    from intake.actions import MoveTo

    server.add_many([mail(n) for n in range(5)])
    config = imap_config(extra='action = "move:Behandlet"\nbatch_size = 2')
    real_apply, calls = MoveTo.apply, []

    def refused(self, client, uids):
        calls.append(list(uids))
        raise KontaktError("the server refused the MOVE")

    monkeypatch.setattr(MoveTo, "apply", refused)
    with pytest.raises(KontaktError, match="refused the MOVE"):
        run_once(load_settings(config))
    assert calls == [[1, 2]]  # the first batch, in one command
    client = imap(server)
    assert client.select_folder("INBOX")[b"EXISTS"] == 5

    def counted(self, client, uids):
        calls.append(list(uids))
        real_apply(self, client, uids)

    monkeypatch.setattr(MoveTo, "apply", counted)
    report = run_once(load_settings(config))
    assert calls[1:] == [[1, 2], [3, 4], [5]]  # what was left undone first, then the new batches
    assert (report.fetched, report.new_drafts) == (3, 3)
    assert client.select_folder("INBOX")[b"EXISTS"] == 0
    assert client.select_folder("Behandlet")[b"EXISTS"] == 5
    assert counts(config) == (5, 5)


def test_uidvalidity_change_queues_nothing_twice(server, imap_config):
    server.add_many([mail(1), mail(2)])
    config = imap_config()
    run_once(load_settings(config))
    server.stop()
    server.reset_uidvalidity()
    server.restart()
    report = run_once(load_settings(config))
    assert report.fetched == 2  # read again under the new UIDVALIDITY ...
    assert report.new_messages == 0 and report.new_drafts == 0  # ... and recognised
    assert counts(config) == (2, 2)


def test_a_reply_that_moves_the_time_proposes_a_change_instead_of_adding_a_draft(server, imap_config):
    server.add_mail(mail(1))
    config = imap_config()
    run_once(load_settings(config))
    original_body = mail(1).split(b"\n\n", 1)[1].decode()
    correction = event_mail(title="x", msgid="<reply@test.example>",
                            subject="SV: Arrangement: Ledermøde nummer 1 om tillid",
                            extra_headers={"In-Reply-To": "<m1@test.example>", "References": "<m1@test.example>"})
    head, _ = correction.split(b"\n\n", 1)
    body = ("Hej igen\n\nMødet er rykket til kl. 13-14 samme dag.\n\nVenlig hilsen\nMette\n\n"
            "Fra: Mette Holm <meho@vejle.example>\nSendt: 14. september 2026 10:30\nTil: kontakt@ledelsesugen.dk\n"
            "Emne: Arrangement: Ledermøde nummer 1 om tillid\n\n" + original_body)
    server.add_mail(head + b"\n\n" + body.encode())
    report = run_once(load_settings(config))
    assert (report.new_drafts, report.updated_drafts) == (0, 1)
    with session_scope(open_store(load_settings(config))) as s:
        drafts = s.exec(select(Draft)).all()
        assert len(drafts) == 1
        assert (drafts[0].start, drafts[0].end) == ("2026-10-27T09:00", "2026-10-27T10:00")  # unchanged until accepted
        proposed = {name: c["proposed"] for name, c in drafts[0].pending_change["fields"].items()}
        assert proposed == {"start": "2026-10-27T13:00", "end": "2026-10-27T14:00"}  # nothing from the quoted original


def test_the_same_bytes_are_kept_once_and_a_resent_copy_is_a_draft_marked_as_a_possible_duplicate(server, imap_config):
    raw = mail(1)
    server.add_many([raw, raw, raw.replace(b"Date:", b"X-Resent: yes\nDate:", 1)])
    config = imap_config()
    run_once(load_settings(config))
    with session_scope(open_store(load_settings(config))) as s:
        messages = s.exec(select(Message).order_by(Message.id)).all()
        drafts = s.exec(select(Draft).order_by(Draft.id)).all()
    assert len(messages) == 2  # identical bytes are stored once; the re-sent copy is kept ...
    assert [m.status for m in messages] == [MessageStatus.QUEUED, MessageStatus.QUEUED]
    assert [d.duplicate_of for d in drafts] == [None, drafts[0].id]  # ... and queued, marked, for a reviewer


def test_wrong_password_is_a_clear_error_and_not_retried(server, imap_config, monkeypatch):
    config = imap_config()
    monkeypatch.setenv("KONTAKT_TEST_IMAP_PASSWORD", "forkert")
    started = time.monotonic()
    result = CliRunner().invoke(main, ["run", "--config", str(config)])
    assert result.exit_code == 1 and "refused the login" in result.output
    assert "forkert" not in result.output
    with session_scope(open_store(load_settings(config))) as s:
        run = s.exec(select(Run)).one()
    assert run.outcome == "failed" and "refused the login" in run.error
    assert time.monotonic() - started < 5  # no backoff sleeps: a wrong password is not retried


def test_server_down_is_a_recorded_failed_run(server, imap_config, monkeypatch):
    monkeypatch.setattr("intake.imap.BACKOFF_SECONDS", (0.01, 0.01, 0.01))
    config = imap_config()
    server.stop()
    with pytest.raises(KontaktError, match="cannot connect"):
        run_once(load_settings(config), )
    with session_scope(open_store(load_settings(config))) as s:
        assert s.exec(select(Run)).one().outcome == "failed"


def test_server_restarted_mid_fetch_loses_and_doubles_nothing(server, imap_config):
    server.add_many([mail(n) for n in range(12)])
    config = imap_config(extra="batch_size = 3")
    taken = {"n": 0, "restarts": 0}

    def restart_once(step: int) -> None:
        taken["n"] += step
        if taken["n"] >= 4 and not taken["restarts"]:
            taken["restarts"] += 1
            server.restart()  # drops the session between two batches

    report = run_once(load_settings(config), progress=restart_once)
    assert taken["restarts"] == 1
    assert report.fetched == 12
    assert counts(config) == (12, 12)


def run_cli(config: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "kontakt.cli", "run", "--config", str(config)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_sigkill_mid_batch_then_a_clean_run(server, imap_config, child_env):
    n = 150
    server.add_many([mail(i) for i in range(n)])
    config = imap_config(extra="batch_size = 20")
    proc = run_cli(config, child_env)
    deadline = time.monotonic() + 60
    db = config.parent / "kontakt.db"
    while time.monotonic() < deadline:  # kill it once it has stored some, but not all
        if db.exists():
            try:  # a plain read-only look: the test must not take the writer's lock
                with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1) as conn:
                    stored = conn.execute("SELECT count(*) FROM message").fetchone()[0]
            except sqlite3.Error:
                stored = 0
            if 5 <= stored < n:
                break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = counts(config)
    assert partial[0] < n
    done = run_cli(config, child_env)
    out, err = done.communicate(timeout=120)
    assert done.returncode == 0, err
    assert counts(config) == (n, n)


def test_two_runs_started_together(server, imap_config, child_env):
    server.add_many([mail(i) for i in range(40)])
    config = imap_config()
    procs = [run_cli(config, child_env) for _ in range(2)]
    results = [p.communicate(timeout=120) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes in ([0, 0], [0, 1])
    if codes == [0, 1]:
        assert any("another kontakt run is in progress" in err for _, err in results), results
    assert counts(config) == (40, 40)
    with session_scope(open_store(load_settings(config))) as s:
        outcomes = sorted(r.outcome for r in s.exec(select(Run)).all())
    assert outcomes in (["ok", "ok"], ["ok", "skipped"])  # both runs are recorded


def test_runs_are_listed_as_json(server, imap_config):
    server.add_mail(mail(1))
    config = imap_config()
    run_once(load_settings(config))
    result = CliRunner().invoke(main, ["runs", "--config", str(config), "--json"])
    rows = json.loads(result.output)
    assert rows[0]["outcome"] == "ok" and rows[0]["fetched"] == 1 and rows[0]["new_drafts"] == 1




def check_hostile_outcome(config: Path, expected: dict[str, bytes]) -> None:
    with session_scope(open_store(load_settings(config))) as s:
        messages = s.exec(select(Message)).all()
    stored = {m.sha256: m for m in messages}
    for name, raw in expected.items():
        digest = hashlib.sha256(raw).hexdigest()
        assert digest in stored, f"{name} was not stored"
        message = stored[digest]
        assert message.raw == raw, f"{name} not stored byte for byte"
        assert message.status in (MessageStatus.QUEUED, MessageStatus.NOT_EVENT, MessageStatus.FAILED,
                                  MessageStatus.DUPLICATE), name
        if message.status == MessageStatus.FAILED:
            assert message.error and len(message.error) < 5000, name


def test_hostile_corpus_from_a_folder(hostile_dir, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(f'[mailbox]\nsource = "folder:{hostile_dir}"\n[database]\nurl = "sqlite:///k.db"\n')
    report = run_once(load_settings(config))
    files = {p.name: p.read_bytes() for p in hostile_dir.glob("*.eml")}
    assert report.fetched == len(files) == 57
    check_hostile_outcome(config, files)


def test_hostile_corpus_from_dovecot(hostile_dir, server, imap_config):
    server.add_many([p.read_bytes() for p in sorted(hostile_dir.glob("*.eml"))])
    config = imap_config(extra="batch_size = 10")
    report = run_once(load_settings(config))
    assert report.fetched == 57
    client = imap(server)  # what the server serves is what must be kept
    client.select_folder("INBOX", readonly=True)
    served = client.fetch(client.search("ALL"), ["BODY.PEEK[]"])
    check_hostile_outcome(config, {str(uid): data[b"BODY[]"] for uid, data in served.items()})
