"""Feature frames: a ``(T, F)`` matrix per input (LPC cepstra, sensor readings, a series).

JSON carries the matrix as nested lists; a command-line argument, an upload and a
bundled example are CSV files with one frame per line; a file of many inputs is a
``.ts``/``.arff``/``.npz`` archive or a folder of such CSVs (:func:`seqclf.modalities.files.series`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

import numpy as np
import torch

from seqclf.data.frames import read_frames_csv
from seqclf.limits import MAX_FRAME_WIDTH, MAX_STEPS_CEILING
from seqclf.modalities.base import Modality, Wire
from seqclf.modalities.files import Item, series


def _depth(value: Any) -> int:
    """Nesting depth of arrays and lists, following first elements: a (T, F) input has 2."""
    if isinstance(value, (np.ndarray, torch.Tensor)):
        return value.ndim
    if isinstance(value, (list, tuple)):
        return 1 + (_depth(value[0]) if value else 0)
    return 0


def _rectangular(matrix: list[list[float]]) -> list[list[float]]:
    width = len(matrix[0])
    for i, row in enumerate(matrix):
        if len(row) != width:
            raise ValueError(f"ragged frames: frame {i} has {len(row)} values, frame 0 has {width}")
    return matrix


def _feature_matrix() -> Any:
    """One (T, F) matrix as the request schema checks it: finite numbers, strictly typed, rectangular.

    Each list has a ceiling checked before its items, and a matrix stops at its first bad
    value, so one input costs at most one error (:mod:`seqclf.limits`).
    """
    from pydantic import AfterValidator, Field  # the serve extra: only the service builds schemas

    finite = Annotated[float, Field(allow_inf_nan=False, strict=True)]
    frame = Annotated[list[finite], Field(min_length=1, max_length=MAX_FRAME_WIDTH, fail_fast=True)]
    return Annotated[
        list[frame],
        Field(
            min_length=1,
            max_length=MAX_STEPS_CEILING,
            fail_fast=True,
            description="A (T, F) matrix: T frames of F finite numbers each.",
        ),
        AfterValidator(_rectangular),
    ]


def _one_matrix(value: Any) -> bool:
    """One (T, F) matrix: its rows hold numbers, not matrices."""
    return bool(
        isinstance(value, list)
        and value
        and isinstance(value[0], list)
        and value[0]
        and not isinstance(value[0][0], list | str)
    )


#: a (T, F) matrix of numbers per input, as nested lists
FRAMES = Wire(
    tag="frames",
    description="a list of frames of numbers (feature models)",
    claims=lambda value: isinstance(value, list) and (not value or isinstance(value[0], list)),
    is_one=_one_matrix,
    schema=_feature_matrix,
)


class FeaturesModality(Modality):
    name = "features"
    json_type = "a (T, F) matrix of numbers"
    wire = FRAMES
    example_suffixes = (".csv",)
    missing_hint = "upload a CSV or pick an example."

    def is_single(self, inputs: Any) -> bool:
        return _depth(inputs) == 2

    def from_cell(self, value: Any) -> Any:
        """A ``(T, F)`` matrix from an ``array<array<double>>`` cell, which Arrow hands over as an
        array of frame arrays; numpy stacks them, or says they are ragged."""
        value = super().from_cell(value)
        return list(value) if isinstance(value, np.ndarray) and value.dtype == object else value

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
