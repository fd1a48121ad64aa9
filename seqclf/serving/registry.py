"""Which models the service holds: parsing ``ID=PATH_OR_REPO[@REVISION]``, loading, describing.

Models load before the server accepts connections, so a typo in a path fails the
start with a clear message instead of a server that answers 404 for everything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seqclf.encoders.base import Modality
from seqclf.errors import ConfigError, ModelLoadError
from seqclf.predictor import Predictor
from seqclf.pretrained import CONFIG_NAME
from seqclf.serving.batcher import DynamicBatcher
from seqclf.serving.settings import ServiceSettings

_MODEL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class ModelSpec:
    """A model to serve: its id in URLs, where it comes from, and the Hub revision."""

    id: str
    source: str
    revision: str | None = None

    @classmethod
    def parse(cls, text: str) -> ModelSpec:
        """Parse ``ID=PATH_OR_REPO[@REVISION]``; an existing local path keeps any ``@``."""
        model_id, sep, source = text.partition("=")
        if not sep or not source:
            raise ConfigError(
                f"--model {text!r}: expected ID=PATH_OR_REPO[@REVISION], e.g. names=models/names"
            )
        revision = None
        if "@" in source and not Path(source).exists():
            source, revision = source.rsplit("@", 1)
            if not source or not revision:
                raise ConfigError(f"--model {text!r}: both a source and a revision are needed around '@'")
        return cls(check_model_id(model_id), source, revision)


def check_model_id(model_id: str) -> str:
    if not _MODEL_ID.match(model_id):
        raise ConfigError(
            f"model id {model_id!r} must be 1-64 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit (it becomes part of URLs)"
        )
    return model_id


def discover(models_dir: Path) -> list[ModelSpec]:
    """Every model folder directly under ``models_dir``, named by its folder."""
    if not models_dir.is_dir():
        return []
    return [
        ModelSpec(check_model_id(folder.name), str(folder))
        for folder in sorted(models_dir.iterdir())
        if (folder / CONFIG_NAME).is_file()
    ]


@dataclass
class ServedModel:
    """A loaded model with its batcher; ``describe`` is its entry in ``GET /v1/models``."""

    spec: ModelSpec
    predictor: Predictor
    batcher: DynamicBatcher = field(repr=False)

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def modality(self) -> Modality:
        return self.predictor.encoder.modality

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "task": self.predictor.task,
            "input": self.modality,
            "labels": list(self.predictor.labels),
            "source": self.spec.source,
            "revision": self.spec.revision,
        }


def load_models(settings: ServiceSettings) -> dict[str, ServedModel]:
    """Load every configured model (or every folder under ``models_dir``) with its batcher."""
    specs = [ModelSpec.parse(text) for text in settings.models] or discover(settings.models_dir)
    if not specs:
        raise ModelLoadError(
            f"no models to serve: {settings.models_dir} holds no model folders. "
            "Train one with `seqclf train`, or pass --model ID=PATH_OR_REPO[@REVISION]."
        )
    duplicates = sorted({s.id for s in specs if [t.id for t in specs].count(s.id) > 1})
    if duplicates:
        raise ConfigError(f"model ids must be unique; repeated: {', '.join(duplicates)}")
    served = {}
    for spec in specs:
        predictor = Predictor.from_pretrained(spec.source, revision=spec.revision, device=settings.device)
        batcher = DynamicBatcher(
            predictor.probabilities,
            max_batch_size=settings.max_batch_size,
            max_wait_s=settings.max_wait_s,
            max_queue=settings.max_queue,
            name=spec.id,
        )
        served[spec.id] = ServedModel(spec, predictor, batcher)
    return served
