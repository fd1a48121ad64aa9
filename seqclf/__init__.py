"""seqclf: bidirectional recurrent sequence classifiers, trained properly, published and served."""

from seqclf.config import ModelConfig
from seqclf.errors import ConfigError, InvalidInputError, ModelLoadError, SeqclfError
from seqclf.inference.predictor import Predictor
from seqclf.install import VERSION as __version__
from seqclf.network.ensemble import EnsembleClassifier
from seqclf.network.model import SequenceClassifier
from seqclf.training.estimator import RecurrentClassifier
from seqclf.training.fit import fit

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
