"""A made-up fourth kind of input, in one module: counts (a list of small whole numbers per input).

Nothing else in seqclf knows of it. Importing this module registers its encoder (by
``type``) and its modality (by being made), which is all the REST routes, the Hugging
Face route, ``seqclf predict --input`` and the UI need (tests/test_made_up_kind.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any

import torch

from seqclf.encoders.base import Encoder, positive_int
from seqclf.errors import InvalidInputError
from seqclf.modalities.base import Modality, Wire
from seqclf.modalities.files import Item

#: counts above this share one id
CAP = 20


def _is_counts(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, int) for v in value)


def _schema() -> Any:
    """One input in a request: whole numbers of at least 0, strictly typed."""
    from pydantic import Field

    return Annotated[list[Annotated[int, Field(strict=True, ge=0)]], Field(min_length=1, max_length=4096)]


COUNTS = Wire(
    tag="counts",
    description="a list of whole numbers (counts models)",
    claims=lambda value: isinstance(value, list) and (not value or not isinstance(value[0], list | str)),
    is_one=_is_counts,
    schema=_schema,
)


class CountEncoder(Encoder):
    """Each count is a token: id ``2 + min(count, CAP)``; 0 is padding."""

    type = "counts"
    input_kind = "tokens"
    modality_name = "counts"

    def __init__(self, max_length: int = 64) -> None:
        self.max_length = max_length

    @classmethod
    def fit(cls, examples: Iterable[Any], **options: Any) -> CountEncoder:
        return cls()

    def encode(self, example: Any) -> torch.Tensor:
        if not isinstance(example, list) or not all(isinstance(v, int) and v >= 0 for v in example):
            raise InvalidInputError("expected a list of whole numbers of at least 0")
        if not example:
            raise InvalidInputError("the input is empty: give at least one count")
        if len(example) > self.max_length:
            raise InvalidInputError(
                f"the input has {len(example)} counts; this model takes at most {self.max_length}"
            )
        return torch.tensor([2 + min(v, CAP) for v in example], dtype=torch.int64)

    def steps(self, example: Any) -> list[str]:
        return [str(v) for v in example]

    def model_fields(self) -> dict[str, Any]:
        return {"input_kind": "tokens", "vocab_size": CAP + 3, "padding_idx": 0}

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "max_length": self.max_length}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CountEncoder:
        return cls(positive_int(cls.type, data, "max_length", 64))


def parse(text: str) -> list[int]:
    """``"3 0 4"`` as counts; anything else is the user's mistake."""
    try:
        return [int(part) for part in text.split()]
    except ValueError:
        raise InvalidInputError(f"not a list of whole numbers: {text[:40]!r}") from None


class CountsModality(Modality):
    name = "counts"
    json_type = "a list of whole numbers"
    wire = COUNTS
    missing_hint = "type some counts, e.g. 3 0 4."
    submit_on_enter = True

    def is_single(self, inputs: Any) -> bool:
        return _is_counts(inputs)

    def from_argument(self, text: str) -> Any:
        return parse(text)

    def read_items(self, source: str, column: str) -> Iterator[Item]:
        for line in Path(source).read_text(encoding="utf-8").splitlines():
            if line.strip():
                yield Item(line.strip(), parse(line))

    def widget(self) -> Any:
        import gradio as gr

        return gr.Textbox(label="Counts", placeholder="3 0 4 ...")

    def from_widget(self, value: Any) -> Any:
        return parse(super().from_widget(value))


COUNTS_MODALITY = CountsModality()
