"""Loading the demo's models: the ones the operator chose, and what visitors may name (the Model source box).

The operator's models (the shipped folders found by :func:`seqclf.network.sources.discover`, or
``--model`` options) load once, at start-up, so a model that has not been trained yet
simply has no tab.

A tab's "Model source" box lets a visitor name another model. What it accepts is the
operator's choice, a :class:`SourcePolicy`:

- ``off``: nothing; the server shows only the models it was started with. The default
  wherever the demo can be reached from another machine (``seqclf serve --ui``, the
  Docker image, ``python app.py`` on a public interface).
- ``hub``: Hub repo ids only, never a path on the server, and only repos whose model
  files fit in ``max_download_bytes``; the resolved commit is shown to the visitor.
- ``any``: a folder on the server or a Hub repo id, as the library takes them. For a
  person trying models on their own machine (``python app.py`` on loopback) or a trusted
  network.

A refusal never says whether a path exists, so the box cannot be used to probe the
server's file system. Accepted models are loaded on first use and kept in a small cache,
so a second request for one costs nothing and a stream of different names cannot fill
memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from seqclf.errors import ModelLoadError
from seqclf.inference.predictor import Predictor

#: how many visitor-named models stay loaded at once
CACHE_SIZE = 4
#: the largest Hub model (its files together) a visitor may make the server download
DEFAULT_MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024

SourceMode = Literal["off", "hub", "any"]
SOURCE_MODES: tuple[SourceMode, ...] = ("off", "hub", "any")


class SourceRefused(ModelLoadError):
    """A model source the operator's policy does not allow (the message says what is allowed)."""


@dataclass(frozen=True)
class SourcePolicy:
    """Which models a visitor may name in a tab's Model source box."""

    mode: SourceMode = "off"
    max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES

    @property
    def enabled(self) -> bool:
        return self.mode != "off"


@dataclass(frozen=True)
class Loaded:
    """A visitor-named model and, for a Hub repo, the commit it was loaded at."""

    predictor: Predictor
    commit: str | None = None


def load_visitor_model(policy: SourcePolicy, source: str, revision: str | None = None) -> Loaded:
    """The model a visitor named, if ``policy`` allows it; :class:`SourceRefused` otherwise."""
    if policy.mode == "off":
        raise SourceRefused(
            "this server offers only the models it was started with: leave the model source empty"
        )
    if policy.mode == "hub":
        from seqclf.hub import is_repo_id

        if not is_repo_id(source):
            raise SourceRefused(
                "this server loads other models from the Hugging Face Hub only: give a repo id like "
                "'owner/name'"
            )
        return _from_hub(source, revision, policy.max_download_bytes)
    return _from_anywhere(source, revision)


@lru_cache(maxsize=CACHE_SIZE)
def _from_hub(repo_id: str, revision: str | None, max_bytes: int) -> Loaded:
    # Straight to the Hub: a repo id that also names a folder here must not load the folder.
    from seqclf.hub import download

    folder = download(repo_id, revision, max_bytes=max_bytes)
    return Loaded(Predictor.from_pretrained(folder), commit=Path(folder).name)


@lru_cache(maxsize=CACHE_SIZE)
def _from_anywhere(source: str, revision: str | None) -> Loaded:
    return Loaded(Predictor.from_pretrained(source, revision=revision))
