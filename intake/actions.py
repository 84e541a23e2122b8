"""What to do with a message in the mailbox once its drafts are safely stored.

`[mailbox] action`: none, seen, flag, or move:FOLDER. Small classes, one per
action, each applying itself to a list of UIDs on a connected client.
"""

from __future__ import annotations

from typing import Any, Protocol

import imapclient

from intake.errors import IntakeError


class MailboxAction(Protocol):
    name: str

    def apply(self, client: Any, uids: list[int]) -> None: ...


class LeaveAlone:
    name = "none"

    def apply(self, client: Any, uids: list[int]) -> None:
        pass


class MarkSeen:
    name = "seen"

    def apply(self, client: Any, uids: list[int]) -> None:
        client.add_flags(uids, [imapclient.SEEN])


class Flag:
    name = "flag"

    def apply(self, client: Any, uids: list[int]) -> None:
        client.add_flags(uids, [imapclient.FLAGGED])


class MoveTo:
    name = "move"

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self._checked = False

    def apply(self, client: Any, uids: list[int]) -> None:
        if not self._checked:
            if not client.folder_exists(self.folder):
                client.create_folder(self.folder)
            self._checked = True
        if client.has_capability("MOVE"):
            client.move(uids, self.folder)
        else:  # RFC 3501 servers without MOVE: copy, then delete and expunge those UIDs only
            client.copy(uids, self.folder)
            client.delete_messages(uids)
            client.uid_expunge(uids) if client.has_capability("UIDPLUS") else client.expunge()


def action_from_setting(value: str) -> MailboxAction:
    if value == "none":
        return LeaveAlone()
    if value == "seen":
        return MarkSeen()
    if value == "flag":
        return Flag()
    if value.startswith("move:") and value[5:].strip():
        return MoveTo(value[5:].strip())
    raise IntakeError(f"[mailbox] action must be none, seen, flag or move:FOLDER, not {value!r}")
