"""Request and response bodies, shared by the ``/v1`` routes and the Hugging Face route.

Types do the first line of validation, so the OpenAPI schema documents exactly what
is accepted: feature values must be finite numbers (JSON's NaN/Infinity extensions
are refused), a feature matrix must be rectangular, unknown keys are errors rather
than silently ignored typos.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


def _rectangular(matrix: list[list[float]]) -> list[list[float]]:
    width = len(matrix[0])
    for i, row in enumerate(matrix):
        if len(row) != width:
            raise ValueError(f"ragged frames: frame {i} has {len(row)} values, frame 0 has {width}")
    return matrix


FeatureMatrix = Annotated[
    list[Annotated[list[FiniteFloat], Field(min_length=1)]],
    Field(min_length=1, description="A (T, F) matrix: T frames of F finite numbers each."),
    AfterValidator(_rectangular),
]
Input = Annotated[
    str | FeatureMatrix,
    Field(
        description="Text for text models, base64-encoded WAV for audio models, a (T, F) matrix for feature models."
    ),
]


class Parameters(BaseModel):
    """Options for a prediction, as in the Hugging Face Inference API."""

    model_config = ConfigDict(extra="forbid")

    top_k: int | None = Field(
        None, ge=1, description="Labels per input, best first; all labels when omitted."
    )
    function_to_apply: Literal["softmax"] | None = Field(
        None, description="Accepted for Hugging Face compatibility; scores are always softmax probabilities."
    )


class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inputs: list[Input] = Field(min_length=1, description="One or more inputs, each answered separately.")
    parameters: Parameters = Field(default_factory=Parameters)


class HFRequest(BaseModel):
    """The Hugging Face Inference API body: one input or a list of them."""

    model_config = ConfigDict(extra="forbid")

    inputs: Input | Annotated[list[Input], Field(min_length=1)]
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
    input: Literal["text", "features", "audio"]
    labels: list[str]
    source: str
    revision: str | None


class ModelList(BaseModel):
    models: list[ModelInfo]


class ErrorResponse(BaseModel):
    error: str = Field(description="What was wrong and what to do about it.")
