"""Ensembles: probabilities are the members' mean; trained, saved, loaded, explained, resumed."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file
from tiny_model import TINY_MODEL, TINY_TRAINING
from tolerances import SAME_SCORES

from seqclf import EnsembleClassifier, Predictor, SequenceClassifier
from seqclf.config import ModelConfig
from seqclf.errors import ConfigError, ModelLoadError
from seqclf.network.ensemble import build_model
from seqclf.network.pretrained import PretrainedClassifier
from seqclf.training.run import checkpoint_paths, run_training

TOKENS = ModelConfig(num_labels=4, vocab_size=12, embedding_dim=6, hidden_size=5, ensemble=3)
FEATURES = replace(TOKENS, input_kind="features", vocab_size=0, num_features=3, cell="lstm", pooling="mean")
# The shared tiny network, trained briefly: these tests compare ensembles with their members.
SHORT = replace(TINY_TRAINING, epochs=3, patience=3, seed=4)


def _batch(config: ModelConfig) -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    lengths = torch.tensor([5, 2, 7])
    if config.input_kind == "tokens":
        return torch.randint(1, config.vocab_size, (3, 7)), lengths
    return torch.randn(3, 7, config.num_features), lengths


@pytest.mark.parametrize("config", [TOKENS, FEATURES], ids=["tokens", "features"])
def test_ensemble_probabilities_are_the_mean_of_its_networks(config):
    torch.manual_seed(1)
    model = build_model(config).eval()
    assert isinstance(model, EnsembleClassifier) and len(model.members) == 3
    inputs, lengths = _batch(config)
    with torch.no_grad():
        mean = torch.stack([m(inputs, lengths).softmax(-1) for m in model.members]).mean(0)
        ours = model(inputs, lengths).softmax(-1)
    torch.testing.assert_close(ours, mean, rtol=0, atol=1e-6)
    # The networks differ, so the mean is not just one of them.
    assert not torch.allclose(model.members[0](inputs, lengths).softmax(-1), ours, atol=1e-3)


def test_one_network_is_a_plain_classifier_and_bad_sizes_are_refused():
    assert type(build_model(replace(TOKENS, ensemble=1))) is SequenceClassifier
    with pytest.raises(ConfigError, match="ensemble must be at least 1"):
        replace(TOKENS, ensemble=0)
    with pytest.raises(ValueError, match="expected 3 networks"):
        EnsembleClassifier(TOKENS, [SequenceClassifier(replace(TOKENS, ensemble=1))])
    with pytest.raises(ConfigError, match="ensemble must be at least 1"):
        checkpoint_paths(Path("runs"), 0)


def _train(names_folder, out, ensemble: int, seed: int = SHORT.seed, **kw) -> PretrainedClassifier:
    """A tiny names run of ``ensemble`` networks from ``seed``; ``kw`` goes to run_training."""
    return run_training(
        "names",
        names_folder,
        out,
        model={**TINY_MODEL, "ensemble": ensemble},
        train=replace(SHORT, seed=seed).to_dict(),
        command=f"seqclf train names ... --ensemble {ensemble}",
        **{"log": lambda _: None, **kw},
    )


@pytest.fixture(scope="module")
def ensemble_run(names_folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "names-ensemble"
    logs: list[str] = []
    return _train(names_folder, out, 2, log=logs.append), out, logs


@pytest.mark.slow  # trains end to end
def test_network_i_is_the_network_a_run_with_seed_plus_i_trains(ensemble_run, names_folder, tmp_path):
    pretrained, _, _ = ensemble_run
    for i, member in enumerate(pretrained.model.members):
        single = _train(names_folder, tmp_path / str(i), 1, seed=SHORT.seed + i).model
        # bit-exact on purpose: the same seed in the same process and thread count
        for (name, a), b in zip(member.state_dict().items(), single.state_dict().values(), strict=True):
            assert torch.equal(a, b), name


def test_ensemble_folder_saves_loads_and_records_each_network(ensemble_run):
    pretrained, out, logs = ensemble_run
    assert "network 2 of 2 (seed 5)" in logs
    assert not [p for p in out.iterdir() if p.name.startswith("checkpoint")]
    config = json.loads((out / "config.json").read_text())
    assert config["model"]["ensemble"] == 2 and config["architectures"] == ["EnsembleClassifier"]
    members = config["training"]["members"]
    assert [m["seed"] for m in members] == [4, 5] and all(m["history"] for m in members)
    assert "best_epoch" not in config["training"]
    card = (out / "README.md").read_text()
    assert "An ensemble of 2 networks trained from different seeds" in card
    assert "each is a 1-layer bidirectional GRU classifier" in card
    assert "for the networks of seeds 4 to 5" in card

    loaded = PretrainedClassifier.from_folder(out)
    inputs, lengths = torch.tensor([[3, 4, 5, 6]]), torch.tensor([4])
    with torch.no_grad():
        # saved and reloaded: the same weights on the same input, so the bits survive
        torch.testing.assert_close(
            loaded.model(inputs, lengths), pretrained.model.eval()(inputs, lengths), rtol=0, atol=0
        )
    predictor = Predictor.from_pretrained(out, device="cpu")
    scores = [s["score"] for s in predictor.predict("Kamuramoto", top_k=None)]
    assert sum(scores) == pytest.approx(1.0, abs=SAME_SCORES)


def test_an_ensemble_file_missing_a_network_is_refused(ensemble_run, tmp_path):
    _, out, _ = ensemble_run
    folder = tmp_path / "tampered"
    folder.mkdir()
    for name in ("config.json", "README.md"):
        (folder / name).write_bytes((out / name).read_bytes())
    weights = {
        k: v for k, v in load_file(out / "model.safetensors").items() if not k.startswith("members.1.")
    }
    save_file(weights, folder / "model.safetensors")
    with pytest.raises(ModelLoadError, match=r"members\.1\."):
        PretrainedClassifier.from_folder(folder)


def test_integrated_gradients_add_up_for_an_ensemble(ensemble_run):
    _, out, _ = ensemble_run
    explanation = Predictor.from_pretrained(out, device="cpu").explain("Gonzalez")
    assert len(explanation.steps) == len("gonzalez")
    gap = explanation.logit - explanation.baseline_logit
    assert sum(explanation.scores) + explanation.delta == pytest.approx(gap, abs=1e-4)
    assert abs(explanation.delta) < 0.05 * abs(gap) + 0.01


class _Interrupt(Exception):
    pass


@pytest.mark.slow  # three training runs; one network's kill-and-resume stays in the edit loop (test_resume)
def test_ensemble_run_killed_in_its_second_network_resumes_to_the_same_model(
    ensemble_run, names_folder, tmp_path
):
    pretrained, _, _ = ensemble_run
    out = tmp_path / "resumed"
    seen: list[str] = []

    def stop_in_network_2(line: str) -> None:
        seen.append(line)
        if "network 2 of 2 (seed 5)" in seen and line.startswith("epoch   2"):
            raise _Interrupt

    with pytest.raises(_Interrupt):
        _train(names_folder, out, 2, log=stop_in_network_2)
    first, second = checkpoint_paths(out, 2)
    assert first.name == "checkpoint-1.pt" and first.exists() and second.exists()
    resumed = _train(names_folder, out, 2, resume=True)
    # bit-exact on purpose: resumed in the same process and thread count as the whole run
    for a, b in zip(resumed.model.state_dict().values(), pretrained.model.state_dict().values(), strict=True):
        assert torch.equal(a, b)
