"""What callers send a model — text, feature frames or audio — and every way it arrives.

A model's encoder names its modality (``Encoder.modality_name``); the module of that
name here is the one place that knows how such an input travels: its JSON type in a
request, raw bytes (an uploaded file or an HTTP body), a command-line argument, a file
of many inputs (``seqclf predict --input``), whether a value is one input or a batch,
and the UI's input widget and bundled examples. The service, the CLI and the UI ask the
model's :class:`Modality` instead of branching on its name, so a new kind of input is one
new module here.
"""

from __future__ import annotations

from seqclf.encoders.base import ModalityName
from seqclf.errors import ConfigError
from seqclf.modalities.audio import AUDIO
from seqclf.modalities.base import Modality
from seqclf.modalities.features import FEATURES
from seqclf.modalities.text import TEXT

MODALITIES: dict[str, Modality] = {m.name: m for m in (TEXT, FEATURES, AUDIO)}

__all__ = ["AUDIO", "FEATURES", "MODALITIES", "TEXT", "Modality", "modality_named"]


def modality_named(name: ModalityName | str) -> Modality:
    """The modality an encoder names; an unknown name is a model this seqclf cannot serve."""
    if name not in MODALITIES:
        raise ConfigError(f"unknown input modality {name!r}; this seqclf knows {sorted(MODALITIES)}")
    return MODALITIES[name]
