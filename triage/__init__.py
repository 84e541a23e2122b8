"""What a read mail means for what is kept: new events, changes proposed to earlier ones, or mail set aside.

    from triage import Known, decide
    known = Known.of(kept_messages, open_drafts, own_mail)      # once per run, from the store
    decision = decide(parsed, pk=message.id, sender=address, known=known)
    known.remember(...)                                          # as the run queues mail

Pure: plain values in (core.model), decisions out; no database, no parser, no mailbox. The
application (kontakt/pipeline.py) loads what the store keeps, asks here, and writes the answer.
"""

from triage.decide import (
    FieldChange,
    NewEvents,
    ProposedChange,
    Proposals,
    SetAside,
    decide,
)
from triage.known import Known

__all__ = ["Known", "decide", "NewEvents", "ProposedChange", "Proposals", "SetAside", "FieldChange"]
