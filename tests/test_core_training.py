"""End to end: a short training run on synthetic surnames learns, reproducibly."""

from __future__ import annotations

import io
import json
import re
import sys
from dataclasses import replace

import pytest
import torch
from tiny_model import TINY_COMMAND, TINY_MODEL, TINY_TRAINING
from tolerances import SAME_LOGITS, SAME_METRIC

from seqclf import Predictor
from seqclf.training.run import run_training
from seqclf.training.trainer import class_weights

# The shared tiny model is one network: the names recipe's five-network ensemble has tests
# of its own (test_ensemble.py).


def test_training_learns_well_above_chance(tiny_names):
    pretrained = tiny_names.pretrained
    history = pretrained.training.networks[0].history
    assert history[-1].train_loss < 0.5 * history[0].train_loss
    test = pretrained.training.test
    assert test["accuracy"] >= 0.8  # four classes: chance is 0.25
    assert test["macro_f1"] >= 0.75


def test_epoch_lines_report_loss_accuracy_and_macro_f1(tiny_names):
    logs = tiny_names.logs
    epoch_lines = [line for line in logs if line.startswith("epoch")]
    assert epoch_lines and all("loss" in x and "val_acc" in x and "val_macro_f1" in x for x in epoch_lines)
    tested = next(i for i, line in enumerate(logs) if line.startswith("test: accuracy"))
    # then the baseline beside it: the table's header, this model, the baseline, its method
    assert logs[tested + 2].split()[:2] == ["this", "model"] and logs[tested + 3].startswith("baseline ")
    assert logs[-1].startswith("baseline: TF-IDF character 1-4 grams + logistic regression")


def test_model_folder_has_card_plot_and_provenance(tiny_names):
    out = tiny_names.folder
    assert {
        "config.json",
        "model.safetensors",
        "README.md",
        "confusion_matrix.png",
        "training_curves.png",
    } <= {p.name for p in out.iterdir()}
    config = json.loads((out / "config.json").read_text())
    training = config["training"]
    assert training["command"] == TINY_COMMAND
    assert training["split"]["seed"] == 0 and training["split"]["test_fingerprint"]
    assert training["hyperparameters"]["clip_norm"] == TINY_TRAINING.clip_norm
    card = (out / "README.md").read_text()
    assert card.startswith("---\n") and "library_name: seqclf" in card and "model-index" in card
    assert f"{training['metrics']['test']['accuracy']:.4f}" in card


def test_best_weights_are_kept(tiny_names):
    pretrained = tiny_names.pretrained
    history = pretrained.training.networks[0].history
    best = max(history, key=lambda e: e.val_macro_f1)
    assert pretrained.training.networks[0].best_epoch == best.epoch
    assert pretrained.training.validation["macro_f1"] == pytest.approx(best.val_macro_f1, abs=SAME_METRIC)


@pytest.mark.slow  # two whole runs; test_resume checks the same seed at train_model level in the edit loop
def test_same_seed_same_model(names_folder, tmp_path):
    config = replace(TINY_TRAINING, epochs=2)
    runs = [
        run_training(
            "names",
            names_folder,
            tmp_path / str(i),
            model=TINY_MODEL,
            train=config.to_dict(),
            command="x",
            log=print,
        )
        for i in range(2)
    ]
    # Bit-exact on purpose: two runs in one process, on one machine and thread count, take
    # the same steps in the same order, so a seed must give the same weights to the last bit.
    for a, b in zip(runs[0].model.state_dict().values(), runs[1].model.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_trained_model_predicts_its_languages(tiny_names):
    out = tiny_names.folder
    predictor = Predictor.from_pretrained(out, device="cpu")
    assert predictor.predict("Kamuramoto")[0]["label"] == "Alpha"
    assert predictor.predict("Gonzalez")[0]["label"] == "Gamma"


def test_class_weights_favour_rare_classes_and_average_to_one():
    labels = [0] * 90 + [1] * 10
    for scheme in ("sqrt", "balanced"):
        weights = class_weights(labels, 2, scheme)
        assert weights[1] > weights[0]
        assert (weights[0] * 90 + weights[1] * 10) / 100 == pytest.approx(1.0, abs=SAME_LOGITS)
    assert class_weights(labels, 2, "balanced")[1] / class_weights(labels, 2, "balanced")[0] == pytest.approx(
        9.0, rel=SAME_LOGITS
    )
    assert torch.equal(class_weights(labels, 2, "none"), torch.ones(2))


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_reading_and_encoding_show_progress_on_a_terminal(names_folder, tmp_path, monkeypatch):
    """Before epoch 1 a run decodes and encodes every example (audio takes a while): bars say so."""
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    config = replace(TINY_TRAINING, epochs=1)
    run_training(
        "names",
        names_folder,
        tmp_path / "m",
        model=TINY_MODEL,
        train=config.to_dict(),
        command="x",
        log=print,
    )
    shown = terminal.getvalue()
    # each bar counts its split: 192 training, 24 validation and 24 test examples
    for phase, total in (
        ("fitting the encoder", 192),
        ("encoding training examples", 192),
        ("encoding validation", 24),
        ("encoding test", 24),
    ):
        assert re.search(rf"{phase}: +\d+%\|[^|]*\| *\d+/{total} ", shown), phase


def test_training_stops_once_validation_stops_rising_whatever_the_loss_does():
    """Easy data: validation macro-F1 reaches 1.0 early and the loss keeps falling.

    A lower loss on a tie still moves the kept weights (ties=lower_loss) but no longer
    resets patience, so the run ends ``patience`` epochs after the last real rise instead
    of running to its epoch budget.
    """
    from seqclf.config import ModelConfig
    from seqclf.network.model import SequenceClassifier
    from seqclf.training.trainer import seed_everything, train_model

    seed_everything(0)
    # token 1 six times is class 0, token 2 six times class 1: separable after an epoch or two
    examples = [(torch.full((6,), 1 + label), label) for label in (0, 1) for _ in range(16)]
    model = SequenceClassifier(
        ModelConfig(num_labels=2, vocab_size=4, embedding_dim=4, hidden_size=4, num_layers=1, ensemble=1)
    )
    config = replace(TINY_TRAINING, epochs=60, patience=4, ties="lower_loss", lr=1e-2)
    logs: list[str] = []
    state = train_model(model, examples, examples[::2], config, torch.device("cpu"), log=logs.append)
    history = state.history
    first_perfect = next(e.epoch for e in history if e.val_macro_f1 == 1.0)
    assert first_perfect < 20
    assert len(history) == first_perfect + config.patience  # not 60
    assert history[-1].val_loss < history[first_perfect - 1].val_loss  # the loss was still falling
    assert state.best_epoch > first_perfect  # and the kept weights followed it
    assert any("ends by epoch" in line for line in logs)
    assert logs[-1].startswith("early stop: validation macro-F1 has not risen by 0.001 for 4 epochs")
