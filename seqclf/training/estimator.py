"""``seqclf.RecurrentClassifier``: seqclf as a scikit-learn estimator.

aeon, sktime and tslearn users, and anyone with a scikit-learn pipeline, expect
``fit``/``predict``/``predict_proba``/``score``/``get_params``/``set_params``, so that
``cross_val_score``, ``GridSearchCV`` and ``Pipeline`` take the model like any other.
The estimator is a shell over the run :func:`seqclf.fit` and ``seqclf train`` make
(:func:`seqclf.training.run.run_training`): the same recipe, chosen from the data, and
the same model folder, written by :meth:`RecurrentClassifier.save` and read back by
:meth:`RecurrentClassifier.from_pretrained`.

Its hyperparameters are the fields of :class:`~seqclf.config.ModelConfig` and
:class:`~seqclf.config.TrainConfig` a user may set, and the reader's ``tokens``,
``word_vectors`` and ``patch``; each defaults to None, which leaves the choice to the
recipe (so ``get_params`` shows what was asked for; what was chosen is in
``pretrained_.model.config`` and the ``training`` record). Unlike ``seqclf.fit``, it holds
out no test part: a scikit-learn user scores on data of their own (``cross_val_score``,
``score``), so everything given to ``fit`` trains the model except the per-class
validation part early stopping watches (as ``MLPClassifier(early_stopping=True)`` does;
a cross-validated ensemble, the recipe's choice for small data, keeps none out).

Inputs by task: ``text``, a sequence of strings; ``audio``, what :func:`seqclf.fit` takes
(paths, WAV bytes, ``{"array", "sampling_rate"}`` dicts); ``series``, aeon's layouts: a
3-D array ``(n_cases, n_channels, n_timepoints)``, a list of 2-D ``(n_channels,
n_timepoints)`` arrays of any lengths, or a 2-D array ``(n_cases, n_timepoints)`` of
univariate series (scikit-learn's own ``X``) -- or a list of 1-D arrays.
"""

from __future__ import annotations

import inspect
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d, validate_data

from seqclf.config import ModelConfig, TrainConfig, setting_names
from seqclf.data.splits import Examples
from seqclf.errors import ConfigError
from seqclf.inference.predictor import Predictor, resolve_device
from seqclf.network.pretrained import PretrainedClassifier
from seqclf.tasks import own_data_tasks
from seqclf.training.fit import READER_OPTIONS
from seqclf.training.run import check_out, run_training, write_model

#: what ``RecurrentClassifier(...)`` takes besides ``task``, ``device`` and ``verbose``
HYPERPARAMETERS = (*setting_names(ModelConfig), *setting_names(TrainConfig), *READER_OPTIONS)


class RecurrentClassifier(ClassifierMixin, BaseEstimator):
    """A bidirectional recurrent classifier of texts, recordings or time series, for scikit-learn.

    >>> clf = seqclf.RecurrentClassifier("series", epochs=30).fit(X_train, y_train)
    >>> clf.score(X_test, y_test)

    After ``fit``: ``classes_`` (the labels of ``y``, sorted), ``pretrained_`` (the model,
    its encoder and training record), ``history_`` (one row per epoch: losses, validation
    accuracy and macro-F1, learning rate; ``pandas.DataFrame(clf.history_)``) and, for 2-D
    ``X``, ``n_features_in_``.
    """

    def __init__(self, task: str = "series", **hyperparameters: Any) -> None:
        # The signature scikit-learn reads (get_params, clone) is set below, one keyword per
        # hyperparameter; storing them unvalidated is scikit-learn's rule (fit checks them).
        extra = {"device": None, "verbose": False}
        unknown = sorted(set(hyperparameters) - set(HYPERPARAMETERS) - set(extra))
        if unknown:
            raise TypeError(f"RecurrentClassifier got unexpected keyword argument(s) {', '.join(unknown)}")
        self.task = task
        for name, default in {**dict.fromkeys(HYPERPARAMETERS), **extra}.items():
            setattr(self, name, hyperparameters.get(name, default))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        series = self.task == "series"
        tags.input_tags.two_d_array = series
        tags.input_tags.three_d_array = series
        tags.input_tags.string = self.task == "text"
        tags.non_deterministic = False
        return tags

    def _overrides(self) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        given = {name: getattr(self, name) for name in HYPERPARAMETERS if getattr(self, name) is not None}
        model = {k: v for k, v in given.items() if k in setting_names(ModelConfig)}
        train = {k: v for k, v in given.items() if k in setting_names(TrainConfig)}
        return model, train, {k: v for k, v in given.items() if k in READER_OPTIONS}

    def fit(self, X: Any, y: Any) -> RecurrentClassifier:
        """Train on all of ``X`` and ``y`` but the per-class validation part early stopping watches."""
        if self.task not in own_data_tasks():
            raise ConfigError(f"RecurrentClassifier trains {', '.join(own_data_tasks())}; got {self.task!r}")
        inputs = self._inputs(X, reset=True)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if len(y) != len(inputs):
            raise ValueError(f"X has {len(inputs)} examples but y has {len(y)} labels")
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(f"y has one class ({classes[0]!r}): a classifier needs two classes or more")
        names = [str(c) for c in classes]
        if len(set(names)) < len(names):
            raise ValueError(f"labels {list(classes)} are not told apart by their text: give y of one type")
        model, train, options = self._overrides()
        pretrained = run_training(
            self.task,
            Examples(inputs, [str(label) for label in y]),
            None,
            model=model,
            train=train,
            reader_options={**options, "test": 0},
            command=f"seqclf.{self!r}.fit(X, y)",
            device=resolve_device(self.device) if self.device else torch.device("cpu"),
            log=print if self.verbose else _quiet,
            baseline=False,
        )
        self.classes_ = classes
        self._set_model(pretrained)
        return self

    def _set_model(self, pretrained: PretrainedClassifier) -> None:
        self.pretrained_ = pretrained
        self._predictor = Predictor(pretrained)  # made once, not per predict_proba call
        self.history_ = pretrained.training.history if pretrained.training else []
        # the network's label order (sorted text) to classes_'s (sorted values: 2 before 10)
        self._columns = [pretrained.labels.index(str(c)) for c in self.classes_]

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, one column per label of ``classes_`` in its order."""
        check_is_fitted(self)
        inputs = self._inputs(X, reset=False)
        probabilities = self._predictor.probabilities(self._predictor.encode(inputs)).cpu().numpy()
        return probabilities[:, self._columns]

    def predict(self, X: Any) -> np.ndarray:
        probabilities = self.predict_proba(X)  # checks first that fit has run
        return self.classes_[probabilities.argmax(axis=1)]

    def save(self, folder: str | Path, overwrite: bool = False) -> Path:
        """Write the fitted model as a seqclf model folder (config, weights, card), as ``seqclf train`` does.

        A folder already holding files (a project's own README.md, say) is refused unless
        ``overwrite``, as ``seqclf train --out`` refuses it.
        """
        check_is_fitted(self)
        check_out(Path(folder), overwrite)
        write_model(self.pretrained_, Path(folder))
        return Path(folder)

    @classmethod
    def from_pretrained(
        cls, name_or_path: str | Path, revision: str | None = None, device: str | None = None
    ) -> RecurrentClassifier:
        """A fitted estimator from a model folder or Hub repo, whatever trained it.

        Its hyperparameters are the ones the folder records; ``classes_`` are the model's
        labels, as text (a folder keeps labels as strings, whatever type ``y`` had).
        """
        pretrained = PretrainedClassifier.from_pretrained(name_or_path, revision, resolve_device(device))
        recorded = {**pretrained.model.config.to_dict()}
        if pretrained.training is not None:
            recorded.update(pretrained.training.hyperparameters)
        kept = {k: v for k, v in recorded.items() if k in HYPERPARAMETERS}
        estimator = cls(pretrained.task, device=device, **kept)
        estimator.classes_ = np.array(sorted(pretrained.labels))
        estimator._set_model(pretrained)
        return estimator

    def _inputs(self, X: Any, reset: bool) -> list[Any]:
        """``X`` as the task's examples: strings, recordings, or ``(steps, channels)`` float arrays.

        A fitted model's encoder says what it reads (a loaded built-in model too: ``names``
        reads text, ``vowels`` series); before fitting, the task does.
        """
        fitted = getattr(self, "pretrained_", None)
        kind = fitted.encoder.modality_name if fitted is not None else self.task
        if kind in ("series", "features"):
            return self._series(X, reset)
        if isinstance(X, str | bytes):
            raise ValueError(f"X is one {type(X).__name__}: give a list of examples, e.g. [X]")
        X = _one_column(X)
        if isinstance(X, np.ndarray) and X.ndim != 1:
            raise ValueError(f"{kind} takes a 1-D sequence of examples, got an array of shape {X.shape}")
        inputs = list(X)
        if kind == "text" and not all(isinstance(x, str) for x in inputs):
            raise ValueError("text takes a sequence of strings")
        if not inputs:
            raise ValueError("X holds no examples (0 samples)")
        return inputs

    def _series(self, X: Any, reset: bool) -> list[np.ndarray]:
        if not isinstance(X, list | tuple | np.ndarray) and hasattr(X, "__array__"):
            X = np.asarray(X)  # an array-like: a wide DataFrame, a matrix
        if isinstance(X, np.ndarray) and X.dtype != object and X.ndim == 3:
            cases = check_array(X, allow_nd=True, dtype=np.float32)
            return [case.T for case in cases]
        if scipy.sparse.issparse(X) or (isinstance(X, np.ndarray) and X.dtype != object):
            # scikit-learn's own checks and messages: 2-D only, no sparse, no NaN, no 1-D X
            rows = validate_data(self, X, reset=reset, dtype=np.float32)
            return [row[:, None] for row in rows]
        series = []
        for i, item in enumerate(X):
            values = np.asarray(item)
            if values.ndim not in (1, 2):
                raise ValueError(f"series {i}: give a 1-D array or a 2-D (channels, timepoints) one")
            if values.ndim == 2 and values.shape[0] > values.shape[1] and not series:
                warnings.warn(
                    f"series 0 is {values.shape[0]} channels by {values.shape[1]} timepoints: the estimator "
                    "takes aeon's (channels, timepoints); transpose arrays in seqclf.fit's (steps, channels)",
                    stacklevel=3,
                )
            # (channels, timepoints), aeon's layout, as (timepoints, channels), seqclf's
            series.append(check_array(np.atleast_2d(values).T, dtype=np.float32, input_name=f"series {i}"))
        if not series:
            raise ValueError("X holds no series (0 samples)")
        return series


def _one_column(X: Any) -> Any:
    """A one-column DataFrame's column (a table of texts or paths); other DataFrames are refused."""
    columns = getattr(X, "columns", None)
    if columns is None:
        return X
    if len(columns) != 1:
        raise ValueError(f"X is a table of {len(columns)} columns: give the one holding the inputs, X['...']")
    return X[columns[0]]


def _quiet(line: str) -> None:
    """The log of a run nobody asked to see (``verbose=False``)."""


RecurrentClassifier.__init__.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
    [
        inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter("task", inspect.Parameter.POSITIONAL_OR_KEYWORD, default="series", annotation=str),
        *(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None) for name in HYPERPARAMETERS),
        inspect.Parameter("device", inspect.Parameter.KEYWORD_ONLY, default=None),
        inspect.Parameter("verbose", inspect.Parameter.KEYWORD_ONLY, default=False),
    ]
)
