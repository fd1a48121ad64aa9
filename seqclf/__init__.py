"""seqclf: bidirectional recurrent sequence classifiers, trained properly, published and served."""

from typing import Any

from seqclf.config import ModelConfig
from seqclf.errors import ConfigError, InvalidInputError, ModelLoadError, SeqclfError
from seqclf.inference.predictor import Predictor
from seqclf.install import VERSION as __version__
from seqclf.network.ensemble import EnsembleClassifier
from seqclf.network.model import SequenceClassifier
from seqclf.training.fit import fit


def __getattr__(name: str) -> Any:
    """``seqclf.RecurrentClassifier`` imported when first used: it needs scikit-learn, which the
    serving image leaves out (Dockerfile), and ``import seqclf`` must work there."""
    if name == "RecurrentClassifier":
        from seqclf.training.estimator import RecurrentClassifier

        return RecurrentClassifier
    raise AttributeError(f"module 'seqclf' has no attribute {name!r}")


__all__ = [
    "ConfigError",
    "EnsembleClassifier",
    "InvalidInputError",
    "ModelConfig",
    "ModelLoadError",
    "Predictor",
    "RecurrentClassifier",
    "SeqclfError",
    "SequenceClassifier",
    "__version__",
    "fit",
]
