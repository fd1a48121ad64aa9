"""seqclf: bidirectional recurrent sequence classifiers, trained properly, published and served."""

__version__ = "0.1.0"

from seqclf.config import ModelConfig
from seqclf.ensemble import EnsembleClassifier
from seqclf.errors import ConfigError, InvalidInputError, ModelLoadError, SeqclfError
from seqclf.fit import fit
from seqclf.model import SequenceClassifier
from seqclf.predictor import Predictor

__all__ = [
    "ConfigError",
    "EnsembleClassifier",
    "InvalidInputError",
    "ModelConfig",
    "ModelLoadError",
    "Predictor",
    "SeqclfError",
    "SequenceClassifier",
    "__version__",
    "fit",
]
