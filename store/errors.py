"""Errors from the database layer (see core.errors for the whole tree)."""

from core.errors import KontaktError


class StoreError(KontaktError):
    """The database refused or could not do something."""


class SchemaOutOfDate(StoreError):
    """The database schema is older than this version of kontakt: run `kontakt db upgrade`."""


class NotFound(StoreError):
    """No such row."""


class Conflict(StoreError):
    """Someone else changed the row since it was read (optimistic locking)."""


class NotPublished(StoreError):
    """The decision does not fit the draft's publication: discarding or withdrawing what was never
    published, or rejecting what is (a published event is withdrawn, or its change discarded)."""
