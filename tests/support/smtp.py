"""A real SMTP server's inbox for tests (aiosmtpd on loopback): every mail kontakt sends, parsed and raw."""

from __future__ import annotations

import email
from email.message import EmailMessage
from email.policy import default as default_policy


class Catcher:
    """aiosmtpd's handler: keeps each mail as parsed (with its envelope recipients) and as sent, byte for byte."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.raw.append(envelope.content)
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["X-Envelope-To"]]
