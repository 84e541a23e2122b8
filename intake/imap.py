"""An IMAP mailbox (imapclient): IMAPS or STARTTLS, password or XOAUTH2, batched BODY.PEEK[].

What is new is decided by UID, scoped by UIDVALIDITY: the pipeline passes the
refs already taken in (``FOLDER/UIDVALIDITY/UID``); when the server's
UIDVALIDITY differs from every ref we know, the whole folder is read again and
the store recognises the messages it already has by content hash. Nothing is
marked, flagged or moved while fetching (``BODY.PEEK[]``): the action runs per
message, after its drafts are committed. SEARCH never names a CHARSET
(Exchange answers BADCHARSET).

imaplib/imapclient/socket/ssl errors are translated here into
MailboxUnavailable (worth retrying) and AuthenticationFailed (not).
"""

from __future__ import annotations

import imaplib
import logging
import os
import shlex
import socket
import ssl
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

import imapclient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from intake.actions import MailboxAction, action_from_setting
from intake.base import RawMail
from intake.errors import AuthenticationFailed, IntakeError, MailboxUnavailable
from core.settings import MailboxSettings

log = logging.getLogger(__name__)

CONNECT_ATTEMPTS = 3
BACKOFF_SECONDS = (1.0, 3.0, 9.0)
TRANSIENT = (OSError, socket.timeout, IMAPClientAbortError, imaplib.IMAP4.abort, ssl.SSLError, EOFError)
T = TypeVar("T")


@dataclass(frozen=True)
class ImapAddress:
    tls: bool
    user: str
    host: str
    port: int
    folder: str

    @classmethod
    def parse(cls, url: str) -> "ImapAddress":
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps") or not parts.hostname or not parts.username:
            raise IntakeError(f"[mailbox] source must look like imaps://USER@HOST:993/FOLDER, not {url!r}")
        tls = parts.scheme == "imaps"
        folder = unquote(parts.path.lstrip("/")) or "INBOX"
        return cls(tls, unquote(parts.username), parts.hostname, parts.port or (993 if tls else 143), folder)

    @property
    def source(self) -> str:
        """The mailbox's name in the ledger: no password, ever."""
        return f"{'imaps' if self.tls else 'imap'}://{self.user}@{self.host}:{self.port}/{self.folder}"


class ImapMailbox:
    """One IMAP folder. `fetch_new` yields new messages oldest first, in batches."""

    def __init__(self, settings: MailboxSettings, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.address = ImapAddress.parse(settings.source)
        self.source = self.address.source
        self.action: MailboxAction = action_from_setting(settings.action)
        self._sleep = sleep
        self._client: imapclient.IMAPClient | None = None
        self._uidvalidity: int | None = None

    # ------------------------------------------------------------ connection
    def _connect(self) -> imapclient.IMAPClient:
        a, s = self.address, self.settings
        context = ssl.create_default_context(cafile=s.ca_file or None)  # verification stays on
        try:
            client = imapclient.IMAPClient(a.host, port=a.port, ssl=a.tls, ssl_context=context if a.tls else None,
                                           timeout=s.timeout_seconds)
            if not a.tls and s.starttls:
                client.starttls(context)
        except ssl.SSLCertVerificationError as exc:  # not transient: retrying will not help
            raise IntakeError(f"{self.source}: the server's TLS certificate is not trusted ({exc.verify_message}); "
                                     "set [mailbox] ca_file for a private CA") from exc
        except TRANSIENT as exc:
            raise MailboxUnavailable(f"{self.source}: cannot connect: {exc.__class__.__name__}: {exc}") from exc
        try:
            self._login(client)
            info = client.select_folder(a.folder, readonly=False)
        except (LoginError, AuthenticationFailed) as exc:
            _quietly(client.logout)
            if isinstance(exc, AuthenticationFailed):
                raise
            raise AuthenticationFailed(f"{self.source}: the server refused the login: {_text(exc)}") from exc
        except IMAPClientError as exc:
            _quietly(client.logout)
            if isinstance(exc, TRANSIENT):
                raise MailboxUnavailable(f"{self.source}: connection lost while logging in: {_text(exc)}") from exc
            raise IntakeError(f"{self.source}: cannot open folder {a.folder!r}: {_text(exc)}") from exc
        except TRANSIENT as exc:
            raise MailboxUnavailable(f"{self.source}: connection lost while logging in: {_text(exc)}") from exc
        self._uidvalidity = int(info.get(b"UIDVALIDITY", 0))
        return client

    def _login(self, client: imapclient.IMAPClient) -> None:
        s, a = self.settings, self.address
        if s.oauth2_token_env or s.oauth2_token_command:
            token = self._oauth2_token()
            try:
                client.oauth2_login(a.user, token)
            except (LoginError, IMAPClientError) as exc:
                raise AuthenticationFailed(
                    f"{self.source}: the XOAUTH2 token was refused ({_text(exc)}); it may have expired: "
                    "fetch a new access token (Microsoft 365 tokens last about an hour) and run again") from exc
            return
        password = os.environ.get(s.password_env, "")
        if not password:
            raise AuthenticationFailed(f"{self.source}: no password: set the environment variable {s.password_env}")
        client.login(a.user, password)

    def _oauth2_token(self) -> str:
        s = self.settings
        if s.oauth2_token_env:
            token = os.environ.get(s.oauth2_token_env, "").strip()
            if not token:
                raise AuthenticationFailed(f"{self.source}: no access token: set the environment variable {s.oauth2_token_env}")
            return token
        try:
            done = subprocess.run(shlex.split(s.oauth2_token_command), capture_output=True, text=True, timeout=60,
                                  stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise AuthenticationFailed(f"{self.source}: the token command failed to run: {exc}") from exc
        if done.returncode != 0 or not done.stdout.strip():
            raise AuthenticationFailed(f"{self.source}: the token command exited {done.returncode} without a token")
        return done.stdout.strip().splitlines()[-1]

    def _ensure(self) -> imapclient.IMAPClient:
        """A connected client, retrying transient failures with backoff (never a refused login)."""
        if self._client is not None:
            return self._client
        for attempt in range(CONNECT_ATTEMPTS):
            try:
                self._client = self._connect()
                return self._client
            except MailboxUnavailable as exc:
                if attempt == CONNECT_ATTEMPTS - 1:
                    raise MailboxUnavailable(f"{exc}; check [mailbox] source, and that the mail server is running "
                                             "and reachable from here") from exc
                log.warning("%s (attempt %d of %d); trying again", exc, attempt + 1, CONNECT_ATTEMPTS)
                self._sleep(BACKOFF_SECONDS[attempt])
        raise AssertionError("unreachable")

    def _drop(self) -> None:
        if self._client is not None:
            _quietly(self._client.shutdown)
        self._client = None

    def _with_retry(self, what: str, call: Callable[[imapclient.IMAPClient], T]) -> T:
        for attempt in range(CONNECT_ATTEMPTS):
            client = self._ensure()
            try:
                return call(client)
            except TRANSIENT as exc:
                self._drop()
                if attempt == CONNECT_ATTEMPTS - 1:
                    raise MailboxUnavailable(f"{self.source}: connection lost while {what}: {_text(exc)}") from exc
                log.warning("%s: connection lost while %s; reconnecting", self.source, what)
                self._sleep(BACKOFF_SECONDS[attempt])
            except IMAPClientError as exc:  # a NO or BAD answer: the server refuses, retrying will not help
                raise IntakeError(f"{self.source}: the server refused {what}: {_text(exc)}") from exc
        raise AssertionError("unreachable")

    # ------------------------------------------------------------ the Mailbox protocol
    def fetch_new(self, seen: set[str]) -> Iterator[RawMail]:
        self._ensure()
        validity = self._uidvalidity
        known = _uids_for(seen, self.address.folder, validity)
        last = max(known) if known else 0
        if not known and any(ref.startswith(f"{self.address.folder}/") for ref in seen):
            log.warning("%s: UIDVALIDITY changed to %s: reading the folder again; stored mail is recognised by content",
                        self.source, validity)
        criteria: list[Any] = ["UID", f"{last + 1}:*"] if last else ["ALL"]
        uids = sorted(u for u in self._with_retry("searching", lambda c: c.search(criteria)) if u > last)
        batch_size = self.settings.batch_size
        for i in range(0, len(uids), batch_size):
            batch = uids[i:i + batch_size]
            sizes = self._with_retry("fetching sizes", lambda c: c.fetch(batch, ["RFC822.SIZE"]))
            small = [u for u in batch if sizes.get(u, {}).get(b"RFC822.SIZE", 0) <= self.settings.max_message_bytes]
            bodies = self._with_retry("fetching messages", lambda c: c.fetch(small, ["BODY.PEEK[]"])) if small else {}
            for uid in batch:
                ref = f"{self.address.folder}/{validity}/{uid}"
                size = int(sizes.get(uid, {}).get(b"RFC822.SIZE", 0))
                if uid in bodies:
                    raw = bodies[uid].get(b"BODY[]") or b""
                    yield RawMail(ref=ref, raw=raw, size=size or len(raw))
                elif uid in sizes:  # too large: keep only its start, leave it in the mailbox
                    head = self._with_retry("fetching a large message's start", lambda c: c.fetch(
                        [uid], [f"BODY.PEEK[]<0.{self.settings.max_message_bytes}>"]))
                    data = next(iter(head.get(uid, {}).values()), b"") if head.get(uid) else b""
                    yield RawMail(ref=ref, raw=data if isinstance(data, bytes) else b"", size=size, truncated=True)
                # a UID that vanished between SEARCH and FETCH (expunged meanwhile) is simply not there

    def apply_action(self, refs: list[str]) -> None:
        if self.action.name == "none":
            return
        self._ensure()
        uids = sorted(_uids_for(set(refs), self.address.folder, self._uidvalidity))
        if uids:  # one command for the batch
            self._with_retry(f"applying the mailbox action {self.action.name}", lambda c: self.action.apply(c, uids))

    def close(self) -> None:
        if self._client is not None:
            _quietly(self._client.logout)
        self._client = None


def _uids_for(seen: set[str], folder: str, validity: int | None) -> set[int]:
    prefix = f"{folder}/{validity}/"
    return {int(ref[len(prefix):]) for ref in seen if ref.startswith(prefix) and ref[len(prefix):].isdigit()}


def _text(exc: BaseException) -> str:
    text = str(exc)
    if text.startswith("b'") or text.startswith('b"'):
        text = text[2:-1]
    return text[:300]


def _quietly(call: Callable[[], Any]) -> None:
    try:
        call()
    except Exception:  # closing a connection that is already gone
        pass
