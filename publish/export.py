"""`kontakt publish --out DIR`: the programme as static files for any web server."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session

from publish.feeds import ics_feed, json_feed
from publish.page import render_programme
from store.publishing import published_events


def export(session: Session, out: Path, *, title: str) -> dict[str, int]:
    """Write index.html, events.ics, events.json and programme.css; each file replaced atomically."""
    events = published_events(session)
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "index.html": render_programme(events, title=title, assets="", feeds="").encode("utf-8"),
        "events.ics": ics_feed(events, name=title),
        "events.json": json_feed(events, title=title),
        "programme.css": (Path(__file__).parent / "static" / "programme.css").read_bytes(),
    }
    for name, data in files.items():
        tmp = out / f".{name}.tmp"
        tmp.write_bytes(data)
        tmp.replace(out / name)  # a web server never serves half a file
    return {"events": sum(not e.cancelled for e in events), "cancelled": sum(e.cancelled for e in events)}
