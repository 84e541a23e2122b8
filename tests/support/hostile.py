"""Read a folder of mail in a child process, one JSON line per mail, and watch what the reading does.

    python -m tests.support.hostile DIR

For each .eml file, in name order, it prints {"file", "started": true} before reading
and then {"file", "outcome", ...}: outcome "parsed" (events), "not_event" (a kind with
no events), "failed" (a ParseError, with its text) or "crash" (anything else). An audit
hook (PEP 578) records every attempt to open a network connection, resolve a name or
start a process while the mail is read; they are reported with the mail. The parent
(tests/parsers/test_mime_hostile_corpus.py) gives each mail a deadline, so a hang is
caught and named instead of stalling the test run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# what reading a mail must never do: reach out, or run something
WATCHED = ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr", "socket.sendto",
           "socket.sendmsg", "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
           "os.forkpty", "urllib.Request", "webbrowser.open", "ctypes.dlopen")


def main(folder: Path) -> None:
    import parsers
    from kontakt.warmup import load_extractor

    load_extractor()
    seen: list[str] = []
    reading = [False]

    def audit(event: str, args: tuple) -> None:
        if reading[0] and event.startswith(WATCHED):
            seen.append(f"{event} {str(args)[:200]}")

    sys.addaudithook(audit)
    for path in sorted(folder.glob("*.eml")):
        print(json.dumps({"file": path.name, "started": True}), flush=True)
        raw = path.read_bytes()
        seen.clear()
        reading[0] = True
        row: dict[str, object] = {"file": path.name}
        try:
            parsed = parsers.extract(raw)
        except parsers.ParseError as exc:
            row.update(outcome="failed", error=str(exc))
        except Exception as exc:  # what the test is there to catch
            row.update(outcome="crash", error=f"{exc.__class__.__name__}: {exc}"[:500])
        else:
            texts = [parsed.text, parsed.subject, parsed.html or "", *(a.text or "" for a in parsed.attachments),
                     *(str(v) for e in parsed.events for v in e.fields().values() if v is not None)]
            row.update(outcome="parsed" if parsed.events else "not_event", kind=str(parsed.kind),
                       events=len(parsed.events), clean=all(_clean(t) for t in texts))
        finally:
            reading[0] = False
        row["audit"] = list(seen)
        print(json.dumps(row, ensure_ascii=False), flush=True)


def _clean(text: str) -> bool:
    """Storable as it is: no NUL (PostgreSQL text refuses it), no lone surrogate (UTF-8 refuses it)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


if __name__ == "__main__":
    main(Path(sys.argv[1]))
