"""Every own-data run reports the practitioner's baseline beside the model, with true figures.

Two made-up text problems, each with the reported figures checked against a direct
computation (the model's by :meth:`Predictor.predict`, the baseline's by scikit-learn
called here):

- **word order**: every text holds the same two marker words among the same filler, and
  the label is which marker comes first. A bag of words and adjacent word pairs carry no
  trace of it, so TF-IDF + logistic regression stays near chance; a recurrent network
  reads the order. The model must win.
- **a word anywhere**: the label is whether one of ten cue words occurs. TF-IDF +
  logistic regression gets it at once; a network given one epoch at a tiny learning
  rate has not learnt anything yet. The baseline must win.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from tolerances import SAME_METRIC
from typer.testing import CliRunner

import seqclf
from seqclf.cli import app
from seqclf.data.splits import Examples, Splits
from seqclf.encoders import CharEncoder, WordEncoder
from seqclf.evaluation.baselines import C_GRID, comparison, fit_baseline, pooled
from seqclf.record import BaselineResult

FILLER = [f"w{i}" for i in range(12)]


def word_order(n: int, seed: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    texts, labels = [], []
    for i in range(n):
        words = rng.sample(FILLER, 8)
        first, second = ("alpha", "omega") if i % 2 else ("omega", "alpha")
        a, b = sorted(rng.sample(range(1, 8), 2))
        words.insert(a, first)
        words.insert(b + 1, second)
        texts.append(" ".join(words))
        labels.append("alpha-first" if i % 2 else "omega-first")
    return texts, labels


def word_anywhere(n: int, seed: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    cues = [f"cue{i}" for i in range(10)]
    texts, labels = [], []
    for i in range(n):
        words = rng.sample(FILLER, 6)
        if i % 2:
            words.insert(rng.randrange(7), rng.choice(cues))
        texts.append(" ".join(words))
        labels.append("cue" if i % 2 else "none")
    return texts, labels


def direct_tfidf_accuracy(train, validation, test) -> float:
    """TF-IDF word 1-2 grams + logistic regression, C chosen on validation macro-F1: by hand."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    x = vectorizer.fit_transform(train[0])
    fitted = [LogisticRegression(C=c, max_iter=2000).fit(x, train[1]) for c in C_GRID]
    scores = [
        f1_score(validation[1], m.predict(vectorizer.transform(validation[0])), average="macro")
        for m in fitted
    ]
    best = fitted[int(np.argmax(scores))]  # the first of equal scores: the smaller C
    return float(accuracy_score(test[1], best.predict(vectorizer.transform(test[0]))))


def model_accuracy(predictor: seqclf.Predictor, test: tuple[list[str], list[str]]) -> float:
    predicted = [p[0]["label"] for p in predictor.predict(test[0], top_k=1)]
    return float(np.mean([p == y for p, y in zip(predicted, test[1], strict=True)]))


def train_on(problem, tmp_path: Path, **settings) -> tuple[seqclf.Predictor, tuple, list[str]]:
    texts, labels = problem(240, seed=0)
    test = problem(120, seed=1)
    logs: list[str] = []
    predictor = seqclf.fit(
        "text", texts, labels, out=tmp_path / "m", test=test, log=logs.append, ensemble=1, **settings
    )
    return predictor, test, logs


def assert_reported_truly(predictor: seqclf.Predictor, test: tuple, logs: list[str]) -> BaselineResult:
    training = predictor.pretrained.training
    baseline = training.baseline
    assert baseline is not None and baseline.ran
    # the model's figure is what it predicts now
    assert training.test["accuracy"] == pytest.approx(model_accuracy(predictor, test), abs=SAME_METRIC)
    # the baseline's is what scikit-learn gives on the same split, called directly
    splits = predictor.pretrained.training.split
    assert splits["sizes"]["test"] == len(test[0])
    # the log and the card show both
    rows = {line.split()[0]: line.split() for line in logs if line.startswith(("this model", "baseline  "))}
    assert rows["this"][2:4] == [f"{training.test['accuracy']:.4f}", f"{training.test['macro_f1']:.4f}"]
    assert rows["baseline"][1:3] == [f"{baseline.accuracy:.4f}", f"{baseline.macro_f1:.4f}"]
    card = (Path(training.out) / "README.md").read_text(encoding="utf-8")
    assert f"| baseline: {baseline.method} | {baseline.accuracy:.4f} |" in card
    assert f"| this model | {training.test['accuracy']:.4f} |" in card
    return baseline


def rebuilt_parts(predictor: seqclf.Predictor, problem) -> tuple[tuple, tuple]:
    """The training and validation parts the run used, rebuilt from the recorded split."""
    from seqclf.tasks import get_task

    texts, labels = problem(240, seed=0)
    test = problem(120, seed=1)
    split = {**predictor.pretrained.training.split, "test_examples": Examples(*test)}
    splits = get_task("text").load_splits(Examples(texts, labels), split)
    return (splits.train.inputs, splits.train.labels), (splits.validation.inputs, splits.validation.labels)


@pytest.mark.slow  # trains a network for a few seconds
def test_the_model_wins_where_order_matters_and_the_figures_are_true(tmp_path: Path) -> None:
    predictor, test, logs = train_on(word_order, tmp_path, epochs=30, hidden_size=32, lr=1e-2)
    baseline = assert_reported_truly(predictor, test, logs)
    train, validation = rebuilt_parts(predictor, word_order)
    assert baseline.accuracy == pytest.approx(direct_tfidf_accuracy(train, validation, test), abs=SAME_METRIC)
    assert baseline.method.startswith("TF-IDF word 1-2 grams + logistic regression")
    assert baseline.accuracy <= 0.65  # the order is invisible to it
    assert predictor.pretrained.training.test["accuracy"] >= 0.9


@pytest.mark.slow  # trains a network for seconds
def test_the_baseline_wins_where_one_word_decides_and_the_figures_are_true(tmp_path: Path) -> None:
    predictor, test, logs = train_on(word_anywhere, tmp_path, epochs=1, lr=1e-6, hidden_size=8)
    baseline = assert_reported_truly(predictor, test, logs)
    train, validation = rebuilt_parts(predictor, word_anywhere)
    assert baseline.accuracy == pytest.approx(direct_tfidf_accuracy(train, validation, test), abs=SAME_METRIC)
    assert baseline.accuracy >= 0.9
    assert predictor.pretrained.training.test["accuracy"] <= 0.7  # untrained: near chance


@pytest.mark.slow  # trains end to end
def test_no_baseline_when_asked_and_evaluate_refits_it(tmp_path: Path) -> None:
    texts, labels = word_anywhere(240, seed=0)
    logs: list[str] = []
    predictor = seqclf.fit(
        "text", texts, labels, out=tmp_path / "m", baseline=False, log=logs.append, epochs=1, ensemble=1
    )
    assert predictor.pretrained.training.baseline is None
    assert not any(line.startswith("baseline") for line in logs)
    assert "baseline:" not in (tmp_path / "m" / "README.md").read_text(encoding="utf-8")
    # seqclf evaluate refits it on the rebuilt training part: a CSV of the same data
    data = tmp_path / "data.csv"
    data.write_text("text,label\n" + "".join(f"{t},{y}\n" for t, y in zip(texts, labels, strict=True)))
    trained = tmp_path / "from-csv"
    command = [
        "train",
        "text",
        "--data",
        str(data),
        "--out",
        str(trained),
        "--epochs",
        "1",
        "--ensemble",
        "1",
    ]
    assert CliRunner().invoke(app, command).exit_code == 0
    record = json.loads((trained / "config.json").read_text())["training"]["baseline"]
    result = CliRunner().invoke(app, ["evaluate", str(trained), "--data", str(data), "--json"])
    assert result.exit_code == 0, result.output
    evaluated = json.loads(result.stdout)["baseline"]
    assert evaluated["accuracy"] == pytest.approx(record["accuracy"], abs=SAME_METRIC)
    assert evaluated["method"] == record["method"]


def test_short_strings_get_character_n_grams_and_audio_pooled_frames() -> None:
    names = ["Nakamura", "Tanaka", "Suzuki", "Schmidt", "Schneider", "Fischer"] * 6
    langs = ["ja", "ja", "ja", "de", "de", "de"] * 6
    part = Examples(names, langs)
    splits = Splits(part, part, part, {})
    result = fit_baseline(CharEncoder.fit(names, min_freq=1), splits, part, ["de", "ja"], 10.0)
    assert result.method.startswith("TF-IDF character 1-4 grams") and result.accuracy == 1.0
    words = fit_baseline(WordEncoder.fit(names), splits, part, ["de", "ja"], 10.0)
    assert words.method.startswith("TF-IDF word 1-2 grams")
    frames = np.arange(12, dtype=np.float32).reshape(4, 3)
    import torch

    vector = pooled(torch.from_numpy(frames))
    assert vector.tolist() == pytest.approx([4.5, 5.5, 6.5, *np.std(frames, 0), 0, 1, 2, 9, 10, 11])


def test_a_baseline_that_did_not_run_says_why() -> None:
    missing = BaselineResult("not run: the series baseline needs aeon (pip install 'seqclf[baseline]')")
    assert comparison(0.9, 0.8, 12.0, missing) == [f"baseline: {missing.method}"]


def waves(n: int, seed: int, lengths: tuple[int, int] = (60, 60)) -> Examples:
    """Sines against squares, one channel, of random phase and (optionally) random length."""
    rng = np.random.default_rng(seed)
    cases, labels = [], []
    for i in range(n):
        t = np.arange(rng.integers(lengths[0], lengths[1] + 1)) / 6 + rng.uniform(0, 6)
        wave = np.sin(t) if i % 2 else np.sign(np.sin(t))
        cases.append((wave + rng.normal(0, 0.3, len(t)))[:, None].astype(np.float32))
        labels.append("sine" if i % 2 else "square")
    return Examples(cases, labels)


def aeon_layout(examples: Examples) -> list[np.ndarray]:
    return [np.asarray(case, dtype=np.float64).T for case in examples.inputs]


@pytest.mark.slow  # aeon compiles its kernels with numba on first use (tens of seconds, once)
def test_series_get_minirocket_or_dtw_as_aeon_gives_them() -> None:
    from aeon.classification.convolution_based import MiniRocketClassifier
    from aeon.classification.distance_based import KNeighborsTimeSeriesClassifier

    from seqclf.encoders.features import FeatureEncoder

    equal = Splits(waves(20, 0), waves(6, 1), waves(30, 2), {})
    encoder = FeatureEncoder.fit(equal.train.inputs)
    result = fit_baseline(encoder, equal, equal.test, ["sine", "square"], 60.0)
    direct = MiniRocketClassifier(random_state=0, n_jobs=1).fit(
        np.stack(aeon_layout(equal.train)), np.array(equal.train.labels)
    )
    expected = np.mean(direct.predict(np.stack(aeon_layout(equal.test))) == np.array(equal.test.labels))
    assert result.method == "MiniRocket (aeon)"
    assert result.accuracy == pytest.approx(expected, abs=SAME_METRIC)

    unequal = Splits(waves(20, 3, (40, 80)), waves(6, 4, (40, 80)), waves(30, 5, (40, 80)), {})
    result = fit_baseline(encoder, unequal, unequal.test, ["sine", "square"], 60.0)
    dtw = KNeighborsTimeSeriesClassifier(n_neighbors=1, distance="dtw", distance_params={"window": 0.1})
    dtw.fit(aeon_layout(unequal.train), np.array(unequal.train.labels))
    expected = np.mean(dtw.predict(aeon_layout(unequal.test)) == np.array(unequal.test.labels))
    assert result.method == "1-NN DTW, window 10% (aeon)"
    assert result.accuracy == pytest.approx(expected, abs=SAME_METRIC) and result.accuracy >= 0.8
    # no time for DTW: MiniRocket on the series resampled to one length, and the method says so
    hurried = fit_baseline(encoder, unequal, unequal.test, ["sine", "square"], 0.0)
    assert hurried.method.startswith("MiniRocket (aeon) on series resampled to")
    assert hurried.accuracy >= 0.8


def test_the_c_search_stops_before_it_would_overrun_its_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fake clock that moves five seconds a reading: the first fit takes ten, so a second would overrun 12."""
    import seqclf.evaluation.baselines as baselines

    clock = iter(range(0, 10_000, 5))  # each reading of the clock is five seconds on
    monkeypatch.setattr(baselines.time, "perf_counter", lambda: next(clock))
    texts, labels = word_anywhere(60, seed=0)
    part = Examples(texts, labels)
    result = fit_baseline(WordEncoder.fit(texts), Splits(part, part, part, {}), part, ["cue", "none"], 12.0)
    assert "(C=1, chosen on validation from 1 of 4 (time budget))" in result.method
    assert baselines.budget(3.0) == baselines.MIN_BUDGET_SECONDS and baselines.budget(300.0) == 30.0


def test_many_texts_fit_the_baseline_on_a_sample_and_score_every_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past TEXT_SAMPLE training texts TF-IDF is fitted on that many, and says so; every scored
    text is still predicted (in blocks of that size), and the sample still learns the cue."""
    import seqclf.evaluation.baselines as baselines

    monkeypatch.setattr(baselines, "TEXT_SAMPLE", 150)
    texts, labels = word_anywhere(700, seed=1)
    train, scored = Examples(texts[:400], labels[:400]), Examples(texts[400:], labels[400:])
    result = fit_baseline(
        WordEncoder.fit(texts), Splits(train, train, scored, {}), scored, ["cue", "none"], 30.0
    )
    assert result.method.endswith("; fitted on 150 training examples drawn at random)")
    # the same as fitting by hand on the 150 drawn (seed 0, in their order) and scoring all 300
    drawn = np.sort(np.random.default_rng(0).choice(400, 150, replace=False))
    sample = ([texts[i] for i in drawn], [labels[i] for i in drawn])
    by_hand = direct_tfidf_accuracy(sample, sample, (scored.inputs, scored.labels))
    assert result.accuracy == pytest.approx(by_hand, abs=SAME_METRIC) and result.accuracy > 0.75
    monkeypatch.setattr(baselines, "TEXT_SAMPLE", 1000)
    assert (
        "drawn at random"
        not in fit_baseline(
            WordEncoder.fit(texts), Splits(train, train, scored, {}), scored, ["cue", "none"], 30.0
        ).method
    )
