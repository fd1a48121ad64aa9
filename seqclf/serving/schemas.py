"""Request and response bodies, shared by the ``/v1`` routes and the Hugging Face route.

Types do the first line of validation, so the OpenAPI schema documents exactly what
is accepted. One input's type is built from the wire formats of the registered
modalities (:class:`seqclf.modalities.Wire`), so a new kind of input brings its own:
feature values must be finite numbers (JSON's NaN/Infinity extensions
are refused), a feature matrix must be rectangular, unknown keys are errors rather
than silently ignored typos. Types are strict: ``"3"``, ``true`` and ``3.0`` are not a
``top_k`` and ``"1"`` is not a frame value, so a client's type mistake is an error
rather than a guess.

Every list has a ceiling (:mod:`seqclf.limits`) that is checked before its items, and a
matrix stops at its first bad value: one request yields at most one error per input,
whatever its size, and :mod:`seqclf.serving.errors` reports only the first few.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from seqclf.limits import MAX_INPUTS_CEILING
from seqclf.modalities import modalities


def _input_type() -> Any:
    """One input, whichever kind: a union with a branch per wire format of the registered
    modalities (:class:`seqclf.modalities.Wire`), tagged, so pydantic checks only the branch
    the value's JSON type selects (a ragged matrix is reported as ragged, not also as "Input
    should be a valid string")."""
    wires = list({m.wire.tag: m.wire for m in modalities()}.values())
    return Annotated[
        Union[tuple(Annotated[wire.schema(), Tag(wire.tag)] for wire in wires)],  # noqa: UP007
        Discriminator(
            lambda value: next((wire.tag for wire in wires if wire.claims(value)), None),
            custom_error_type="input_type",
            custom_error_message="each input must be " + " or ".join(wire.description for wire in wires),
        ),
        Field(description="One input: " + "; or ".join(wire.description for wire in wires) + "."),
    ]


Input = _input_type()


def is_one_input(value: Any) -> bool:
    """One input of some kind rather than a list of them (the Hugging Face route takes either)."""
    return any(m.wire.is_one(value) for m in modalities())


Inputs = Annotated[
    list[Input],
    Field(
        min_length=1,
        max_length=MAX_INPUTS_CEILING,
        description="One or more inputs, each answered separately (the server's limit: SEQCLF_MAX_INPUTS).",
    ),
]


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
    input: str = Field(description="The kind of input the model takes (text, features, audio, ...).")
    labels: list[str]
    source: str
    revision: str | None


class ModelList(BaseModel):
    models: list[ModelInfo]


class ErrorResponse(BaseModel):
    error: str = Field(description="What was wrong and what to do about it.")
