"""The database: raw messages, drafts, their history, runs and the intake ledger.

Knows no mailbox and no web page. Callers open an engine once
(`open_engine(url)`), check the schema (`ensure_schema`: an empty database is
created, an old one refused until `upgrade`), and pass a
Session to the functions in `store.repo`.
"""

from store.db import open_engine, session_scope
from store.schema import ensure_schema, upgrade
from store.errors import Conflict, NotFound, SchemaOutOfDate, StoreError
from store.models import (
    Draft,
    DraftChange,
    DraftStatus,
    Message,
    MessageStatus,
    PurgeRecord,
    Run,
    SeenMail,
    User,
)

__all__ = [
    "open_engine", "ensure_schema", "upgrade", "session_scope",
    "StoreError", "SchemaOutOfDate", "NotFound", "Conflict",
    "Message", "MessageStatus", "Draft", "DraftStatus", "DraftChange", "Run", "SeenMail",
    "User", "PurgeRecord",
]
