"""The hostile corpus (../shared/corpus/make_hostile.py): every mail is read to a ParsedMail or a clear
ParseError; none crashes, hangs, reaches out or starts a process.

The mails are read in one child process (tests/support/hostile.py) so that a hang can be stopped:
each mail has PER_MAIL_SECONDS, far beyond what any of them needs (bench/mime.py prints the
slowest), so it catches a reader that does not end, not one that is slow.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
from pathlib import Path

import pytest

from parsers.mime import read_mime

ROOT = Path(__file__).resolve().parents[2]
PER_MAIL_SECONDS = 60
STARTUP_SECONDS = 120
HOSTILE_MAILS = 57




def read_in_child(folder: Path) -> list[dict]:
    """The child's result lines; fails naming the mail that did not finish in time."""
    child = subprocess.Popen([sys.executable, "-m", "tests.support.hostile", str(folder)], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONHASHSEED": "0"})
    rows, current = [], None
    selector = selectors.DefaultSelector()
    selector.register(child.stdout, selectors.EVENT_READ)
    buffer = b""
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while True:
            if b"\n" not in buffer:
                if not selector.select(timeout=max(deadline - time.monotonic(), 0)):
                    pytest.fail(f"{current or 'start-up'}: not read within {PER_MAIL_SECONDS} s (a hang)")
                chunk = os.read(child.stdout.fileno(), 65536)
                if not chunk:
                    break
                buffer += chunk
                continue
            line, buffer = buffer.split(b"\n", 1)
            row = json.loads(line)
            if row.get("started"):
                current, deadline = row["file"], time.monotonic() + PER_MAIL_SECONDS
            else:
                rows.append(row)
    finally:
        child.kill()
        child.wait()
    assert child.returncode in (0, -9), f"the reader died ({child.returncode}) after {current}"
    return rows


def test_every_hostile_mail_is_read_or_refused_clearly(hostile_dir):
    rows = read_in_child(hostile_dir)
    assert [r["file"] for r in rows] == sorted(p.name for p in hostile_dir.glob("*.eml"))
    assert len(rows) == HOSTILE_MAILS
    crashes = {r["file"]: r["error"] for r in rows if r["outcome"] == "crash"}
    assert crashes == {}
    assert {r["file"]: r["audit"] for r in rows if r["audit"]} == {}  # nothing reached out or ran
    for row in rows:
        if row["outcome"] == "failed":
            assert row["error"] and len(row["error"]) < 1000, row
        else:
            assert row["clean"], row  # storable: no NUL, no lone surrogate
            assert row["events"] <= 20, row
    outcomes = {r["file"]: r["outcome"] for r in rows}
    assert outcomes["014-empty-0-bytes.eml"] == "failed"
    # the event is in a readable part of these: a lenient reader finds it
    for name in ["001-missing-closing-boundary.eml", "002-boundary-never-used.eml", "004-nested-multipart-200.eml",
                 "005-rfc822-nested-50.eml", "010-latin1-labelled-utf8.eml", "012-cp1252-undefined-bytes.eml",
                 "017-eol-crlf.eml", "018-eol-lf.eml", "019-eol-mixed.eml", "020-eol-bare-cr.eml", "037-raw-utf8-headers.eml",
                 "038-raw-latin1-headers.eml", "053-large-attachment-29mb.eml", "054-multipart-no-boundary.eml",
                 "056-cte-invalid.eml"]:
        assert outcomes[name] == "parsed", name


def test_where_mail_parser_reads_a_hostile_mail_the_walk_reads_it_the_same(hostile_dir):
    by_mailparser = 0
    for path in sorted(hostile_dir.glob("*.eml")):
        raw = path.read_bytes()
        mime = read_mime(raw)
        if mime.reader != "mail-parser":
            assert mime.fallback, path.name
            continue
        by_mailparser += 1
        walked = read_mime(raw, use_mailparser=False)
        assert (mime.plain, mime.html, mime.attachments) == (walked.plain, walked.html, walked.attachments), path.name
    assert by_mailparser >= HOSTILE_MAILS // 2  # mail-parser really reads most of them
