"""The nightly job's wiring, and the GDPR purge."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from click.testing import CliRunner
from sqlmodel import select

from kontakt.cli import main
from kontakt.locking import pipeline_lock
from kontakt.pipeline import open_store, run_once
from core.settings import load_settings
from scheduler import build_scheduler, nightly_job
from store import Draft, DraftStatus, Message, MessageStatus, PurgeRecord, Run, repo, session_scope
from store.retention import purge_expired


def test_scheduler_runs_one_coalesced_job_on_the_configured_cron(make_config):
    config = make_config(extra='[schedule]\ncron = "30 3 * * 1-5"\nmisfire_grace_seconds = 600\n')
    scheduler = build_scheduler(load_settings(config))
    (job,) = scheduler.get_jobs()
    fields = {f.name: str(f) for f in job.trigger.fields}
    assert (fields["hour"], fields["minute"], fields["day_of_week"]) == ("3", "30", "1-5")
    assert str(job.trigger.timezone) == "Europe/Copenhagen"
    assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 600)


def test_nightly_job_records_a_scheduled_run(make_config, inbox):
    config = make_config()
    nightly_job(load_settings(config))
    with session_scope(open_store(load_settings(config))) as s:
        run = s.exec(select(Run)).one()
        assert (run.trigger, run.outcome, run.new_drafts) == ("schedule", "ok", 2)


def test_a_scheduled_run_that_finds_another_worker_running_is_recorded_as_skipped_not_failed(make_config, inbox,
                                                                                               caplog):
    settings = load_settings(make_config())
    open_store(settings)
    with pipeline_lock(settings), caplog.at_level(logging.INFO, logger="kontakt.schedule"):
        nightly_job(settings)
    (record,) = [r for r in caplog.records if r.name == "kontakt.schedule"]
    assert record.levelno == logging.INFO and "skipped" in record.getMessage()
    with session_scope(open_store(settings)) as s:
        (run,) = s.exec(select(Run)).all()
        assert (run.trigger, run.outcome, run.new_drafts) == ("schedule", "skipped", 0)
        assert s.exec(select(Message)).all() == []
    nightly_job(settings)  # the lock released, the next night reads the mail
    with session_scope(open_store(settings)) as s:
        assert [r.outcome for r in s.exec(select(Run).order_by(Run.id)).all()] == ["skipped", "ok"]


def test_purge_deletes_old_raw_mail_and_personal_fields_but_keeps_published_events(make_config, inbox):
    config = make_config()
    settings = load_settings(config)
    run_once(settings)
    with session_scope(open_store(settings)) as s:
        first, second = s.exec(select(Draft).order_by(Draft.id)).all()
        repo.update_draft(s, first.id, actor="test", action="approved", status=DraftStatus.APPROVED)
        repo.update_draft(s, second.id, actor="test", action="rejected", status=DraftStatus.REJECTED, note="dublet")
        later = datetime(2027, 9, 1, tzinfo=timezone.utc)  # long after the events and decisions
        for draft in s.exec(select(Draft)).all():
            draft.reviewed_at = later - timedelta(days=400)
            s.add(draft)
        s.commit()
        record = purge_expired(s, 180, now=later)
        assert record.messages == 3 and record.drafts_scrubbed == 2
        messages = s.exec(select(Message)).all()
        assert all(m.raw is None and m.sender == "" and m.status == MessageStatus.PURGED for m in messages)
        assert all(m.body_text is None and m.body_html is None and m.reason is None for m in messages)
        kept, scrubbed = s.get(Draft, first.id), s.get(Draft, second.id)
        assert kept.title and kept.published and kept.evidence == {}
        assert scrubbed.title is None and scrubbed.registration is None and scrubbed.reject_reason is None
        assert s.exec(select(PurgeRecord)).one().messages == 3


def test_purge_never_touches_what_still_waits_for_review(make_config, inbox):
    config = make_config()
    run_once(load_settings(config))
    with session_scope(open_store(load_settings(config))) as s:
        record = purge_expired(s, 1, now=datetime(2030, 1, 1, tzinfo=timezone.utc))
        assert record.messages == 1  # only the auto-reply; the two pending drafts' mails stay
    result = CliRunner().invoke(main, ["purge", "--config", str(config)])
    assert result.exit_code == 0 and "Purged 0 message(s)" in result.output
