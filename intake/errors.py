"""Errors from reading a mailbox (see core.errors for the whole tree)."""

from core.errors import KontaktError


class IntakeError(KontaktError):
    """The mailbox could not be read."""


class MailboxUnavailable(IntakeError):
    """The server or folder cannot be reached now (down, refused, TLS, dropped): worth retrying later."""


class AuthenticationFailed(IntakeError):
    """The server refused the login or token: retrying will not help until the credentials are fixed."""
