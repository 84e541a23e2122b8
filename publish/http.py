"""HTTP for pollers: a strong ETag of the body, Last-Modified from the last published change, 304 for
If-None-Match and If-Modified-Since (RFC 9110 13.1), HEAD, and Cache-Control.

Calendar clients fetch a subscribed feed every hour or so; an unchanged feed costs them a 304 and no body.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import Request
from fastapi.responses import Response

MAX_AGE = 300  # seconds a cache may serve a copy without asking again


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(timezone.utc).replace(microsecond=0), usegmt=True)


def not_modified(request: Request, etag: str, last_modified: datetime | None) -> bool:
    """Whether the client's copy is current. If-None-Match decides when it is sent (weak comparison, as
    RFC 9110 asks for it); If-Modified-Since only without it, to the second."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
        return "*" in tags or etag in tags
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since and last_modified is not None:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False  # a date that cannot be read is ignored (RFC 9110 13.1.3)
        if since.tzinfo is None:
            return False
        return last_modified.replace(microsecond=0) <= since
    return False


def conditional(request: Request, body: bytes, *, media_type: str, last_modified: datetime | None,
                max_age: int = MAX_AGE) -> Response:
    """The body, or 304 when the client has it already; HEAD gets the headers alone."""
    etag = etag_of(body)
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}"}
    if last_modified is not None:
        headers["Last-Modified"] = http_date(last_modified)
    if not_modified(request, etag, last_modified):
        return Response(status_code=304, headers=headers)
    if request.method == "HEAD":
        return Response(b"", media_type=media_type, headers={**headers, "Content-Length": str(len(body))})
    return Response(body, media_type=media_type, headers=headers)
