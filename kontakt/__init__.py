"""kontakt: Ledelsesugen's event intake, the application on top.

The flow, one package a step, on the shared ground floor `core/`::

    intake/   mail in: a folder of .eml files, a Maildir or an IMAP mailbox
    parsers/  mail bytes -> events (pure: no database, no network)
    store/    raw messages, drafts, history and runs in a database
    review/   the reviewers' web desk
    publish/  approved events out: .ics, JSON, the programme page

This package is the top floor: the pipeline that runs one pass, the lock, and
the command line. It imports every step; no step imports it.
"""

__version__ = "0.1.0"
