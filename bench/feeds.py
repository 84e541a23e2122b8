#!/usr/bin/env python3
"""What a poll of the published feeds costs: a full answer, a 304, a HEAD, a filtered feed, an export.

    python bench/feeds.py [--events 300] [--rounds 20]

Writes N published events into a new SQLite database (drafts as the store keeps them, approved),
then times the served routes in-process (FastAPI's TestClient, no network): unchanged (answered
from what was built), after one event changed, and with nothing built before; and `kontakt
publish`'s export twice (the second writes nothing). Prints figures; asserts nothing. Runs on one core.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def seed(url: str, count: int) -> None:
    from sqlmodel import Session

    from store import Draft, DraftStatus, Message, ensure_schema, open_engine

    engine = open_engine(url)
    ensure_schema(engine)
    stamp = datetime(2026, 9, 1, 8, 0, tzinfo=timezone.utc)
    with Session(engine) as session:
        message = Message(sha256="bench", raw=b"", source="bench", status="queued")
        session.add(message)
        session.commit()
        for n in range(count):
            day = datetime(2026, 10, 26) + timedelta(days=n % 5, hours=8 + n % 9)
            fields = {"title": f"Arrangement nummer {n} om ledelse, tillid og \"styring\"",
                      "start": day.strftime("%Y-%m-%dT%H:%M"), "end": (day + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
                      "all_day": n % 7 == 0, "place": "Rådhuset, Torvet 1, 7100 Vejle", "online": n % 3 == 0,
                      "registration_deadline": "2026-10-16", "registration": f"tilmelding{n}@kommune.example",
                      "organizer": f"Kommune {n % 40}", "audience": "Ledere i den offentlige sektor",
                      "description": "Første linje\r\nAnden linje"}
            session.add(Draft(message_pk=message.id, event_index=n, status=DraftStatus.APPROVED, uid=f"bench-{n}@t",
                              published=fields, sequence=1, published_at=stamp + timedelta(minutes=n), **fields))
        session.commit()


def timed(call, rounds: int) -> tuple[float, float]:
    """Median and fastest milliseconds of `rounds` calls."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    from fastapi.testclient import TestClient
    from sqlmodel import Session

    from core.settings import settings_from_dict
    from publish.export import export
    from review.app import create_app
    from store import open_engine

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        seed(url, args.events)
        settings = settings_from_dict({"mailbox": {"source": f"folder:{folder}"}, "database": {"url": url}},
                                      base_dir=Path(folder))
        engine = open_engine(url)
        client = TestClient(create_app(settings, engine))
        full = client.get("/events.ics")
        etag, size = full.headers["etag"], len(full.content)
        print(f"{args.events} published events, {args.rounds} rounds, one core, in-process (no network)")
        print(f"events.ics: {size / 1024:.0f} KiB")
        for label, call in [
            ("GET /events.ics (200)", lambda: client.get("/events.ics")),
            ("GET /events.ics If-None-Match (304)", lambda: client.get("/events.ics", headers={"If-None-Match": etag})),
            ("HEAD /events.ics", lambda: client.head("/events.ics")),
            ("GET /events.ics?day=2026-10-27", lambda: client.get("/events.ics?day=2026-10-27")),
            ("GET /events.json (200)", lambda: client.get("/events.json")),
            ("GET /programme/ (200)", lambda: client.get("/programme/")),
        ]:
            median, fastest = timed(call, args.rounds)
            print(f"{label:40s} {median:7.1f} ms median, {fastest:7.1f} ms fastest")
        from publish import feeds

        def changed_one() -> None:  # a published change to one event, as an approval makes
            from sqlmodel import select

            from store import Draft

            with Session(engine) as session:
                one = session.exec(select(Draft).where(Draft.uid == "bench-0@t")).one()
                one.sequence += 1
                one.published_at = datetime.now(timezone.utc)
                session.add(one)
                session.commit()

        def after_a_change() -> None:
            changed_one()
            client.get("/events.ics")

        def cold() -> None:
            feeds._vevent_ical.cache_clear()
            changed_one()
            client.get("/events.ics")

        for label, call in [("GET /events.ics after one event changed", after_a_change),
                            ("GET /events.ics, nothing built before", cold)]:
            median, fastest = timed(call, max(3, args.rounds // 4))
            print(f"{label:40s} {median:7.1f} ms median, {fastest:7.1f} ms fastest")
        out = Path(folder) / "public"
        for label in ("first", "again, nothing changed"):
            with Session(engine) as session:
                start = time.perf_counter()
                counts = export(session, out, title="Bench", site_url="https://bench.example/programme/",
                                cancelled_days=14)
                elapsed = time.perf_counter() - start
            print(f"kontakt publish's export ({label}): {elapsed * 1000:.0f} ms, {counts['written']} file(s) written, "
                  f"{counts['unchanged']} unchanged")


if __name__ == "__main__":
    main()
