"""Request and response bodies, shared by the ``/v1`` routes and the Hugging Face route.

Types do the first line of validation, so the OpenAPI schema documents exactly what
is accepted: feature values must be finite numbers (JSON's NaN/Infinity extensions
are refused), a feature matrix must be rectangular, unknown keys are errors rather
than silently ignored typos. Types are strict: ``"3"``, ``true`` and ``3.0`` are not a
``top_k`` and ``"1"`` is not a frame value, so a client's type mistake is an error
rather than a guess.

Every list has a ceiling (:mod:`seqclf.limits`) that is checked before its items, and a
matrix stops at its first bad value: one request yields at most one error per input,
whatever its size, and :mod:`seqclf.serving.errors` reports only the first few.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag

from seqclf.encoders.base import ModalityName
from seqclf.limits import MAX_FRAME_WIDTH, MAX_INPUTS_CEILING, MAX_STEPS_CEILING

FiniteFloat = Annotated[float, Field(allow_inf_nan=False, strict=True)]


def _rectangular(matrix: list[list[float]]) -> list[list[float]]:
    width = len(matrix[0])
    for i, row in enumerate(matrix):
        if len(row) != width:
            raise ValueError(f"ragged frames: frame {i} has {len(row)} values, frame 0 has {width}")
    return matrix


FeatureMatrix = Annotated[
    list[Annotated[list[FiniteFloat], Field(min_length=1, max_length=MAX_FRAME_WIDTH, fail_fast=True)]],
    Field(
        min_length=1,
        max_length=MAX_STEPS_CEILING,
        fail_fast=True,
        description="A (T, F) matrix: T frames of F finite numbers each.",
    ),
    AfterValidator(_rectangular),
]


def _input_kind(value: Any) -> str | None:
    """Which branch of :data:`Input` a value is meant for, so only that branch's errors are reported."""
    if isinstance(value, str):
        return "text"
    return "frames" if isinstance(value, list) else None


# A tagged union: pydantic checks only the branch the value's JSON type selects, so a
# ragged matrix is reported as ragged, not also as "Input should be a valid string".
Input = Annotated[
    Annotated[str, Tag("text")] | Annotated[FeatureMatrix, Tag("frames")],
    Discriminator(
        _input_kind,
        custom_error_type="input_type",
        custom_error_message="each input must be a string (text, or base64-encoded WAV for audio models) "
        "or a list of frames of numbers (feature models)",
    ),
    Field(
        description="Text for text models, base64-encoded WAV for audio models, a (T, F) matrix for feature models."
    ),
]


Inputs = Annotated[
    list[Input],
    Field(
        min_length=1,
        max_length=MAX_INPUTS_CEILING,
        description="One or more inputs, each answered separately (the server's limit: SEQCLF_MAX_INPUTS).",
    ),
]


def is_one_input(value: Any) -> bool:
    """One text or base64 string, or one (T, F) matrix (its rows hold numbers, not matrices)."""
    if isinstance(value, str):
        return True
    return bool(
        isinstance(value, list)
        and value
        and isinstance(value[0], list)
        and value[0]
        and not isinstance(value[0][0], list | str)
    )


class Parameters(BaseModel):
    """Options for a prediction, as in the Hugging Face Inference API."""

    model_config = ConfigDict(extra="forbid")

    top_k: int | None = Field(
        None, ge=1, strict=True, description="Labels per input, best first; all labels when omitted."
    )
    function_to_apply: Literal["softmax"] | None = Field(
        None, description="Accepted for Hugging Face compatibility; scores are always softmax probabilities."
    )


class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inputs: Inputs
    parameters: Parameters = Field(default_factory=Parameters)


class HFRequest(BaseModel):
    """The Hugging Face Inference API body: one input or a list of them."""

    model_config = ConfigDict(extra="forbid")

    inputs: Annotated[
        Annotated[Input, Tag("one")] | Annotated[Inputs, Tag("many")],
        Discriminator(lambda value: "one" if is_one_input(value) else "many"),
    ]
    parameters: Parameters = Field(default_factory=Parameters)


class LabelScore(BaseModel):
    label: str
    score: float


class PredictResponse(BaseModel):
    model: str
    predictions: list[list[LabelScore]] = Field(description="One list per input, best label first.")


class ModelInfo(BaseModel):
    id: str
    task: str
    input: ModalityName
    labels: list[str]
    source: str
    revision: str | None


class ModelList(BaseModel):
    models: list[ModelInfo]


class ErrorResponse(BaseModel):
    error: str = Field(description="What was wrong and what to do about it.")
