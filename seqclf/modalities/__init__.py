"""What callers send a model — text, feature frames or audio — and every way it arrives.

A model's encoder names its modality (``Encoder.modality_name``); the module of that
name here is the one place that knows how such an input travels: its JSON type in a
request, raw bytes (an uploaded file or an HTTP body), a command-line argument, a file
of many inputs (``seqclf predict --input``), a cell of a DataFrame column (Spark), whether
a value is one input or a batch, and the UI's input widget and bundled examples. The service, the CLI and the UI ask the
model's :class:`Modality` instead of branching on its name. Making a modality registers it,
and the REST schema is built from the registered ones' wire formats, so a new kind of input
is one module: an encoder and a modality (``tests/made_up_kind.py`` is one, served by every
door in ``tests/test_made_up_kind.py``).
"""

from __future__ import annotations

from seqclf.modalities.audio import AUDIO
from seqclf.modalities.base import Modality, Wire, modalities, modality_named
from seqclf.modalities.features import FEATURES
from seqclf.modalities.text import TEXT

__all__ = ["AUDIO", "FEATURES", "TEXT", "Modality", "Wire", "modalities", "modality_named"]
