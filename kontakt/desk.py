"""The review desk as `kontakt serve` runs it: the web app wired to this application's pipeline."""

from __future__ import annotations

from fastapi import FastAPI
from sqlmodel import Session

from core.settings import Settings
from kontakt.pipeline import open_store, reread_message
from review.app import create_app
from store import Message


def desk_app(settings: Settings) -> FastAPI:
    """The desk and the public pages, on the configured database, able to read stored mail again."""

    def reread(session: Session, message: Message, *, as_event: bool = False) -> str:
        return reread_message(session, message, settings, as_event=as_event)

    return create_app(settings, open_store(settings), reread=reread)
