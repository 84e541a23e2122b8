#!/usr/bin/env python3
"""How fast the review desk answers with a season's drafts in the queue.

    python bench/desk.py [--drafts 3000] [--repeat 5]

Builds a throwaway SQLite database with N drafts (each its own small mail; titles made from a small
word list, so many look alike), then times, in process, through the app (FastAPI's TestClient):
the queue page, a search, a filtered list, a draft page (which works out "forrige"/"næste" over the
list), and the draft page of a 5 MB HTML mail taken in by the real pipeline (what intake kept of it is
shown; the raw mail is not read again). Prints the median and range; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = ("ledelse ledere tillid styring morgenmøde temadag arbejdsglæde forandring data psykologisk tryghed walk "
         "talk netværk offentlig velfærd digital innovation strategi samarbejde dialog kommune region").split()
PLACES = ("Rådhuset, Torvet 1, 7100 Vejle", "Borgernes Hus, Odense", "Teams", "Biblioteket, Roskilde")


def seed(url: str, n: int) -> None:
    from sqlmodel import Session

    from store import Draft, DraftStatus, Message, MessageStatus, ensure_schema, open_engine
    from store.users import add_user
    from tests.support.mail import event_mail

    random.seed(44)
    engine = open_engine(url)
    ensure_schema(engine)
    sent = datetime(2026, 9, 1, 8, tzinfo=timezone.utc)
    with Session(engine) as session:
        add_user(session, "bench", "bench-lange-kodeord", admin=True)
        for i in range(n):
            title = " ".join(random.choice(WORDS) for _ in range(random.randint(3, 7))).capitalize()
            day, hour = 26 + i % 5, 8 + i % 9
            raw = event_mail(title=title, when=f"den {day}. oktober kl. {hour}-{hour + 2}", msgid=f"<{i}@bench.example>",
                             sent=sent + timedelta(minutes=i))
            message = Message(sha256=f"{i:064x}", raw=raw, size=len(raw), source="bench", source_ref=str(i),
                              subject=f"Arrangement: {title}", sender="Mette Holm <meho@vejle.example>",
                              sent_at=sent + timedelta(minutes=i), status=MessageStatus.QUEUED,
                              body_text=raw.split(b"\n\n", 1)[1].decode("utf-8", "replace"))
            session.add(message)
            session.flush()
            session.add(Draft(message_pk=message.id, title=title, start=f"2026-10-{day}T{hour:02d}:00",
                              end=f"2026-10-{day}T{hour + 2:02d}:00", place=random.choice(PLACES),
                              organizer=random.choice(("Vejle Kommune", "Region Nordhav", "Kyst Universitet")),
                              registration="meho@vejle.example", status=DraftStatus.PENDING,
                              confidence={"title": random.random(), "start": 0.9}, evidence={"title": title},
                              uid=f"bench-{i}@ledelsesugen.dk"))
        session.commit()


def heavy_mail() -> bytes:
    """A 5 MB HTML mail: a programme table of 40,000 rows, as a careless export makes."""
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "Stor <stor@kommune.example>", "kontakt@ledelsesugen.dk", "Stort program"
    msg["Message-ID"], msg["Date"] = "<heavy@kommune.example>", "Mon, 14 Sep 2026 10:00:00 +0200"
    rows = "".join(f"<tr><td>Punkt {i}</td><td>Tirsdag den 27. oktober kl. 9-11</td><td>Rådhuset, Torvet {i}</td></tr>"
                   for i in range(40_000))
    msg.set_content(f"<html><body><h1>Lederdag om tillid</h1><table>{rows}</table></body></html>", subtype="html")
    return bytes(msg)


def timed(client, path: str, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - t0)
        assert response.status_code == 200, (path, response.status_code)
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--drafts", type=int, default=3000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    import re

    from fastapi.testclient import TestClient

    from core.settings import settings_from_dict
    from kontakt.pipeline import run_once
    from review.app import create_app
    from store import Draft, Message, open_engine
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        t0 = time.perf_counter()
        seed(url, args.drafts)
        print(f"seeded {args.drafts} drafts in {time.perf_counter() - t0:.1f} s")
        inbox = Path(folder) / "inbox"
        inbox.mkdir()
        (inbox / "heavy.eml").write_bytes(heavy_mail())
        settings = settings_from_dict({"database": {"url": url}, "mailbox": {"source": f"folder:{inbox}"}},
                                      base_dir=Path(folder))
        t0 = time.perf_counter()
        run_once(settings)  # the 5 MB mail through the real pipeline: read once, what it shows kept
        print(f"the 5 MB HTML mail taken in in {time.perf_counter() - t0:.1f} s")
        client = TestClient(create_app(settings, open_engine(url), secret="b" * 32), follow_redirects=False)
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
        client.post("/login", data={"csrf": token, "name": "bench", "password": "bench-lange-kodeord"})
        pages = {"queue": "/", "search ?q=": "/?q=tillid+ledere", "filtered (organiser, dates)":
                 "/?arrangoer=Vejle&fra=2026-10-27&til=2026-10-28", "draft page": "/drafts/1",
                 "draft page from a search": "/drafts/1?q=tillid"}
        engine = open_engine(url)
        from sqlmodel import Session, select

        with Session(engine) as session:
            heavy = session.exec(select(Draft.id).join(Message, Message.id == Draft.message_pk)
                                 .where(Message.message_id == "<heavy@kommune.example>")).first()
        if heavy is not None:
            pages["draft page of a 5 MB HTML mail"] = f"/drafts/{heavy}"
        for name, path in pages.items():
            times = timed(client, path, args.repeat)
            print(f"{name:30s} median {statistics.median(times) * 1000:7.0f} ms  "
                  f"(range {min(times) * 1000:.0f}–{max(times) * 1000:.0f}, {args.repeat} runs)")


if __name__ == "__main__":
    main()
