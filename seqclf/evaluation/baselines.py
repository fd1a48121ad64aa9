"""The seconds-long baseline a practitioner runs first, fitted and scored beside every model.

A recurrent network is worth its training time only if it beats what a practitioner
would try first on the same data. So each training run also fits that model on the same
training part and scores it on the same test part, and the log, the model card and
``seqclf evaluate`` show the two side by side:

- **text**: TF-IDF n-grams and logistic regression (scikit-learn): word 1-2 grams for
  sentences, character 1-4 grams within word boundaries for short strings read character
  by character (surnames, codes). The regularisation ``C`` is chosen on the validation
  part, as the network's early stopping is, from a grid of four tried from ``C=1``
  outwards while the time budget lasts. On more than :data:`TEXT_SAMPLE` training texts it
  is fitted on that many drawn at random, and the method says so.
- **audio**: the model's own frames (MFCC + deltas) pooled over time (mean, standard
  deviation, minimum and maximum of each coefficient), standardised, and logistic
  regression, ``C`` chosen the same way.
- **series**: MiniRocket (Dempster, Schmidt & Webb, 2021, "MINIROCKET: A Very Fast (Almost)
  Deterministic Transform for Time Series Classification") for series of one length, and
  the nearest neighbour under dynamic time warping with a 10% window otherwise, both from
  aeon (the ``baseline`` extra; without it the run says the baseline was not run). DTW's
  cost grows with the square of the length and with train x test; when a timed sample
  says it would take more than its budget, the series are resampled to their median
  length and MiniRocket runs instead, and the method says so.

A baseline gets a budget, a tenth of the network's training time (:data:`BUDGET_SHARE`),
or a second if that is more (:func:`budget`): it must never make a run noticeably slower. The figures come from
:func:`seqclf.evaluation.metrics.classification_metrics`, the function that scores the network.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from seqclf.data.splits import Examples, Splits
from seqclf.encoders import CharEncoder, Encoder, WordEncoder
from seqclf.encoders.audio import AudioEncoder
from seqclf.encoders.features import FeatureEncoder
from seqclf.evaluation.metrics import classification_metrics
from seqclf.record import BaselineResult

#: the most of the network's training time a baseline may take, and a floor under which no
#: one waits for it
BUDGET_SHARE = 0.1
MIN_BUDGET_SECONDS = 1.0
#: the logistic regressions' inverse regularisation strengths tried on the validation part
C_GRID = (0.1, 1.0, 10.0, 100.0)
#: the most training (and validation) texts TF-IDF is fitted on, and scored texts it transforms at
#: once: its n-gram vocabulary and sparse matrices grow with the rows (millions of texts on disk
#: would need gigabytes)
TEXT_SAMPLE = 200_000
#: the DTW window, a fraction of the series' length (the UCR archive's customary 10%)
DTW_WINDOW = 0.1
#: pairs of series timed to estimate what 1-NN DTW over the whole test part would cost
DTW_SAMPLE_PAIRS = 8


def budget(train_seconds: float) -> float:
    """The seconds a baseline may take beside a network trained in ``train_seconds``."""
    return max(BUDGET_SHARE * train_seconds, MIN_BUDGET_SECONDS)


def fit_baseline(
    encoder: Encoder,
    splits: Splits,
    scored: Examples,
    labels: Sequence[str],
    budget_seconds: float,
    sequences: tuple[list[torch.Tensor], list[torch.Tensor], list[torch.Tensor]] | None = None,
) -> BaselineResult:
    """Fit the baseline for ``encoder``'s kind of input on ``splits.train``; score it on ``scored``.

    ``scored`` is the test part at training time, any part for ``seqclf evaluate``.
    ``sequences`` are the encoder's tensors of train, validation and ``scored``, when the
    run has them already (audio frames); otherwise the encoder is applied here.
    """
    parts = (splits.train, splits.validation, scored)
    started = time.perf_counter()
    if isinstance(encoder, AudioEncoder):
        frames = sequences or tuple([encoder.encode(x) for x in part.inputs] for part in parts)
        method, predicted = _pooled_frames(parts, frames, budget_seconds)
    elif isinstance(encoder, FeatureEncoder):
        chosen = _series(parts, budget_seconds)
        if isinstance(chosen, str):
            return BaselineResult(chosen)
        method, predicted = chosen
    elif isinstance(encoder, CharEncoder | WordEncoder):
        method, predicted = _tfidf(parts, isinstance(encoder, CharEncoder), budget_seconds)
    else:
        return BaselineResult(f"not run: seqclf has no baseline for {encoder.modality_name} inputs")
    index = {label: i for i, label in enumerate(labels)}
    report = classification_metrics(
        [index[y] for y in scored.labels], [index[y] for y in predicted], list(labels)
    )
    return BaselineResult(method, report["accuracy"], report["macro_f1"], time.perf_counter() - started)


#: the training, validation and scored examples
Parts = tuple[Examples, Examples, Examples]


def _macro_f1(true: Sequence[str], predicted: Sequence[str]) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(true, predicted, average="macro", zero_division=0))


def _logistic_regression(
    train: Any, train_labels: list[str], validation: Any, validation_labels: list[str], budget_seconds: float
) -> tuple[Any, str]:
    """Logistic regression with ``C`` chosen on the validation part (macro-F1; ties: the smaller C).

    The grid is tried from the customary ``C=1`` outwards, and the search stops before a fit
    that the fits so far say would overrun ``budget_seconds``; the method says so.
    """
    from sklearn.linear_model import LogisticRegression

    order = sorted(C_GRID, key=lambda c: (abs(np.log10(c)), c))
    started = time.perf_counter()
    best: tuple[float, float, Any] | None = None
    for tried, c in enumerate(order):
        elapsed = time.perf_counter() - started
        if best is not None and elapsed / tried * (tried + 1) > budget_seconds:
            return best[2], f"C={best[1]:g}, chosen on validation from {tried} of {len(order)} (time budget)"
        model = LogisticRegression(C=c, max_iter=2000).fit(train, train_labels)
        score = _macro_f1(validation_labels, model.predict(validation))
        if best is None or score > best[0] or (score == best[0] and c < best[1]):
            best = (score, c, model)
    assert best is not None
    return best[2], f"C={best[1]:g}, chosen on validation"


def _tfidf(parts: Parts, characters: bool, budget_seconds: float) -> tuple[str, list[str]]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    if characters:
        vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True)
        what = "TF-IDF character 1-4 grams"
    else:
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
        what = "TF-IDF word 1-2 grams"
    train, validation, scored = parts
    sampled = len(train) > TEXT_SAMPLE
    train, validation = (_sample(part, TEXT_SAMPLE) for part in (train, validation))
    model, chosen = _logistic_regression(
        vectorizer.fit_transform(train.inputs),
        train.labels,
        vectorizer.transform(validation.inputs),
        validation.labels,
        budget_seconds,
    )
    predicted = [
        label
        for start in range(0, len(scored), TEXT_SAMPLE)
        for label in model.predict(vectorizer.transform(scored.inputs[start : start + TEXT_SAMPLE])).tolist()
    ]
    if sampled:
        chosen += f"; fitted on {TEXT_SAMPLE:,} training examples drawn at random"
    return f"{what} + logistic regression ({chosen})", predicted


def _sample(examples: Examples, size: int) -> Examples:
    """``size`` of ``examples`` drawn at random (seed 0), in their order; all of them if no more."""
    if len(examples) <= size:
        return examples
    return examples.subset(np.sort(np.random.default_rng(0).choice(len(examples), size, replace=False)))


def pooled(frames: torch.Tensor) -> np.ndarray:
    """One recording's frames as a fixed-size vector: each coefficient's mean, std, min and max."""
    x = frames.double()
    return torch.cat([x.mean(0), x.std(0, correction=0), x.amin(0), x.amax(0)]).numpy()


def _pooled_frames(
    parts: Parts, frames: tuple[list[torch.Tensor], ...], budget_seconds: float
) -> tuple[str, list[str]]:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    train, validation, scored = (np.stack([pooled(f) for f in part]) for part in frames)
    scaler = StandardScaler().fit(train)
    model, chosen = _logistic_regression(
        scaler.transform(train),
        parts[0].labels,
        scaler.transform(validation),
        parts[1].labels,
        budget_seconds,
    )
    predicted = make_pipeline(scaler, model).predict(scored).tolist()
    return f"MFCC frames pooled (mean, std, min, max) + logistic regression ({chosen})", predicted


def _aeon_layout(cases: Sequence[np.ndarray]) -> list[np.ndarray]:
    """seqclf's (steps, channels) cases as aeon's (channels, steps)."""
    return [np.ascontiguousarray(np.asarray(case, dtype=np.float64).T) for case in cases]


def _resampled(cases: list[np.ndarray], length: int) -> np.ndarray:
    """(channels, steps) cases of any lengths, linearly resampled to ``length`` steps: (n, channels, length)."""
    out = np.empty((len(cases), cases[0].shape[0], length))
    target = np.linspace(0.0, 1.0, length)
    for i, case in enumerate(cases):
        source = np.linspace(0.0, 1.0, case.shape[1])
        for channel in range(case.shape[0]):
            out[i, channel] = np.interp(target, source, case[channel])
    return out


def _series(parts: Parts, budget_seconds: float) -> tuple[str, list[str]] | str:
    """MiniRocket for one length, 1-NN DTW for several (MiniRocket on resampled series past the budget)."""
    try:
        from aeon.classification.convolution_based import MiniRocketClassifier
        from aeon.classification.distance_based import KNeighborsTimeSeriesClassifier
    except ImportError:
        return "not run: the series baseline needs aeon (pip install 'seqclf[baseline]')"
    train, test = _aeon_layout(parts[0].inputs), _aeon_layout(parts[2].inputs)
    train_labels = np.asarray(parts[0].labels)
    lengths = {case.shape[1] for case in train + test}
    minirocket = MiniRocketClassifier(random_state=0, n_jobs=1)
    if len(lengths) == 1:
        minirocket.fit(np.stack(train), train_labels)
        return "MiniRocket (aeon)", minirocket.predict(np.stack(test)).tolist()
    dtw = KNeighborsTimeSeriesClassifier(
        n_neighbors=1, distance="dtw", distance_params={"window": DTW_WINDOW}, n_jobs=1
    )
    dtw.fit(train, train_labels)
    if _dtw_seconds(train, test) <= budget_seconds:
        return f"1-NN DTW, window {DTW_WINDOW:.0%} (aeon)", dtw.predict(test).tolist()
    median = int(np.median([case.shape[1] for case in train]))
    minirocket.fit(_resampled(train, median), train_labels)
    return (
        f"MiniRocket (aeon) on series resampled to {median} steps (1-NN DTW would exceed its time budget)",
        minirocket.predict(_resampled(test, median)).tolist(),
    )


def _dtw_seconds(train: list[np.ndarray], test: list[np.ndarray]) -> float:
    """What 1-NN DTW over ``test`` against ``train`` would take, from a few timed pairs."""
    from aeon.distances import dtw_distance

    rng = np.random.default_rng(0)
    pairs = [
        (train[rng.integers(len(train))], test[rng.integers(len(test))]) for _ in range(DTW_SAMPLE_PAIRS)
    ]
    dtw_distance(pairs[0][0], pairs[0][1], window=DTW_WINDOW)  # compiled on first use, not timed
    started = time.perf_counter()
    for a, b in pairs:
        dtw_distance(a, b, window=DTW_WINDOW)
    return (time.perf_counter() - started) / len(pairs) * len(train) * len(test)


def comparison(accuracy: float, macro_f1: float, seconds: float, baseline: BaselineResult) -> list[str]:
    """The model and its baseline side by side, as the training log and ``seqclf evaluate`` print them."""
    if not baseline.ran:
        return [f"baseline: {baseline.method}"]
    rows = [
        ("this model", accuracy, macro_f1, seconds),
        ("baseline", baseline.accuracy, baseline.macro_f1, baseline.seconds),
    ]
    lines = [f"{'':12}{'accuracy':>10}{'macro-F1':>10}{'seconds':>10}"]
    lines += [f"{name:12}{acc:10.4f}{f1:10.4f}{secs:10.1f}" for name, acc, f1, secs in rows]
    return [*lines, f"baseline: {baseline.method}"]
