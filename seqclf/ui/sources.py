"""Loading the demo's models: the shipped folders, and any folder or Hub repo a user names.

Every model is loaded once. The shipped models are loaded at start-up (found by
:func:`seqclf.sources.discover`), so a model that has not been trained yet simply has
no tab. A model a user names in the UI (a folder, or a Hub repo id at a revision) is
loaded on first use and kept in a small cache, so a second request for it costs
nothing and a stream of different names cannot fill memory.
"""

from __future__ import annotations

from functools import lru_cache

from seqclf.predictor import Predictor

#: how many user-named models stay loaded at once
CACHE_SIZE = 4


@lru_cache(maxsize=CACHE_SIZE)
def load_predictor(source: str, revision: str | None = None) -> Predictor:
    """A model folder or Hub repo id at ``revision``, loaded once and then reused."""
    return Predictor.from_pretrained(source, revision=revision)
