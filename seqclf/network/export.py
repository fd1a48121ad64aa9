"""Export a trained classifier to ONNX, for ONNX Runtime, Triton or a mobile runtime.

Serving at scale often means a runtime that is not Python: Triton Inference Server,
ONNX Runtime in a C++/Java/C# service, or ONNX Runtime Mobile. This module writes a
model (one network or an ensemble) as a single ONNX graph with two inputs,

- ``inputs``: int64 ``(batch, time)`` token ids, or float32 ``(batch, time, features)``
  frames, padded on the right — exactly what the model folder's encoder produces;
- ``lengths``: int64 ``(batch,)``, each sequence's number of real steps (>= 1),

and two outputs, ``logits`` and ``probabilities`` (float32 ``(batch, num_labels)``).
Batch and time are dynamic axes.

Why the graph is written by hand rather than traced: the PyTorch model feeds its
recurrent layer packed sequences (``pack_padded_sequence``), which exporters turn
into a graph that either fails or bakes in one batch's lengths. ONNX has recurrent
operators of its own that take a ``sequence_lens`` input and, per the operator
specification, run each sequence of a padded batch for its own length only, in both
directions — the forward direction stops at the sequence's last real step and the
backward one starts there. That is what packing does in PyTorch, so building the
graph from ``LSTM``/``GRU``/``RNN`` nodes keeps the guarantee the model has today:
padding never changes a sequence's answer. Pooling is masked to each length as in
:meth:`seqclf.network.model.SequenceClassifier._pool`.

The weight layouts differ between the two (ONNX operator spec,
https://onnx.ai/onnx/operators/onnx__LSTM.html, ``onnx__GRU.html``, ``onnx__RNN.html``):
PyTorch stacks LSTM gates as ``i, f, g, o`` and ONNX as ``i, o, f, c``; PyTorch GRU
gates are ``r, z, n`` and ONNX's ``z, r, h``, and PyTorch's GRU applies the reset gate
after the recurrent matrix product, which is ONNX's ``linear_before_reset=1``; ONNX
takes both biases as one ``[W_b, R_b]`` vector per direction.

An ensemble becomes one graph whose members share the inputs; its ``logits`` are the
log of the members' mean probabilities, as :class:`~seqclf.network.ensemble.EnsembleClassifier`
computes them, so ``probabilities`` is that mean — what ``Predictor`` answers.

The export folder also holds the model folder's own ``config.json`` (its encoder and
labels, for tokenising in the client), ``labels.txt`` and a Triton model repository
(:func:`triton_config`); see docs/export.md.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from seqclf.config import ModelConfig
from seqclf.errors import ConfigError, SeqclfError
from seqclf.install import VERSION, pip_install
from seqclf.network.ensemble import Classifier, EnsembleClassifier
from seqclf.network.model import SequenceClassifier
from seqclf.network.pretrained import CONFIG_NAME, PretrainedClassifier

if TYPE_CHECKING:
    import onnx

FORMATS = ("onnx",)
ONNX_NAME = "model.onnx"
LABELS_NAME = "labels.txt"
TRITON_DIR = "triton"
#: Opset 17 and IR version 8 are read by ONNX Runtime 1.13 and later, so also by older
#: Triton and mobile builds; the graph needs nothing newer.
OPSET = 17
IR_VERSION = 8
#: Triton's batching limit in the generated config.pbtxt: Predictor's own batch size.
TRITON_MAX_BATCH_SIZE = 256

#: ONNX's gate order as indices into PyTorch's (see the module docstring).
_GATE_ORDER = {"lstm": [0, 3, 1, 2], "gru": [1, 0, 2], "rnn": [0]}
_OPS = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}


def _import_onnx() -> Any:
    """``onnx``, an optional extra: without it, one line saying what to install."""
    try:
        import onnx
    except ImportError:
        raise SeqclfError(f"exporting to ONNX needs onnx: {pip_install('export')}") from None
    return onnx


class _Graph:
    """The nodes and weights of a graph being built; names are made unique by a counter."""

    def __init__(self, onnx: Any) -> None:
        self.onnx = onnx
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._count = 0
        self._ints: dict[tuple[int, ...], str] = {}

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def weight(self, hint: str, value: np.ndarray | torch.Tensor) -> str:
        if isinstance(value, torch.Tensor):
            value = value.detach().to("cpu", torch.float32).numpy()
        name = self.name(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def ints(self, values: Sequence[int]) -> str:
        """An int64 constant (axes, shapes), stored once however often the graph uses it."""
        key = tuple(values)
        if key not in self._ints:
            self._ints[key] = self.weight("ints", np.asarray(values, dtype=np.int64))
        return self._ints[key]

    def op(self, op_type: str, inputs: Sequence[str], outputs: int = 1, **attributes: Any) -> Any:
        """Add a node; return its output name, or the list of names when ``outputs`` > 1."""
        names = [self.name(op_type.lower()) for _ in range(outputs)]
        self.nodes.append(self.onnx.helper.make_node(op_type, list(inputs), names, **attributes))
        return names[0] if outputs == 1 else names


@dataclass
class _Steps:
    """What every member reads: the time-major inputs and, built on first use, the step mask."""

    graph: _Graph
    inputs: str  # (time, batch) ids or (time, batch, features) frames
    lengths: str  # (batch,) int64
    sequence_lens: str  # (batch,) int32, as the recurrent operators take it
    _mask: str | None = None

    def mask(self) -> str:
        """``(time, batch, 1)`` bool: which steps are real. Shared by all members and poolings."""
        if self._mask is None:
            g = self.graph
            time = g.op("Squeeze", [g.op("Shape", [self.inputs], start=0, end=1), g.ints([0])])
            zero, one = (g.weight("scalar", np.array(v, np.int64)) for v in (0, 1))
            steps = g.op("Range", [zero, time, one])
            column = g.op("Unsqueeze", [steps, g.ints([1])])
            row = g.op("Unsqueeze", [self.lengths, g.ints([0])])
            self._mask = g.op("Unsqueeze", [g.op("Less", [column, row]), g.ints([2])])
        return self._mask


def _stacked(rnn: torch.nn.RNNBase, kind: str, layer: int, config: ModelConfig) -> torch.Tensor:
    """One layer's ``weight_ih``/``weight_hh``/``bias_ih``/``bias_hh``, directions stacked, gates in ONNX order."""
    suffixes = ["", "_reverse"][: config.num_directions]
    hidden = config.hidden_size
    return torch.stack(
        [
            torch.cat(
                [
                    getattr(rnn, f"{kind}_l{layer}{s}")[i * hidden : (i + 1) * hidden]
                    for i in _GATE_ORDER[config.cell]
                ]
            )
            for s in suffixes
        ]
    )


def _recurrence(
    g: _Graph, rnn: torch.nn.RNNBase, config: ModelConfig, x: str, steps: _Steps
) -> tuple[str, str]:
    """Every layer of ``rnn`` as ONNX recurrent nodes: the top layer's ``(T, B, D*H)`` outputs and ``Y_h``."""
    attributes: dict[str, Any] = {
        "hidden_size": config.hidden_size,
        "direction": "bidirectional" if config.bidirectional else "forward",
    }
    if config.cell == "gru":
        attributes["linear_before_reset"] = 1
    if config.cell == "rnn":
        attributes["activations"] = [config.nonlinearity.capitalize()] * config.num_directions
    final = ""
    for layer in range(config.num_layers):
        weights = [
            g.weight("W", _stacked(rnn, "weight_ih", layer, config)),
            g.weight("R", _stacked(rnn, "weight_hh", layer, config)),
            g.weight(
                "B",
                torch.cat(
                    [_stacked(rnn, "bias_ih", layer, config), _stacked(rnn, "bias_hh", layer, config)], dim=-1
                ),
            ),
        ]
        outputs, final = g.op(_OPS[config.cell], [x, *weights, steps.sequence_lens], outputs=2, **attributes)
        # (T, D, B, H) -> (T, B, D*H): each step's directions side by side, as PyTorch joins them.
        x = g.op("Reshape", [g.op("Transpose", [outputs], perm=[0, 2, 1, 3]), g.ints([0, 0, -1])])
    return x, final


def _pool(g: _Graph, name: str, model: SequenceClassifier, outputs: str, final: str, steps: _Steps) -> str:
    """One pooling method over the ``(T, B, D*H)`` outputs, masked as the PyTorch model masks it."""
    if name == "last":
        # Y_h is (D, B, H): the forward state after each sequence's last real step, the
        # backward state at step 0; joined per sequence as (B, D*H).
        return g.op("Reshape", [g.op("Transpose", [final], perm=[1, 0, 2]), g.ints([0, -1])])
    mask = steps.mask()
    if name == "mean":
        # ONNX Runtime writes zeros to Y past each length, but the operator spec leaves those
        # steps unspecified, so they are masked here as for max and attention.
        weights = g.op("Cast", [mask], to=g.onnx.TensorProto.FLOAT)
        total = g.op("ReduceSum", [g.op("Mul", [outputs, weights]), g.ints([0])], keepdims=0)
        return g.op("Div", [total, g.op("ReduceSum", [weights, g.ints([0])], keepdims=0)])
    minus_inf = g.weight("minus_inf", np.array(-np.inf, np.float32))
    if name == "max":
        return g.op("ReduceMax", [g.op("Where", [mask, outputs, minus_inf])], axes=[0], keepdims=0)
    # attention: a learned score per step (Linear, Tanh, Linear), softmax over the real steps only
    first, _, second = model.attention
    projected = g.op("MatMul", [outputs, g.weight("attention_W1", first.weight.T)])
    hidden = g.op("Tanh", [g.op("Add", [projected, g.weight("attention_b1", first.bias)])])
    scores = g.op("MatMul", [hidden, g.weight("attention_W2", second.weight.T)])  # (T, B, 1)
    weights = g.op("Softmax", [g.op("Where", [mask, scores, minus_inf])], axis=0)
    return g.op("ReduceSum", [g.op("Mul", [outputs, weights]), g.ints([0])], keepdims=0)


def _member_logits(g: _Graph, model: SequenceClassifier, steps: _Steps) -> str:
    """One network's ``(batch, num_labels)`` logits."""
    config = model.config
    if config.input_kind == "tokens":
        embedded = g.op("Gather", [g.weight("embedding", model.input_layer.weight), steps.inputs], axis=0)
    else:
        projected = g.op("MatMul", [steps.inputs, g.weight("input_W", model.input_layer.weight.T)])
        embedded = g.op("Add", [projected, g.weight("input_b", model.input_layer.bias)])
    outputs, final = _recurrence(g, model.rnn, config, embedded, steps)
    pooled = [_pool(g, name, model, outputs, final, steps) for name in config.pooling_methods]
    joined = pooled[0] if len(pooled) == 1 else g.op("Concat", pooled, axis=-1)
    linear = model.head[-1]
    return g.op(
        "Gemm", [joined, g.weight("head_W", linear.weight), g.weight("head_b", linear.bias)], transB=1
    )


def to_onnx(model: Classifier, labels: Sequence[str]) -> onnx.ModelProto:
    """The classifier (one network or an ensemble) as one checked ONNX model; see the module docstring."""
    onnx = _import_onnx()
    helper, TensorProto = onnx.helper, onnx.TensorProto
    config = model.config
    g = _Graph(onnx)
    tokens = config.input_kind == "tokens"
    inputs = (
        helper.make_tensor_value_info("inputs", TensorProto.INT64, ["batch", "time"])
        if tokens
        else helper.make_tensor_value_info(
            "inputs", TensorProto.FLOAT, ["batch", "time", config.num_features]
        )
    )
    lengths = helper.make_tensor_value_info("lengths", TensorProto.INT64, ["batch"])
    steps = _Steps(
        g,
        inputs=g.op("Transpose", ["inputs"], perm=[1, 0] if tokens else [1, 0, 2]),
        lengths="lengths",
        sequence_lens=g.op("Cast", ["lengths"], to=TensorProto.INT32),
    )
    if isinstance(model, EnsembleClassifier):
        log_probs = [
            g.op(
                "Unsqueeze",
                [g.op("LogSoftmax", [_member_logits(g, member, steps)], axis=-1), g.ints([0])],
            )
            for member in model.members
        ]
        mean = g.op("ReduceLogSumExp", [g.op("Concat", log_probs, axis=0)], axes=[0], keepdims=0)
        logits_source = g.op(
            "Sub", [mean, g.weight("log_count", np.array(math.log(len(log_probs)), np.float32))]
        )
    else:
        logits_source = _member_logits(g, model, steps)
    g.nodes.append(helper.make_node("Identity", [logits_source], ["logits"]))
    g.nodes.append(helper.make_node("Softmax", ["logits"], ["probabilities"], axis=-1))
    outputs = [
        helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", config.num_labels])
        for name in ("logits", "probabilities")
    ]
    graph = helper.make_graph(g.nodes, "seqclf", [inputs, lengths], outputs, g.initializers)
    proto = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        ir_version=IR_VERSION,
        producer_name="seqclf",
        producer_version=VERSION,
        doc_string="seqclf sequence classifier: inputs (ids or frames, right-padded) and lengths -> "
        "logits and probabilities per label",
    )
    helper.set_model_props(proto, {"labels": json.dumps(list(labels), ensure_ascii=False)})
    onnx.checker.check_model(proto, full_check=True)
    return proto


def triton_config(name: str, config: ModelConfig) -> str:
    """A Triton ``config.pbtxt`` for the exported graph (ONNX Runtime backend, dynamic batching).

    Triton leaves the batch axis out of ``dims``; ``lengths`` is ``(batch,)`` in the
    graph, so it is declared ``[1]`` per request and reshaped to a scalar, Triton's
    documented way to pass one number per batch row. ``probabilities`` names
    ``labels.txt``, so Triton's classification extension can answer with label names.
    """
    if config.input_kind == "tokens":
        data_type, dims = "TYPE_INT64", "[ -1 ]"
    else:
        data_type, dims = "TYPE_FP32", f"[ -1, {config.num_features} ]"
    return f"""name: "{name}"
backend: "onnxruntime"
max_batch_size: {TRITON_MAX_BATCH_SIZE}
input [
  {{
    name: "inputs"
    data_type: {data_type}
    dims: {dims}
  }},
  {{
    name: "lengths"
    data_type: TYPE_INT64
    dims: [ 1 ]
    reshape: {{ shape: [ ] }}
  }}
]
output [
  {{
    name: "probabilities"
    data_type: TYPE_FP32
    dims: [ {config.num_labels} ]
    label_filename: "{LABELS_NAME}"
  }},
  {{
    name: "logits"
    data_type: TYPE_FP32
    dims: [ {config.num_labels} ]
  }}
]
dynamic_batching {{ }}
"""


def _check_out(out: Path, overwrite: bool) -> None:
    """Refuse, before any work, an ``out`` that is a file or already holds files."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file: give a folder for the export")
    if out.is_dir() and not overwrite:
        kept = sorted(p.name for p in out.iterdir())
        if kept:
            raise ConfigError(
                f"{out} already holds {', '.join(kept[:3])}{' ...' if len(kept) > 3 else ''}: give a new "
                "--out, or --overwrite to write the export there anyway"
            )


def _model_name(source: str | Path, name: str | None) -> str:
    """The Triton model name: ``name``, or the model folder's (or Hub repo's) last part."""
    if name is not None:
        chosen = name
    elif Path(source).is_dir():
        chosen = Path(source).resolve().name
    else:
        chosen = str(source).rsplit("/", 1)[-1]
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", chosen):
        raise ConfigError(
            f"{chosen!r} cannot name a Triton model: use letters, digits, '_', '.' and '-' (--name)"
        )
    return chosen


def export(
    source: str | Path,
    out: Path,
    format: str = "onnx",
    *,
    overwrite: bool = False,
    name: str | None = None,
    revision: str | None = None,
) -> list[Path]:
    """Export the model folder or Hub repo ``source`` into ``out``; returns the files written.

    Everything is built and checked before the first file is written, so a failure
    leaves ``out`` as it was.
    """
    from seqclf.hub import resolve_model_dir

    if format not in FORMATS:
        raise ConfigError(f"unknown format {format!r}: seqclf exports {', '.join(FORMATS)}")
    out = Path(out)
    _check_out(out, overwrite)
    triton_name = _model_name(source, name)
    _import_onnx()  # a missing extra is reported before the model is loaded
    folder = resolve_model_dir(source, revision)
    pretrained = PretrainedClassifier.from_folder(folder)
    serialized = to_onnx(pretrained.model, pretrained.labels).SerializeToString()
    labels = "".join(f"{label}\n" for label in pretrained.labels)
    triton = out / TRITON_DIR / triton_name
    files = {
        out / ONNX_NAME: serialized,
        out / CONFIG_NAME: (folder / CONFIG_NAME).read_bytes(),
        out / LABELS_NAME: labels.encode(),
        triton / "config.pbtxt": triton_config(triton_name, pretrained.model.config).encode(),
        triton / "1" / ONNX_NAME: serialized,
        triton / LABELS_NAME: labels.encode(),
    }
    try:
        for path, content in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
    except OSError as err:
        raise ConfigError(f"cannot write {out}: {err.strerror or err}") from None
    return list(files)
