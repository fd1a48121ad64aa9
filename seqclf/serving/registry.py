"""Which models the service holds: loading them (see :mod:`seqclf.network.sources` for naming them), describing them.

Models load before the server accepts connections, so a typo in a path fails the
start with a clear message instead of a server that answers 404 for everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from seqclf.errors import ConfigError, ModelLoadError
from seqclf.inference.batcher import DynamicBatcher
from seqclf.inference.predictor import Predictor
from seqclf.modalities import Modality
from seqclf.network.sources import ModelSpec, discover
from seqclf.serving.settings import ServiceSettings


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
        return self.predictor.modality

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "task": self.predictor.task,
            "input": self.modality.name,
            "labels": list(self.predictor.labels),
            "source": self.spec.source,
            "revision": self.spec.revision,
        }


def load_models(settings: ServiceSettings) -> dict[str, ServedModel]:
    """Load every configured model (or every folder under ``models_dir``) with its batcher."""
    specs = [ModelSpec.parse(text) for text in settings.models] or discover(settings.models_dir)
    if not specs:
        # seqclf installed from a wheel ships no models: say the command that puts one here
        place = settings.models_dir / "NAME"
        raise ModelLoadError(
            f"no models to serve: {settings.models_dir} holds no model folders. Put one there with "
            f"`seqclf pull OWNER/REPO --out {place}` (a model published with `seqclf push`) or "
            f"`seqclf train TASK --data DATA --out {place}`, then serve again; or name one with "
            "--model ID=PATH_OR_REPO[@REVISION]."
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
            max_queue_wait_s=settings.max_queue_wait_s,
        )
        served[spec.id] = ServedModel(spec, predictor, batcher)
    return served
