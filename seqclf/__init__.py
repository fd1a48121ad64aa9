"""seqclf: bidirectional recurrent sequence classifiers, trained properly, published and served."""

from importlib.metadata import version

__version__ = version("seqclf")  # pyproject.toml's, the one place it is written

from seqclf.config import ModelConfig
from seqclf.errors import ConfigError, InvalidInputError, ModelLoadError, SeqclfError
from seqclf.inference.predictor import Predictor
from seqclf.network.ensemble import EnsembleClassifier
from seqclf.network.model import SequenceClassifier
from seqclf.training.fit import fit

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
