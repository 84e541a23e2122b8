"""Once per process, before reading mail in bulk: the extractor loaded, the heap settled.

Start-up builds a large heap that lives as long as the process (spaCy's vocabulary and
pattern matchers, SQLAlchemy's mappers, the compiled patterns). Python's cyclic
collector would scan all of it again at every full collection, and reading mail
allocates enough to trigger one every few dozen messages: in a run of thousands of
mails that was 3-6 % of the time. `gc.freeze()` after a collection moves what is
alive then out of the collector's sight; it is still freed by reference counting.
"""

from __future__ import annotations

import gc
from functools import lru_cache


@lru_cache(maxsize=1)
def load_extractor() -> None:
    """Build the spaCy pipeline now (not at the first mail) and freeze what start-up made. Idempotent."""
    from parsers.nlp import build_nlp

    build_nlp()
    gc.collect()  # what is garbage now is freed, not frozen
    gc.freeze()
