"""The root of kontakt's exception tree.

    KontaktError
     ├── ConfigError                   config.toml is missing, unreadable or wrong
     ├── LockedError                   another process is running the pipeline
     ├── intake.errors.IntakeError     the mailbox could not be read
     │    ├── MailboxUnavailable       down, refused, TLS failure, dropped connection (transient)
     │    └── AuthenticationFailed     wrong password or expired token (not retried)
     ├── parsers.errors.ParseError     a message could not be read at all
     └── store.errors.StoreError       the database refused something
          ├── SchemaOutOfDate          the database needs `kontakt db upgrade`
          ├── NotFound                 no such draft/message/user
          └── Conflict                 someone else saved the draft first

Each package translates its foreign errors (imaplib, SQLAlchemy, email) into
these at its boundary, chained with ``raise … from exc``. The CLI turns any
KontaktError into one clear line and a non-zero exit.
"""


class KontaktError(Exception):
    """Anything kontakt itself reports as an error."""


class ConfigError(KontaktError):
    """A setting is missing or has the wrong shape; the message names the key."""


class LockedError(KontaktError):
    """Another process holds the pipeline lock."""
