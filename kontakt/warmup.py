"""Once per process, before reading mail in bulk: the extractor loaded, the heap settled.

Start-up builds a large heap that lives as long as the process (spaCy's vocabulary and
pattern matchers, SQLAlchemy's mappers, the compiled patterns). Python's cyclic
collector would scan all of it again at every full collection, and reading mail
allocates enough to trigger one every few dozen messages: in a run of thousands of
mails that was 3-6 % of the time. `gc.freeze()` after a collection moves what is
alive then out of the collector's sight; it is still freed by reference counting.

While that heap is being built, collecting is wasted work too: the command line
raises the collector's thresholds for its start-up (`quiet_start_up`), and
`load_extractor` puts them back once the heap is frozen (a command that never reads
mail keeps the high thresholds: it still collects, only less often).
"""

from __future__ import annotations

import gc
from functools import lru_cache

START_UP_THRESHOLDS = (100_000, 50, 50)  # Python's own are (700, 10, 10)
_usual_thresholds: tuple[int, ...] | None = None


def quiet_start_up() -> None:
    """Collect rarely until `load_extractor` has frozen the start-up heap (saves about 0.15 s)."""
    global _usual_thresholds
    if gc.get_freeze_count():  # frozen already: this process is past its start-up
        return
    if _usual_thresholds is None:
        _usual_thresholds = gc.get_threshold()
    gc.set_threshold(*START_UP_THRESHOLDS)


def start_up_done() -> None:
    """The process is past its start-up without loading the extractor itself (the pipeline's parent, whose
    reading worker loads it): freeze what start-up made and collect as usual again."""
    if gc.get_freeze_count():
        return
    gc.collect()
    gc.freeze()
    if _usual_thresholds is not None:
        gc.set_threshold(*_usual_thresholds)


@lru_cache(maxsize=1)
def load_extractor() -> None:
    """Build the spaCy pipeline and read the model now (not at the first mail), and freeze what start-up made.
    Idempotent."""
    from parsers.nlp import build_nlp
    from parsers.scoring import load_model

    build_nlp()
    load_model()  # the extractor's fitted model (parsers/model/extractor.json)
    gc.collect()  # what is garbage now is freed, not frozen
    gc.freeze()
    if _usual_thresholds is not None:
        gc.set_threshold(*_usual_thresholds)
