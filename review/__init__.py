"""The reviewers' web desk: queue, draft pages, decisions, failed messages. Danish, server-rendered.

`create_app(settings)` builds the FastAPI app; `kontakt serve` runs it with uvicorn.
It never talks IMAP: it reads and writes the store, and re-reads stored raw mail.
"""
