"""Every knob of the service in one place, read from flags and ``SEQCLF_*`` variables.

``seqclf serve`` passes its flags as keyword arguments, which win over the
environment; ``service/app.py`` reads the environment alone. The batching
defaults come from measuring the names and sentiment models on CPU (docs/serving.md):
the cost per input stops falling at about 32 inputs per pass; batching is adaptive
(a lone request runs at once, requests that arrive during a pass share the next), so
no wait for company is needed. The queue can also be bounded by time
(``max_queue_wait_ms``); it is off by default because on a 2-core machine the refusals
it sends under overload cost the model more throughput than the bound saved.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from seqclf.api_key import EMPTY_KEY
from seqclf.config import DEVICE_HELP
from seqclf.inference.requests import Limits
from seqclf.limits import MAX_BODY_BYTES, MAX_INPUTS, MAX_INPUTS_CEILING, MAX_STEPS, MAX_STEPS_CEILING
from seqclf.network.sources import split_specs


class ServiceSettings(BaseSettings):
    """Limits, batching and access control of one service process."""

    model_config = SettingsConfigDict(env_prefix="SEQCLF_", frozen=True)

    models: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Models to serve as ID=PATH_OR_REPO[@REVISION]; SEQCLF_MODELS is comma-separated. "
        "Empty: every model folder under models_dir.",
    )
    models_dir: Path = Field(
        Path("models"), description="Folder whose model subfolders are served by default."
    )
    device: str | None = Field(None, description=DEVICE_HELP)
    torch_threads: int | None = Field(
        None, ge=1, description="torch intra-op threads (default: chosen from the free CPUs, seqclf.threads)."
    )

    max_batch_size: int = Field(32, ge=1, le=4096, description="Most inputs in one forward pass.")
    max_wait_ms: float = Field(
        0.0,
        ge=0,
        le=1000,
        description="How long the first queued input waits for others to join its batch "
        "(0: none; a request runs at once when the model is idle, and requests arriving during a pass share the next).",
    )
    max_queue: int = Field(
        1024, ge=1, description="Most inputs waiting per model; beyond it requests get 503 + Retry-After."
    )
    max_queue_wait_ms: float | None = Field(
        None,
        gt=0,
        description="Most expected wait for a forward pass (the passes queued ahead, timed from recent ones); "
        "a request that would wait longer gets 503 + Retry-After at once. None (default): bounded by count "
        "only (docs/serving.md: at 500 ms on 2 cores, the flood of refusals starved the model).",
    )

    max_inputs: int = Field(
        MAX_INPUTS, ge=1, le=MAX_INPUTS_CEILING, description="Most inputs in one request."
    )
    max_steps: int = Field(
        MAX_STEPS,
        ge=1,
        le=MAX_STEPS_CEILING,
        description="Most encoded steps (characters, words, frames) per input.",
    )
    max_body_bytes: int = Field(
        MAX_BODY_BYTES, ge=1, description="Largest request body (and UI upload) in bytes."
    )

    api_key: SecretStr | None = Field(
        None,
        description="When set, prediction routes and the UI need 'Authorization: Bearer <key>' "
        "(people in a browser log in with it).",
    )

    @field_validator("models", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        return split_specs(value)

    @field_validator("api_key")
    @classmethod
    def _refuse_empty_key(cls, value: SecretStr | None) -> SecretStr | None:
        # An empty key would lock every client out while looking configured; say so early.
        if value is not None and not value.get_secret_value().strip():
            raise ValueError(EMPTY_KEY)
        return value

    @model_validator(mode="after")
    def _queue_holds_a_request(self) -> ServiceSettings:
        # A request larger than the queue could never run; retrying (what 503 asks) would not help.
        if self.max_queue < self.max_inputs:
            raise ValueError(
                f"max_queue ({self.max_queue}, SEQCLF_MAX_QUEUE) must be at least "
                f"max_inputs ({self.max_inputs}, SEQCLF_MAX_INPUTS)"
            )
        return self

    @property
    def limits(self) -> Limits:
        """What one request may ask of a model (:mod:`seqclf.inference.requests`)."""
        return Limits(max_inputs=self.max_inputs, max_steps=self.max_steps)

    @property
    def max_wait_s(self) -> float:
        return self.max_wait_ms / 1000

    @property
    def max_queue_wait_s(self) -> float | None:
        return None if self.max_queue_wait_ms is None else self.max_queue_wait_ms / 1000
