"""Errors from reading a mailbox (see kontakt.errors for the whole tree)."""

from kontakt.errors import KontaktError


class IntakeError(KontaktError):
    """The mailbox could not be read."""


class MailboxUnavailable(IntakeError):
    """The server or folder cannot be reached now (down, refused, TLS, dropped): worth retrying later."""


class AuthenticationFailed(IntakeError):
    """The server refused the login or token: retrying will not help until the credentials are fixed."""
