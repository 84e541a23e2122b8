"""The review desk as `kontakt serve` runs it: the web app wired to this application's pipeline.

The session secret: the environment variable `[review] secret_env` (KONTAKT_SECRET), or, on SQLite
when it is unset, a secret generated once and kept in a file beside the database (`DB.secret`, mode
0600), so a restart does not log everybody out. On another database without the variable, the desk
refuses to start: there is no file of the database's to keep it beside.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.engine import make_url
from sqlmodel import Session

from core.errors import ConfigError
from core.settings import Settings
from kontakt.pipeline import open_store, reread_message
from review.app import create_app
from store import Message

MIN_SECRET_CHARS = 16


def secret_file(settings: Settings) -> Path | None:
    """Where a generated secret is kept: beside the SQLite database file; None for other databases."""
    url = make_url(settings.database.url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).with_name(Path(url.database).name + ".secret")


def session_secret(settings: Settings) -> str:
    """The secret that signs the desk's session cookies (see the module's docstring)."""
    var = settings.review.secret_env
    value = os.environ.get(var, "") if var else ""
    if value:
        if len(value) < MIN_SECRET_CHARS:
            raise ConfigError(f"[review] secret_env: {var} must hold at least {MIN_SECRET_CHARS} characters "
                              "(e.g. openssl rand -hex 32)")
        return value
    path = secret_file(settings)
    if path is None:
        raise ConfigError(f"[review] secret_env: set {var or 'the variable it names'} to a long random secret "
                          "(e.g. openssl rand -hex 32) and keep it: the desk's sessions are signed with it")
    try:
        return path.read_text(encoding="utf-8").strip() or _new_secret(path)
    except FileNotFoundError:
        return _new_secret(path)
    except OSError as exc:
        raise ConfigError(f"cannot read the desk's secret file {path}: {exc.strerror}") from exc


def _new_secret(path: Path) -> str:
    value = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"cannot write the desk's secret file {path}: {exc.strerror}; set the secret in the "
                          "environment instead") from exc
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(value + "\n")
    return value


def desk_app(settings: Settings) -> FastAPI:
    """The desk and the public pages, on the configured database, able to read stored mail again."""

    def reread(session: Session, message: Message, *, as_event: bool = False) -> str:
        return reread_message(session, message, settings, as_event=as_event)

    return create_app(settings, open_store(settings), secret=session_secret(settings), reread=reread)
