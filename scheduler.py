"""The nightly job: APScheduler wired to the same functions `kontakt run` and `kontakt purge` call.

`kontakt schedule` runs it in the foreground (for systemd). One run at a time
(max_instances, plus the pipeline lock shared with manual runs); a missed run
(machine asleep) still runs once within the grace time; missed runs coalesce.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from core.errors import KontaktError, LockedError
from core.settings import Settings

log = logging.getLogger("kontakt.schedule")


def build_scheduler(settings: Settings) -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone=settings.tz)
    trigger = CronTrigger.from_crontab(settings.schedule.cron, timezone=settings.tz)
    scheduler.add_job(nightly_job, trigger, args=[settings], id="nightly", name="kontakt nightly run",
                      coalesce=True, max_instances=1, misfire_grace_time=settings.schedule.misfire_grace_seconds)
    return scheduler


def nightly_job(settings: Settings) -> None:
    """One scheduled pass; its outcome is recorded as a Run whatever happens."""
    from kontakt.pipeline import purge, run_once

    try:
        report = run_once(settings, trigger="schedule")
        log.info("run %s: %s fetched, %s drafts queued, %s updated, %s failed", report.run_id, report.fetched,
                 report.new_drafts, report.updated_drafts, report.failed)
        if settings.schedule.purge:
            record = purge(settings)
            log.info("purge: %s messages, %s drafts scrubbed", record.messages, record.drafts_scrubbed)
    except LockedError as exc:  # another worker has this mailbox now: the expected case with several machines
        log.info("scheduled run skipped: %s", exc)
    except KontaktError as exc:
        log.error("scheduled run failed: %s", exc)
