"""`seqclf export`: the ONNX graph answers as Predictor does, for every architecture, padded or not.

Each comparison runs ONNX Runtime on one right-padded batch whose padding holds random
values (so a graph that read past a sequence's length would answer differently) against
``Predictor.probabilities``, which pads its own length-sorted batches with zeros.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from tolerances import ONNX_SCORES, SAME_LOGITS, SAME_SCORES, assert_same_predictions
from typer.testing import CliRunner

from seqclf import Predictor
from seqclf.cli import app
from seqclf.config import ModelConfig
from seqclf.encoders import CharEncoder, encoder_from_dict
from seqclf.encoders.features import ChannelStats, FeatureEncoder
from seqclf.errors import SeqclfError
from seqclf.inference.batching import batched_logits
from seqclf.install import pip_install
from seqclf.network.ensemble import build_model
from seqclf.network.export import to_onnx
from seqclf.network.pretrained import PretrainedClassifier

LABELS = ["a", "b", "c"]
NAMES = ["nakamura", "schmidt", "nguyen", "smith", "dvorak", "kowalski", "rossi", "ivanov"]
ROOT = Path(__file__).resolve().parents[1]
CELLS = {"rnn": {"cell": "rnn"}, "rnn-relu": {"cell": "rnn", "nonlinearity": "relu"}}
CELLS |= {"lstm": {"cell": "lstm"}, "gru": {"cell": "gru"}}
POOLINGS = ["last", "mean", "max", "attention"]


def _pretrained(input_kind: str, seed: int = 0, **fields: object) -> PretrainedClassifier:
    """A tiny deep model whose probabilities are far from uniform (and from 0 and 1)."""
    torch.manual_seed(seed)
    if input_kind == "tokens":
        encoder = CharEncoder.fit(NAMES, min_freq=1)
    else:
        encoder = FeatureEncoder(ChannelStats([0.0] * 3, [1.0] * 3))
    config = ModelConfig(
        num_labels=len(LABELS), **encoder.model_fields(), embedding_dim=5, hidden_size=6, num_layers=2
    )
    model = build_model(replace(config, **fields)).eval()
    # PyTorch's initialisation leaves an untrained model's answers near uniform, where a
    # wrong graph could pass unnoticed. A ReLU recurrence gets less: its states grow
    # geometrically with the weights, and saturated probabilities would hide errors too.
    gain = 1.5 if model.config.nonlinearity == "relu" and model.config.cell == "rnn" else 3.0
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.mul_(gain)
    return PretrainedClassifier(model, encoder, LABELS, "custom")


def _random_sequences(config: ModelConfig, lengths: list[int]) -> list[torch.Tensor]:
    if config.input_kind == "tokens":
        return [torch.randint(1, config.vocab_size, (n,)) for n in lengths]
    return [torch.randn(n, config.num_features) for n in lengths]


def _garbage_padded(config: ModelConfig, sequences: list[torch.Tensor], extra: int = 3) -> np.ndarray:
    """Right-pad to the longest plus ``extra`` steps, with random values rather than zeros."""
    time = max(len(s) for s in sequences) + extra
    if config.input_kind == "tokens":
        batch = torch.randint(0, config.vocab_size, (len(sequences), time))
    else:
        batch = torch.randn(len(sequences), time, config.num_features)
    for row, sequence in zip(batch, sequences, strict=True):
        row[: len(sequence)] = sequence
    return batch.numpy()


def _session(pretrained: PretrainedClassifier) -> ort.InferenceSession:
    proto = to_onnx(pretrained.model, pretrained.labels)
    return ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])


def _onnx_outputs(session: ort.InferenceSession, inputs: np.ndarray, lengths: list[int]) -> list[np.ndarray]:
    """``[probabilities, logits]`` for a padded batch."""
    feeds = {"inputs": inputs, "lengths": np.asarray(lengths, dtype=np.int64)}
    return session.run(["probabilities", "logits"], feeds)


def _onnx_probabilities(session: ort.InferenceSession, inputs: np.ndarray, lengths: list[int]) -> np.ndarray:
    return _onnx_outputs(session, inputs, lengths)[0]


def _assert_matches_predictor(pretrained: PretrainedClassifier, lengths: list[int]) -> None:
    """Probabilities as Predictor's; logits as the model's own (an ensemble's: log mean probability)."""
    config = pretrained.model.config
    sequences = _random_sequences(config, lengths)
    expected = Predictor(pretrained).probabilities(sequences).numpy()
    got, logits = _onnx_outputs(_session(pretrained), _garbage_padded(config, sequences), lengths)
    spread = np.ptp(expected, axis=0).max()
    assert spread > 1000 * ONNX_SCORES, (
        f"the answers hardly depend on the inputs ({spread}): nothing is tested"
    )
    np.testing.assert_allclose(got, expected, rtol=0, atol=ONNX_SCORES)
    np.testing.assert_allclose(
        logits, batched_logits(pretrained.model, sequences).numpy(), rtol=0, atol=SAME_LOGITS
    )


@pytest.mark.parametrize("input_kind", ["tokens", "features"])
@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("bidirectional", [False, True], ids=["forward", "bidirectional"])
@pytest.mark.parametrize("cell", list(CELLS))
def test_every_architecture_answers_as_the_predictor(cell, bidirectional, pooling, input_kind):
    pretrained = _pretrained(input_kind, **CELLS[cell], bidirectional=bidirectional, pooling=pooling)
    _assert_matches_predictor(pretrained, [7, 1, 4, 9, 2, 9, 5, 3])


@pytest.mark.parametrize("input_kind", ["tokens", "features"])
def test_an_ensemble_is_one_graph_averaging_as_the_predictor(input_kind):
    pretrained = _pretrained(input_kind, seed=3, ensemble=3, cell="lstm", pooling="max+last+attention")
    proto = to_onnx(pretrained.model, pretrained.labels)
    assert sum(node.op_type == "LSTM" for node in proto.graph.node) == 3 * 2  # 3 networks x 2 layers
    _assert_matches_predictor(pretrained, [6, 2, 8, 1, 5])


@pytest.mark.parametrize(
    ("cell", "pooling"), list(itertools.product(["lstm", "gru"], [*POOLINGS, "mean+max"]))
)
def test_padding_does_not_change_an_answer(cell, pooling):
    pretrained = _pretrained("tokens", seed=1, cell=cell, pooling=pooling)
    config = pretrained.model.config
    session = _session(pretrained)
    sequences = _random_sequences(config, [4, 11, 1, 7])
    batched = _onnx_probabilities(session, _garbage_padded(config, sequences, extra=5), [4, 11, 1, 7])
    for i, sequence in enumerate(sequences):
        alone = _onnx_probabilities(session, sequence.numpy()[None], [len(sequence)])
        np.testing.assert_allclose(batched[i], alone[0], rtol=0, atol=SAME_SCORES)


def test_the_labels_travel_in_the_graph():
    proto = to_onnx(_pretrained("tokens").model, LABELS)
    assert json.loads({p.key: p.value for p in proto.metadata_props}["labels"]) == LABELS


# --- the command -------------------------------------------------------------------


def _run(*args: str):
    return CliRunner().invoke(app, ["export", *map(str, args)])


def _client_predictions(out: Path, texts: list[str]) -> list[list[dict]]:
    """What a client does with an export folder: tokenise with config.json, run model.onnx, name labels."""
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    encoder = encoder_from_dict(config["encoder"])
    labels = (out / "labels.txt").read_text(encoding="utf-8").splitlines()
    encoded = [encoder.encode(text).numpy() for text in texts]
    batch = np.zeros((len(encoded), max(map(len, encoded))), dtype=np.int64)
    for row, ids in zip(batch, encoded, strict=True):
        row[: len(ids)] = ids
    session = ort.InferenceSession(str(out / "model.onnx"), providers=["CPUExecutionProvider"])
    probabilities = _onnx_probabilities(session, batch, [len(ids) for ids in encoded])
    return [
        sorted(
            ({"label": label, "score": float(s)} for label, s in zip(labels, row, strict=True)),
            key=lambda p: -p["score"],
        )
        for row in probabilities
    ]


def _assert_same_lists(got: list[list[dict]], expected: list[list[dict]]) -> None:
    assert len(got) == len(expected)
    for one, reference in zip(got, expected, strict=True):
        assert_same_predictions(one, reference, atol=ONNX_SCORES)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("model") / "tiny-names"
    _pretrained("tokens", seed=2, ensemble=2).save_pretrained(folder)
    return folder


def test_the_export_folder_serves_a_client_as_the_predictor_does(model_dir, tmp_path):
    out = tmp_path / "export"
    result = _run(model_dir, "--out", out)
    assert result.exit_code == 0, result.output
    onnx.checker.check_model(str(out / "model.onnx"), full_check=True)
    texts = ["Nakamura", "Smith", "Kowalski", "O"]
    _assert_same_lists(
        _client_predictions(out, texts),
        Predictor.from_pretrained(model_dir, device="cpu").predict(texts, top_k=None),
    )
    triton = out / "triton" / "tiny-names"
    assert (triton / "1" / "model.onnx").read_bytes() == (out / "model.onnx").read_bytes()
    assert (triton / "labels.txt").read_text() == "a\nb\nc\n"


def test_the_triton_config_names_the_graphs_inputs_and_outputs(model_dir, tmp_path):
    out = tmp_path / "export"
    assert _run(model_dir, "--out", out, "--name", "surnames").exit_code == 0
    config = (out / "triton" / "surnames" / "config.pbtxt").read_text()
    graph = onnx.load(str(out / "triton" / "surnames" / "1" / "model.onnx")).graph
    assert 'name: "surnames"' in config and 'backend: "onnxruntime"' in config
    for value in [*graph.input, *graph.output]:
        assert f'name: "{value.name}"' in config
    assert "dims: [ 3 ]" in config  # one score per label, the batch axis left to Triton


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (lambda d, o: [d, "--out", o, "--format", "tflite"], "unknown format 'tflite': seqclf exports onnx"),
        (lambda d, o: [d.parent / "absent", "--out", o], "is neither a model folder nor a Hub repo id"),
        (lambda d, o: [d, "--out", d / "config.json"], "is a file: give a folder for the export"),
        (
            lambda d, o: [d, "--out", d],
            "already holds config.json, model.safetensors: give a new --out, or --overwrite",
        ),
        (lambda d, o: [d, "--out", o, "--name", "a b"], "cannot name a Triton model"),
    ],
)
def test_mistakes_are_one_line_errors(model_dir, tmp_path, make_args, message):
    out = tmp_path / "export"
    result = _run(*make_args(model_dir, out))
    assert result.exit_code == 2
    assert message in result.output and result.output.startswith("error: ")
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()


def test_overwrite_writes_into_a_folder_that_holds_files(model_dir, tmp_path):
    out = tmp_path / "export"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert _run(model_dir, "--out", out).exit_code == 2
    assert _run(model_dir, "--out", out, "--overwrite").exit_code == 0
    assert (out / "model.onnx").is_file() and (out / "notes.txt").read_text() == "keep me"


def test_without_onnx_installed_the_error_says_what_to_install(model_dir, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # `import onnx` now raises ImportError
    with pytest.raises(SeqclfError, match=re.escape(pip_install("export"))):
        to_onnx(_pretrained("tokens").model, LABELS)
    result = _run(model_dir, "--out", tmp_path / "export")
    assert result.exit_code == 2 and pip_install("export") in result.output


@pytest.mark.parametrize("name", ["names", "sentiment"])  # a 5-network ensemble; a word model
def test_the_shipped_text_models_answer_as_the_predictor(name, tmp_path):
    model = ROOT / "models" / name
    if not (model / "model.safetensors").is_file():
        pytest.skip(f"models/{name} is not in this checkout")
    out = tmp_path / name
    assert _run(model, "--out", out).exit_code == 0
    lines = (ROOT / "examples" / f"{name}.txt").read_text(encoding="utf-8").splitlines()
    texts = [line for line in lines if line.strip()]
    _assert_same_lists(
        _client_predictions(out, texts),
        Predictor.from_pretrained(model, device="cpu").predict(texts, top_k=None),
    )
