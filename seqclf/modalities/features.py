"""Feature frames: a ``(T, F)`` matrix per input (LPC cepstra, sensor readings, a series).

JSON carries the matrix as nested lists; a command-line argument, an upload and a
bundled example are CSV files with one frame per line; a file of many inputs is a
``.ts``/``.arff``/``.npz`` archive or a folder of such CSVs (:func:`seqclf.input_files.series`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from seqclf.modalities.base import Modality
from seqclf.modalities.files import Item, read_frames_csv, series


def _depth(value: Any) -> int:
    """Nesting depth of arrays and lists, following first elements: a (T, F) input has 2."""
    if isinstance(value, (np.ndarray, torch.Tensor)):
        return value.ndim
    if isinstance(value, (list, tuple)):
        return 1 + (_depth(value[0]) if value else 0)
    return 0


class FeaturesModality(Modality):
    name = "features"
    json_type = "a (T, F) matrix of numbers"
    json_is_string = False
    example_suffixes = (".csv",)
    missing_hint = "upload a CSV or pick an example."

    def is_single(self, inputs: Any) -> bool:
        return _depth(inputs) == 2

    def from_argument(self, text: str) -> Any:
        return read_frames_csv(text)

    def read_items(self, source: str, column: str) -> Iterator[Item]:
        return series(source)

    def widget(self) -> Any:
        import gradio as gr  # the ui extra: only the UI asks for a widget

        return gr.File(label="Frames (CSV: one frame per line, one column per channel)", file_types=[".csv"])

    def from_widget(self, value: Any) -> Any:
        return read_frames_csv(super().from_widget(value))


FEATURES = FeaturesModality()
