"""`kontakt publish --out DIR`: the programme as static files for any web server.

    index.html  events.ics  events.json  programme.css  arrangement/KEY.html  arrangement/KEY.ics

A file whose content did not change is not written again, so a web server's Last-Modified and ETag
(from the file's time and size) stay as they were and pollers get their 304.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from publish.feeds import Site, event_ics_path, event_page_path, ics_event, ics_feed, json_feed
from publish.page import Showing, render_event, render_programme
from store.publishing import last_change, published_events


def export(session: Session, out: Path, *, title: str, site_url: str, cancelled_days: int,
           now: datetime | None = None) -> dict[str, int]:
    """Write the programme's files; each changed file replaced atomically, unchanged ones left alone."""
    events = published_events(session)
    site = Site.at(site_url)
    files = {
        "index.html": render_programme(events, title=title, site=site,
                                       showing=Showing.as_of(now, cancelled_days)).encode("utf-8"),
        "events.ics": ics_feed(events, name=title, site=site),
        "events.json": json_feed(events, title=title, generated=last_change(session)),
        "programme.css": (Path(__file__).parent / "static" / "programme.css").read_bytes(),
    }
    for event in events:
        files[event_page_path(event)] = render_event(event, title=title, site=site).encode("utf-8")
        files[event_ics_path(event)] = ics_event(event, site=site)
    written = sum(_write_if_changed(out / name, data) for name, data in files.items())
    return {"events": sum(not e.cancelled for e in events), "cancelled": sum(e.cancelled for e in events),
            "written": written, "unchanged": len(files) - written}


def _write_if_changed(path: Path, data: bytes) -> bool:
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)  # a web server never serves half a file
    return True
