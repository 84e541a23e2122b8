"""Settings from config.toml, as frozen keyword-only value objects.

Every section is a dataclass whose fields are the keys it accepts, with their
defaults. `load_settings()` reads the file once, checks every key and type, and
raises ConfigError with one line naming the key and what is expected. Secrets
never live in the file: it names environment variables (``password_env``).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import ConfigError

DEFAULT_CONFIG = Path("config.toml")
MAILBOX_SCHEMES = ("folder", "maildir", "imap", "imaps")
MAILBOX_ACTIONS = ("none", "seen", "flag")  # plus "move:FOLDER"


@dataclass(frozen=True, kw_only=True)
class MailboxSettings:
    source: str = "folder:samples/inbox"
    password_env: str = "KONTAKT_IMAP_PASSWORD"
    oauth2_token_env: str = ""
    oauth2_token_command: str = ""
    ca_file: str = ""
    starttls: bool = False
    batch_size: int = 200
    action: str = "none"
    timeout_seconds: int = 60
    max_message_bytes: int = 40 * 1024 * 1024

    @property
    def scheme(self) -> str:
        return self.source.split(":", 1)[0].lower()


@dataclass(frozen=True, kw_only=True)
class ReaderSettings:
    time_limit_seconds: int = 30
    memory_limit_mb: int = 1024


@dataclass(frozen=True, kw_only=True)
class DatabaseSettings:
    url: str = "sqlite:///kontakt.db"


@dataclass(frozen=True, kw_only=True)
class ScheduleSettings:
    cron: str = "0 2 * * *"
    misfire_grace_seconds: int = 3600
    purge: bool = True


@dataclass(frozen=True, kw_only=True)
class RetentionSettings:
    raw_mail_days: int = 180


@dataclass(frozen=True, kw_only=True)
class ReviewSettings:
    host: str = "127.0.0.1"
    port: int = 8044
    secret_env: str = "KONTAKT_SECRET"
    secure_cookies: bool = False
    event_week: int = 44  # Ledelsesugen's ISO week: a draft dated outside it needs attention


@dataclass(frozen=True, kw_only=True)
class PublishSettings:
    out: str = "public"
    site_url: str = "http://127.0.0.1:8044/programme/"  # the programme's public address (links, webcal://)
    title: str = "Arrangementer under Ledelsesugen"
    cancelled_days: int = 14  # a withdrawn event stays on the programme as "Aflyst" this many days


@dataclass(frozen=True, kw_only=True)
class NotifySettings:
    enabled: bool = False
    receipts: bool = True
    digest: bool = True
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_security: str = "starttls"  # starttls | tls | none
    smtp_user: str = ""
    smtp_password_env: str = "KONTAKT_SMTP_PASSWORD"
    smtp_ca_file: str = ""
    sender: str = "kontakt@ledelsesugen.dk"
    reviewers: list = field(default_factory=list)
    max_age_days: int = 14


@dataclass(frozen=True, kw_only=True)
class Settings:
    timezone: str = "Europe/Copenhagen"
    mailbox: MailboxSettings = field(default_factory=MailboxSettings)
    reader: ReaderSettings = field(default_factory=ReaderSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    review: ReviewSettings = field(default_factory=ReviewSettings)
    publish: PublishSettings = field(default_factory=PublishSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)
    base_dir: Path = Path(".")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def path(self, value: str) -> Path:
        """A path from the file, relative to the folder the config file is in."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)


_SECTION_CLASSES = {
    "mailbox": MailboxSettings,
    "reader": ReaderSettings,
    "database": DatabaseSettings,
    "schedule": ScheduleSettings,
    "retention": RetentionSettings,
    "review": ReviewSettings,
    "publish": PublishSettings,
    "notify": NotifySettings,
}
_TYPE_NAMES = {str: "a string", int: "a whole number", bool: "true or false", list: "a list", float: "a number"}


def load_settings(path: str | os.PathLike | None = None) -> Settings:
    """Read and check config.toml; raise ConfigError naming the key that is wrong."""
    config_path = Path(path) if path is not None else DEFAULT_CONFIG
    try:
        data = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{config_path}: no such config file (give one with --config FILE)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{config_path}: cannot read: {exc}") from None
    return settings_from_dict(data, base_dir=config_path.resolve().parent, origin=str(config_path))


def settings_from_dict(data: dict[str, Any], *, base_dir: Path, origin: str = "config") -> Settings:
    values: dict[str, Any] = {"base_dir": base_dir}
    for key, value in data.items():
        if key == "timezone":
            values["timezone"] = _checked(origin, "timezone", value, str)
        elif key in _SECTION_CLASSES:
            if not isinstance(value, dict):
                raise ConfigError(f"{origin}: [{key}] must be a table")
            values[key] = _section(origin, key, _SECTION_CLASSES[key], value)
        else:
            known = ", ".join(["timezone", *(f"[{s}]" for s in _SECTION_CLASSES)])
            raise ConfigError(f"{origin}: unknown key {key!r} (known: {known})")
    settings = Settings(**values)
    _validate(origin, settings)
    return _resolved(settings)


def _section(origin: str, name: str, cls: type, table: dict[str, Any]) -> Any:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in table.items():
        if key not in fields:
            raise ConfigError(f"{origin}: unknown key [{name}] {key} (known: {', '.join(fields)})")
        default = fields[key].default
        if default is dataclasses.MISSING:
            default = fields[key].default_factory()  # type: ignore[misc]
        kwargs[key] = _checked(origin, f"[{name}] {key}", value, type(default))
    return cls(**kwargs)


def _checked(origin: str, key: str, value: Any, expected: type) -> Any:
    ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
    if not ok:
        raise ConfigError(f"{origin}: {key} must be {_TYPE_NAMES.get(expected, expected.__name__)}, not {value!r}")
    return value


def _validate(origin: str, s: Settings) -> None:
    try:
        ZoneInfo(s.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{origin}: timezone must be an IANA zone such as 'Europe/Copenhagen', not {s.timezone!r}") from None
    scheme, sep, rest = s.mailbox.source.partition(":")
    if not sep or scheme.lower() not in MAILBOX_SCHEMES or not rest.strip("/"):
        raise ConfigError(
            f"{origin}: [mailbox] source must be folder:PATH, maildir:PATH, imap://USER@HOST:PORT/FOLDER "
            f"or imaps://USER@HOST:PORT/FOLDER, not {s.mailbox.source!r}"
        )
    action = s.mailbox.action
    if action not in MAILBOX_ACTIONS and not (action.startswith("move:") and len(action) > 5):
        raise ConfigError(f"{origin}: [mailbox] action must be none, seen, flag or move:FOLDER, not {action!r}")
    if s.mailbox.batch_size < 1:
        raise ConfigError(f"{origin}: [mailbox] batch_size must be at least 1, not {s.mailbox.batch_size}")
    if "://" not in s.database.url:
        raise ConfigError(
            f"{origin}: [database] url must be an SQLAlchemy URL such as 'sqlite:///kontakt.db' "
            f"or 'postgresql+psycopg://USER@HOST/DB', not {s.database.url!r}"
        )
    if s.notify.smtp_security not in ("starttls", "tls", "none"):
        raise ConfigError(f"{origin}: [notify] smtp_security must be starttls, tls or none, not {s.notify.smtp_security!r}")
    if s.retention.raw_mail_days < 1:
        raise ConfigError(f"{origin}: [retention] raw_mail_days must be at least 1")
    if s.reader.time_limit_seconds < 1 or s.reader.memory_limit_mb < 64:
        raise ConfigError(f"{origin}: [reader] time_limit_seconds must be at least 1 and memory_limit_mb at least 64")
    if s.notify.max_age_days < 0:
        raise ConfigError(f"{origin}: [notify] max_age_days must be 0 or more")


def _resolved(s: Settings) -> Settings:
    """Make folder sources and SQLite files relative to the config file, not the working directory."""
    mailbox, database = s.mailbox, s.database
    scheme, _, rest = mailbox.source.partition(":")
    if scheme.lower() in ("folder", "maildir") and not rest.startswith("//"):
        mailbox = dataclasses.replace(mailbox, source=f"{scheme.lower()}:{s.path(rest).resolve()}")
    prefix = "sqlite:///"
    if database.url.startswith(prefix) and database.url != prefix + ":memory:":
        file = database.url[len(prefix):]
        if file and not file.startswith("/"):
            database = dataclasses.replace(database, url=prefix + str(s.path(file).resolve()))
    return dataclasses.replace(s, mailbox=mailbox, database=database)


def secret_from_env(var: str, what: str) -> str:
    """The secret a setting points at, or ConfigError saying which variable to set."""
    value = os.environ.get(var, "") if var else ""
    if not value:
        raise ConfigError(f"{what}: set the environment variable {var or '(none named)'}")
    return value


def redacted(url: str) -> str:
    """A source or database URL without its secret, for anything recorded or logged.

    The user part may itself hold an "@" (imaps://kontakt@ledelsesugen.dk:secret@host/INBOX): the
    host is what follows the last "@" before the path, and a password is what follows the first ":"
    of the user part."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, path = rest.partition("/")
    if "@" not in authority:
        return url
    userinfo, _, host = authority.rpartition("@")
    user, colon, _ = userinfo.partition(":")
    return f"{scheme}://{user}{':***' if colon else ''}@{host}{slash}{path}"
