"""kontakt's own mail to organisers, as its subject lines begin: written by publish.notify, recognised by the
parser in a reply that quotes it (never an event's title) and flagged by the desk if a title comes from one.
Each is followed by ": " and the organiser's subject or the event's title."""

RECEIPT = "Vi har modtaget"
APPROVED = "Dit arrangement er i programmet"
REJECTED = "Dit arrangement kom ikke i programmet"
WITHDRAWN = "Dit arrangement er aflyst"
SUBJECT_PREFIXES = (RECEIPT, APPROVED, REJECTED, WITHDRAWN)
