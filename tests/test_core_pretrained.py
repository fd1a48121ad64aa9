"""The saved-model folder: identical outputs after a round trip, strict and safe loading."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file
from tolerances import SAME_SCORES, assert_same_prediction_lists

from seqclf.config import ModelConfig
from seqclf.data.batching import pad_batch
from seqclf.encoders import CharEncoder
from seqclf.errors import ModelLoadError
from seqclf.inference.predictor import Predictor
from seqclf.network.model import SequenceClassifier
from seqclf.network.pretrained import FORMAT_VERSION, PretrainedClassifier


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(0)
    encoder = CharEncoder.fit(["abcabc", "defdef", "ghighi"])
    config = ModelConfig(
        num_labels=3, **encoder.model_fields(), embedding_dim=8, hidden_size=5, pooling="attention+last"
    )
    pretrained = PretrainedClassifier(SequenceClassifier(config).eval(), encoder, ["x", "y", "z"], "names")
    pretrained.save_pretrained(tmp_path / "model", card="# card\n")
    return pretrained, tmp_path / "model"


def test_save_then_load_gives_identical_outputs(saved):
    pretrained, folder = saved
    loaded = PretrainedClassifier.from_pretrained(folder)
    batch = pad_batch([pretrained.encoder.encode(s) for s in ["abc", "fedcba", "ihg"]])
    torch.testing.assert_close(loaded.model(*batch), pretrained.model(*batch), rtol=0, atol=0)
    assert loaded.labels == ["x", "y", "z"] and loaded.task == "names"
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "config.json", "model.safetensors"]
    config = json.loads((folder / "config.json").read_text())
    assert config["format_version"] == FORMAT_VERSION
    assert config["id2label"] == {"0": "x", "1": "y", "2": "z"} and config["label2id"]["z"] == 2


def test_saved_files_get_the_umask_mode_so_another_user_can_serve_them(saved):
    _, folder = saved
    umask = os.umask(0)
    os.umask(umask)
    expected = 0o666 & ~umask
    for name in ("config.json", "model.safetensors", "README.md"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == expected, name


def _tamper_weights(folder, change):
    state = load_file(folder / "model.safetensors")
    change(state)
    save_file(state, folder / "model.safetensors")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.update({"extra.weight": torch.zeros(2)}), "unexpected"),
        (lambda s: s.pop("head.1.bias"), "missing"),
        (lambda s: s.update({"head.1.bias": torch.zeros(7)}), "wrong shape"),
    ],
)
def test_strict_loading_rejects_tampered_weights(saved, change, message):
    _, folder = saved
    _tamper_weights(folder, change)
    with pytest.raises(ModelLoadError, match=message):
        PretrainedClassifier.from_pretrained(folder)


def _edit_config(folder, change):
    config = json.loads((folder / "config.json").read_text())
    change(config)
    (folder / "config.json").write_text(json.dumps(config))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c.update(format_version=FORMAT_VERSION + 1), "Upgrade seqclf"),
        (lambda c: c.pop("library_name"), "does not describe a seqclf model"),
        (lambda c: c["model"].update(hidden_size=6), "wrong shape"),
        (lambda c: c["model"].update(attention_heads=2), "unknown model config keys"),
        (lambda c: c.update(id2label={"0": "x"}), "1 labels but the model has 3"),
        (lambda c: c["encoder"].update(type="bytecode"), "unknown encoder type"),
    ],
)
def test_inconsistent_configs_are_refused(saved, change, message):
    _, folder = saved
    _edit_config(folder, change)
    with pytest.raises(ModelLoadError, match=message):
        PretrainedClassifier.from_pretrained(folder)


def test_missing_or_corrupt_files_are_clear_errors(saved, tmp_path):
    _, folder = saved
    with pytest.raises(ModelLoadError, match="not a seqclf model folder"):
        PretrainedClassifier.from_pretrained(tmp_path)
    with pytest.raises(ModelLoadError, match="neither a model folder nor a Hub repo id"):
        PretrainedClassifier.from_pretrained(tmp_path / "no" / "such" / "dir")
    (folder / "model.safetensors").write_bytes(b"\x80\x04not safetensors")
    with pytest.raises(ModelLoadError, match="not a readable safetensors file"):
        PretrainedClassifier.from_pretrained(folder)
    (folder / "config.json").write_text("{not json")
    with pytest.raises(ModelLoadError, match="not valid JSON"):
        PretrainedClassifier.from_pretrained(folder)


def test_loading_never_unpickles(saved, monkeypatch):
    _, folder = saved
    import pickle

    def refuse(*args, **kwargs):
        raise AssertionError("pickle was used")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(torch, "load", refuse)
    PretrainedClassifier.from_pretrained(folder)


def _other_model(encoder: CharEncoder) -> PretrainedClassifier:
    """A model unlike ``saved``'s: another architecture, so its weights cannot load under the old config."""
    torch.manual_seed(1)
    config = ModelConfig(num_labels=3, **encoder.model_fields(), embedding_dim=6, hidden_size=7, cell="lstm")
    return PretrainedClassifier(SequenceClassifier(config).eval(), encoder, ["x", "y", "z"], "names")


def _probabilities(folder) -> list:
    return Predictor.from_pretrained(folder).predict(["abc", "fedcba", "ihg"], top_k=None)


def _fail_the_config_write(monkeypatch):
    def full_disk(self, folder):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(PretrainedClassifier, "save_config", full_disk)


def _fail_the_swap(monkeypatch):
    """Let every rename through except the one that puts the new folder itself in place."""
    rename = os.rename

    def refuse_the_swap(source, destination):
        if ".saving-" in os.path.basename(source):
            raise OSError(5, "Input/output error")
        rename(source, destination)

    monkeypatch.setattr(os, "rename", refuse_the_swap)


@pytest.mark.parametrize("fail", [_fail_the_config_write, _fail_the_swap])
def test_a_failed_overwrite_leaves_the_old_model_loadable(saved, monkeypatch, fail):
    old, folder = saved
    (folder / "notes.txt").write_text("mine")
    before = _probabilities(folder)
    files = {p.name: p.read_bytes() for p in folder.iterdir()}
    fail(monkeypatch)
    with pytest.raises(OSError):
        _other_model(old.encoder).save_pretrained(folder, card="# the new card\n")
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == files
    assert_same_prediction_lists(_probabilities(folder), before)
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]


def test_an_overwrite_is_the_new_model_keeps_other_files_and_leaves_nothing_beside(saved):
    old, folder = saved
    (folder / "notes.txt").write_text("mine")
    (folder / "plots").mkdir()
    before = _probabilities(folder)
    old_weights = (folder / "model.safetensors").read_bytes()
    new = _other_model(old.encoder)
    # A server that had the old weights open (safetensors maps the file) still reads them whole.
    with (folder / "model.safetensors").open("rb") as reading:
        new.save_pretrained(folder)  # no card: the old one stays, as a user's files do
        assert reading.read() == old_weights
    after = _probabilities(folder)
    assert PretrainedClassifier.from_folder(folder).model.config == new.model.config
    batch = pad_batch([new.encoder.encode(s) for s in ["abc", "fedcba", "ihg"]])
    expected = torch.softmax(new.model(*batch), dim=-1)
    for predictions, row in zip(after, expected, strict=True):
        scores = {p["label"]: p["score"] for p in predictions}
        assert [scores[label] for label in new.labels] == pytest.approx(row.tolist(), abs=SAME_SCORES)
    assert max(abs(a[0]["score"] - b[0]["score"]) for a, b in zip(after, before, strict=True)) > 1e-3
    assert (folder / "notes.txt").read_text() == "mine" and (folder / "plots").is_dir()
    assert (folder / "README.md").read_text() == "# card\n"
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]
    umask = os.umask(0)
    os.umask(umask)
    for name in ("config.json", "model.safetensors"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o666 & ~umask, name


def test_a_failed_config_rewrite_leaves_the_old_config_whole(saved, monkeypatch):
    """``save_config`` rewrites a saved folder's config alone (``card.add_evaluation`` records a new evaluation)."""
    old, folder = saved
    config = (folder / "config.json").read_bytes()
    write_text = Path.write_text

    def half_then_full_disk(self, data, *args, **kwargs):
        write_text(self, data[: len(data) // 2], *args, **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", half_then_full_disk)
    with pytest.raises(OSError):
        old.save_config(folder)
    monkeypatch.undo()
    assert (folder / "config.json").read_bytes() == config
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "config.json", "model.safetensors"]
