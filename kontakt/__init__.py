"""kontakt: Ledelsesugen's event intake.

The flow, one package a step::

    intake/   mail in: a folder of .eml files, a Maildir or an IMAP mailbox
    parsers/  mail bytes -> events (pure: no database, no network)
    store/    raw messages, drafts, history and runs in a database
    review/   the reviewers' web desk
    publish/  approved events out: .ics, JSON, the programme page

This package holds what ties them together: settings, the error root, the
pipeline that runs one pass, and the command line.
"""

__version__ = "0.1.0"
