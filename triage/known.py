"""What the store keeps, indexed for the questions a new mail asks: which thread, which copy."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from core.model import DraftRef, KeptDraft, KeptMessage

REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|sv|vs|aw|fw|fwd|wg|antw|tr)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)


def norm(text: str | None) -> str:
    """Words only, case folded: "Walk & talk – for ledere!" and "walk talk for ledere" are the same title."""
    return " ".join(re.findall(r"\w+", (text or "").casefold()))


def reversed_words(title: str) -> str:
    return " ".join(reversed(title.split()))


def base_subject(subject: str | None) -> str:
    return norm(REPLY_PREFIX.sub("", subject or ""))


@dataclass
class Known:
    """Messages already read and the open drafts, loaded once per run and kept current as the run queues
    mail, so recognising a thread or a possible copy costs no query per mail."""

    messages: dict[int, KeptMessage] = field(default_factory=dict)
    by_message_id: dict[str, list[int]] = field(default_factory=dict)  # several mails may share one ID
    own_mail: dict[str, int] = field(default_factory=dict)  # kontakt's own Message-ID -> the message it answered
    drafts: dict[DraftRef, KeptDraft] = field(default_factory=dict)
    by_thread: dict[int, list[DraftRef]] = field(default_factory=dict)  # submission pk -> open drafts in its thread
    # start day -> its drafts' normalised titles, sorted (and sorted by their reversed words): a title's
    # look-alikes stand beside it in one of the two orders, so finding them costs no scan of the day
    by_day: dict[str, list[tuple[str, DraftRef]]] = field(default_factory=dict)
    by_day_reversed: dict[str, list[tuple[str, DraftRef]]] = field(default_factory=dict)
    by_sender_subject: dict[tuple[str, str], int] = field(default_factory=dict)  # the latest submission

    @classmethod
    def of(cls, messages: Iterable[KeptMessage], drafts: Iterable[KeptDraft], own_mail: dict[str, int]) -> "Known":
        known = cls(own_mail=dict(own_mail))
        for message in sorted(messages, key=lambda m: m.pk):
            known._add_message(message)
        for draft in sorted(drafts, key=lambda d: d.ref):
            known._add_draft(draft)
        return known

    def remember(self, message: KeptMessage, drafts: Iterable[KeptDraft] = ()) -> None:
        """A message this run has read, and the drafts it queued."""
        self._add_message(message)
        for draft in drafts:
            self._add_draft(draft)

    def thread_root(self, pk: int) -> int:
        """The submission a message belongs to (itself, when it is not a reply)."""
        seen = set()
        while pk in self.messages and self.messages[pk].thread_pk and pk not in seen:
            seen.add(pk)
            pk = self.messages[pk].thread_pk  # type: ignore[assignment]
        return pk

    def open_in_thread(self, root: int) -> list[KeptDraft]:
        return [self.drafts[ref] for ref in self.by_thread.get(root, []) if ref in self.drafts]

    def _add_message(self, message: KeptMessage) -> None:
        self.messages[message.pk] = message
        if message.message_id:
            pks = self.by_message_id.setdefault(message.message_id, [])
            if message.pk not in pks:
                pks.append(message.pk)
        if message.submitted and message.sender_address:
            self.by_sender_subject[(message.sender_address.lower(), base_subject(message.subject))] = message.pk

    def _add_draft(self, draft: KeptDraft) -> None:
        self.drafts[draft.ref] = draft
        root = self.thread_root(draft.ref[0])
        refs = self.by_thread.setdefault(root, [])
        if draft.ref not in refs:
            refs.append(draft.ref)
        start, title = draft.fields.get("start"), norm(str(draft.fields.get("title") or ""))
        if isinstance(start, str) and len(start) >= 10 and title:
            bisect.insort(self.by_day.setdefault(start[:10], []), (title, draft.ref))
            bisect.insort(self.by_day_reversed.setdefault(start[:10], []), (reversed_words(title), draft.ref))

    def look_alikes(self, day: str, title: str, reach: int = 3) -> list[tuple[str, DraftRef]]:
        """The drafts of that day whose titles stand next to this one, in word order or reversed word order."""
        found = []
        for index, key in ((self.by_day, title), (self.by_day_reversed, reversed_words(title))):
            entries = index.get(day, [])
            at = bisect.bisect_left(entries, (key,))
            for entry in entries[max(0, at - reach):at + reach]:
                found.append((entry[0] if index is self.by_day else reversed_words(entry[0]), entry[1]))
        return found
