"""The database: raw messages, drafts, their history, runs and the intake ledger.

Knows no mailbox and no web page. Callers open an engine once
(`open_engine(url)`), make the schema current (`init_schema`), and pass a
Session to the functions in `store.repo`.
"""

from store.db import init_schema, open_engine, session_scope
from store.errors import Conflict, NotFound, SchemaOutOfDate, StoreError
from store.models import (
    Draft,
    DraftChange,
    DraftStatus,
    MailboxState,
    Message,
    MessageStatus,
    PurgeRecord,
    Run,
    SeenMail,
    User,
)

__all__ = [
    "open_engine", "init_schema", "session_scope",
    "StoreError", "SchemaOutOfDate", "NotFound", "Conflict",
    "Message", "MessageStatus", "Draft", "DraftStatus", "DraftChange", "Run", "SeenMail",
    "MailboxState", "User", "PurgeRecord",
]
