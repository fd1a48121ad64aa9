"""Where the demo's models come from: the shipped folders, and any folder or Hub repo a user names.

Every model is loaded once. The shipped models are loaded at start-up, one per
sub-folder of the models directory that holds a ``config.json``, so a model that has
not been trained yet simply has no tab. A model a user names in the UI (a folder, or
a Hub repo id at a revision) is loaded on first use and kept in a small cache, so a
second request for it costs nothing and a stream of different names cannot fill
memory.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from seqclf.errors import ModelLoadError
from seqclf.predictor import Predictor
from seqclf.pretrained import CONFIG_NAME

#: tab order for the shipped models; any other model folder follows, alphabetically
PREFERRED_ORDER = ("names", "sentiment", "digits", "vowels")
#: how many user-named models stay loaded at once
CACHE_SIZE = 4


def _order(name: str) -> tuple[int, str]:
    return (PREFERRED_ORDER.index(name) if name in PREFERRED_ORDER else len(PREFERRED_ORDER), name)


def find_models(models_dir: Path) -> dict[str, Path]:
    """The model folders under ``models_dir`` by name, in tab order (none if it is missing)."""
    if not models_dir.is_dir():
        return {}
    found = {path.name: path for path in models_dir.iterdir() if (path / CONFIG_NAME).is_file()}
    return {name: found[name] for name in sorted(found, key=_order)}


def parse_model_option(option: str) -> tuple[str, str, str | None]:
    """``NAME=SOURCE[@REVISION]`` (the ``--model`` option) -> ``(name, source, revision)``."""
    name, sep, target = option.partition("=")
    if not sep or not name.strip() or not target.strip():
        raise ModelLoadError(f"--model {option!r}: write NAME=FOLDER or NAME=OWNER/REPO[@REVISION]")
    source, _, revision = target.partition("@")
    return name.strip(), source.strip(), revision.strip() or None


@lru_cache(maxsize=CACHE_SIZE)
def load_predictor(source: str, revision: str | None = None) -> Predictor:
    """A model folder or Hub repo id at ``revision``, loaded once and then reused."""
    return Predictor.from_pretrained(source, revision=revision)
