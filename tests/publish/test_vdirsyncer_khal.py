"""A subscriber, as Debian's vdirsyncer (http storage) and khal have it: the served feed synced into a local
calendar through approve, edit-and-approve, discard-a-change and withdraw. khal shows times in UTC here, so
what it prints are the instants the feed's VTIMEZONE gives."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from store import session_scope
from kontakt.pipeline import open_store
from store.publishing import discard_changes, withdraw
from tests.conftest import require_binary
from tests.publish.conftest import approve, draft, edit
from tests.support.desk import served

pytestmark = pytest.mark.slow
FORMAT = "{title}|{start}|{end}|{cancelled}|{location}|{organizer}"


class Subscriber:
    """vdirsyncer and khal with their configuration, status and cache in a folder of their own."""

    def __init__(self, home: Path, feed_url: str) -> None:
        self.vdirsyncer = require_binary("vdirsyncer", "Debian's vdirsyncer")
        self.khal = require_binary("khal", "Debian's khal")
        self.home = home
        self.calendar = home / "calendar"
        self.calendar.mkdir(parents=True)
        (home / "vdirsyncer.conf").write_text(
            f'[general]\nstatus_path = "{home / "status"}/"\n\n'
            '[pair ledelsesugen]\na = "ledelsesugen_feed"\nb = "ledelsesugen_local"\ncollections = null\n'
            'conflict_resolution = "a wins"\n\n'
            f'[storage ledelsesugen_feed]\ntype = "http"\nurl = "{feed_url}"\n\n'
            f'[storage ledelsesugen_local]\ntype = "filesystem"\npath = "{self.calendar}/"\nfileext = ".ics"\n',
            encoding="utf-8")
        (home / "khal.conf").write_text(
            f"[calendars]\n[[ledelsesugen]]\npath = {self.calendar}/\nreadonly = True\n\n"
            "[locale]\ntimeformat = %H:%M\ndateformat = %Y-%m-%d\nlongdateformat = %Y-%m-%d\n"
            "datetimeformat = %Y-%m-%d %H:%M\nlongdatetimeformat = %Y-%m-%d %H:%M\n"
            "local_timezone = UTC\ndefault_timezone = UTC\n", encoding="utf-8")
        self.env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "data"),
                    "XDG_CONFIG_HOME": str(home / "config"), "LC_ALL": "C.UTF-8"}
        self._run(self.vdirsyncer, "-c", str(home / "vdirsyncer.conf"), "discover")

    def _run(self, *command: str) -> str:
        done = subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL)
        assert done.returncode == 0, f"{command[0]} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def sync(self) -> dict[str, tuple[str, ...]]:
        """Sync, then what khal lists: title -> (start, end, cancelled, location, organizer)."""
        self._run(self.vdirsyncer, "-c", str(self.home / "vdirsyncer.conf"), "sync")
        out = self._run(self.khal, "-c", str(self.home / "khal.conf"), "list", "--once", "--format", FORMAT,
                        "--day-format", "", "2026-10-01", "2026-11-30")
        rows = [tuple(part.strip() for part in line.split("|")) for line in out.splitlines() if line.strip()]
        listed = {row[0]: row[1:] for row in rows}
        assert len(listed) == len(rows), f"an event is listed twice: {rows}"
        return listed

    def files(self) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in self.calendar.glob("*.ics")}


def organiser_shown(settings, draft_id: int) -> str:
    """What khal shows as a draft's organiser: the name as read from the mail, with the address beside it."""
    organiser = draft(settings, draft_id).organizer
    return f"{organiser} (meho@vejle.example)" if organiser else ""


def test_a_subscriber_follows_approve_edit_discard_and_withdraw(site, tmp_path):
    settings, drafts = site
    morning, day, webinar = drafts["Morgenmøde om tillid"], drafts["Lederdag for alle"], drafts["Afventende webinar"]
    place = "Rådhuset, Torvet 1, 7100 Vejle"
    approve(settings, morning, organizer='Foreningen "Ledere i Vejle"')
    approve(settings, webinar, title="Webinar i sommertid", start="2026-10-22T14:00", end="2026-10-22T15:00")
    with served(settings) as base:
        subscriber = Subscriber(tmp_path / "subscriber", f"{base}/events.ics")

        # approve: winter time (26 October, UTC+1), summer time (22 October, UTC+2), an all-day event
        assert subscriber.sync() == {
            "Morgenmøde om tillid": ("2026-10-26 08:00", "2026-10-26 09:30", "", place,
                                     "Foreningen ”Ledere i Vejle” (meho@vejle.example)"),
            "Webinar i sommertid": ("2026-10-22 12:00", "2026-10-22 13:00", "", place, organiser_shown(settings, webinar)),
            "Lederdag for alle": ("2026-10-28", "2026-10-28", "", place, organiser_shown(settings, day)),
        }

        # edit and approve: moved an hour, and the all-day event now runs three days
        approve(settings, morning, start="2026-10-26T10:00", end="2026-10-26T11:30")
        approve(settings, day, end="2026-10-30")
        listed = subscriber.sync()
        assert listed["Morgenmøde om tillid"][:3] == ("2026-10-26 09:00", "2026-10-26 10:30", "")
        assert listed["Lederdag for alle"][:3] == ("2026-10-28", "2026-10-30", "")
        assert len(listed) == 3

        # a change waits for review, then is discarded: the subscriber sees no change at any point
        files = subscriber.files()
        edit(settings, webinar, title="Webinar flyttet", start="2026-10-23T09:00", end="2026-10-23T10:00")
        assert subscriber.sync() == listed and subscriber.files() == files
        with session_scope(open_store(settings)) as s:
            discard_changes(s, webinar, actor="mette")
        assert subscriber.sync() == listed and subscriber.files() == files

        # withdraw: still there, as cancelled
        with session_scope(open_store(settings)) as s:
            withdraw(s, day, actor="mette", note="Aflyst af arrangøren")
        after = subscriber.sync()
        assert after["Lederdag for alle"][:3] == ("2026-10-28", "2026-10-30", "CANCELLED")
        assert {title: row[2] for title, row in after.items()} == {
            "Morgenmøde om tillid": "", "Webinar i sommertid": "", "Lederdag for alle": "CANCELLED"}
