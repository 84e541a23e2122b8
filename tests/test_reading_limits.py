"""Reading mail is bounded in time and memory, in the command line, in threads and in the pipeline:
a mail over a limit is kept, marked failed with the reason in Danish, and the next mail is read."""

from __future__ import annotations

import threading
from email.message import EmailMessage

import pytest
from sqlmodel import select

from core.settings import ReaderSettings, load_settings
from kontakt import reader as reader_module
from kontakt.pipeline import open_store, run_once
from kontakt.reader import Reader
from store import Message, MessageStatus, session_scope
from tests.support.mail import event_mail, write_mails


def huge_mail(megabytes: int) -> bytes:
    """A plain mail whose text body alone is this many megabytes (no caps in the way of reading it)."""
    msg = EmailMessage()
    msg["From"] = "Stor Afsender <stor@kommune.example>"
    msg["To"] = "kontakt@ledelsesugen.dk"
    msg["Subject"] = "En meget stor mail"
    msg["Message-ID"] = "<huge@kommune.example>"
    msg.set_content(("Linje med tekst om ledelse og trivsel. " * 25 + "\n") * (megabytes * 1024), cte="8bit")
    return bytes(msg)


def test_a_mail_over_the_memory_limit_is_stopped_and_the_next_one_is_read():
    with Reader(tz="Europe/Copenhagen", limits=ReaderSettings(memory_limit_mb=64)) as reader:
        result = reader.read(huge_mail(70))
        assert result.parsed is None and "hukommelse" in result.error
        after = reader.read(event_mail())
        assert after.error is None and after.parsed.events[0].title == "Ledelse i forandring – morgenmøde"


def test_mails_read_one_ahead_are_answered_in_order_when_one_stops_the_worker():
    titles = ["Første morgenmøde", "Andet morgenmøde", "Tredje morgenmøde"]
    mails = [event_mail(title=titles[0]), huge_mail(70), event_mail(title=titles[1]), event_mail(title=titles[2])]
    with Reader(tz="Europe/Copenhagen", limits=ReaderSettings(memory_limit_mb=64)) as reader:
        results = list(reader.read_many((raw, False) for raw in mails))
    assert [r.parsed.events[0].title if r.parsed else None for r in results] == [titles[0], None, titles[1], titles[2]]
    assert "hukommelse" in results[1].error  # the mail sent after it went to a fresh worker, and was read there


def test_an_answer_still_due_when_reading_stops_early_is_never_taken_for_the_next_mail():
    with Reader(tz="Europe/Copenhagen", limits=ReaderSettings()) as reader:
        reading = reader.read_many((event_mail(title=t), False) for t in ["Første møde", "Andet møde", "Tredje møde"])
        assert next(reading).parsed.events[0].title == "Første møde"
        reading.close()  # "Andet møde" was already sent
        assert reader.read(event_mail(title="Fjerde møde")).parsed.events[0].title == "Fjerde møde"


def test_a_worker_over_its_time_is_stopped_in_any_thread(monkeypatch):
    monkeypatch.setattr(reader_module, "WORKER_MODULE", "tests.support.sleepy_worker")
    results = []

    def read_in_a_thread() -> None:  # as the schedule's and the desk's threads do
        with Reader(tz="Europe/Copenhagen", limits=ReaderSettings(time_limit_seconds=1)) as reader:
            results.append(reader.read(event_mail()))

    thread = threading.Thread(target=read_in_a_thread)
    thread.start()
    thread.join(60)
    assert not thread.is_alive()
    (result,) = results
    assert result.parsed is None and "tog over 1 sekunder" in result.error


def test_the_pipeline_keeps_a_mail_over_a_limit_as_failed_and_reads_the_rest(tmp_path):
    inbox = write_mails(tmp_path / "inbox", {"1-huge.eml": huge_mail(70), "2-event.eml": event_mail()})
    config = tmp_path / "config.toml"
    config.write_text(f'[mailbox]\nsource = "folder:{inbox}"\nmax_message_bytes = 104857600\n'
                      '[reader]\nmemory_limit_mb = 64\n[database]\nurl = "sqlite:///k.db"\n')
    settings = load_settings(config)
    report = run_once(settings)
    assert (report.new_drafts, report.failed) == (1, 1)
    with session_scope(open_store(settings)) as s:
        by_ref = {m.source_ref: m for m in s.exec(select(Message))}
    assert by_ref["1-huge.eml"].status == MessageStatus.FAILED and "hukommelse" in by_ref["1-huge.eml"].error
    assert by_ref["1-huge.eml"].raw == huge_mail(70)  # kept byte for byte
    assert by_ref["2-event.eml"].status == MessageStatus.QUEUED


@pytest.mark.parametrize("setting", ["time_limit_seconds = 0", "memory_limit_mb = 10"])
def test_limits_too_small_to_read_anything_are_refused(tmp_path, setting):
    from core.errors import ConfigError

    config = tmp_path / "config.toml"
    config.write_text(f"[reader]\n{setting}\n")
    with pytest.raises(ConfigError, match=r"\[reader\]"):
        load_settings(config)
