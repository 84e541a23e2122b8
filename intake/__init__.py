"""Mail in: where messages come from. Knows no database and no parser.

`open_mailbox(settings)` gives a Mailbox for `[mailbox] source`:
``folder:PATH``, ``maildir:PATH``, ``imap://USER@HOST:PORT/FOLDER`` or ``imaps://…``.
"""

from __future__ import annotations

from intake.base import Mailbox, RawMail
from intake.errors import AuthenticationFailed, IntakeError, MailboxUnavailable
from intake.folder import FolderMailbox, MaildirMailbox
from core.settings import MailboxSettings


def open_mailbox(settings: MailboxSettings) -> Mailbox:
    scheme, _, rest = settings.source.partition(":")
    if scheme == "folder":
        return FolderMailbox(rest, max_bytes=settings.max_message_bytes)
    if scheme == "maildir":
        return MaildirMailbox(rest, max_bytes=settings.max_message_bytes)
    if scheme in ("imap", "imaps"):
        from intake.imap import ImapMailbox  # imported here: folder runs need no IMAP machinery

        return ImapMailbox(settings)
    raise IntakeError(f"unknown mailbox source {settings.source!r}")


__all__ = ["open_mailbox", "Mailbox", "RawMail", "IntakeError", "MailboxUnavailable", "AuthenticationFailed",
           "FolderMailbox", "MaildirMailbox"]
