"""Errors from reading a message (see core.errors for the whole tree)."""

from core.errors import KontaktError


class ParseError(KontaktError):
    """The message could not be read at all; the text says why, for the reviewers."""
