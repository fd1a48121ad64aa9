"""The exceptions seqclf raises for mistakes a user can fix.

Each message says what was wrong and what to do; the CLI, the service and the UI
catch :class:`SeqclfError` and show the message instead of a traceback.
"""


class SeqclfError(Exception):
    """Base class for errors caused by inputs, files or settings rather than bugs."""


class ConfigError(SeqclfError, ValueError):
    """A configuration value that cannot build a model or run training."""


class InvalidInputError(SeqclfError, ValueError):
    """An input to predict that the model's encoder cannot accept."""


class ModelLoadError(SeqclfError):
    """A model folder or repo that is missing, not a seqclf model, or inconsistent."""


class DataError(SeqclfError, ValueError):
    """Training or evaluation data that is missing or not in the expected format.

    A ``ValueError`` too, as scikit-learn's checks and callers expect of bad data
    (:class:`seqclf.RecurrentClassifier`).
    """


class HubError(SeqclfError):
    """The Hugging Face Hub could not be reached, or refused a request (e.g. a push)."""
