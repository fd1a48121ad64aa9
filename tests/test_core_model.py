"""The recurrent classifier: every configuration trains, packing is exact, BPTT is right."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn

from seqclf.config import POOLINGS, ModelConfig
from seqclf.data.batching import pad_batch
from seqclf.errors import ConfigError
from seqclf.network.model import SequenceClassifier

CELLS = ["rnn", "lstm", "gru"]


def _tokens_config(**kw) -> ModelConfig:
    base = dict(num_labels=3, vocab_size=11, embedding_dim=8, hidden_size=6, num_layers=2, dropout=0.1)
    return ModelConfig(**{**base, **kw})


def _random_tokens(lengths: list[int], vocab: int = 11, seed: int = 0) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return [torch.randint(1, vocab, (n,), generator=g) for n in lengths]


@pytest.mark.parametrize(
    ("cell", "bidirectional", "pooling"), list(itertools.product(CELLS, [True, False], POOLINGS))
)
def test_every_cell_direction_and_pooling_trains_a_step(cell, bidirectional, pooling):
    torch.manual_seed(0)
    model = SequenceClassifier(_tokens_config(cell=cell, bidirectional=bidirectional, pooling=pooling))
    inputs, lengths = pad_batch(_random_tokens([5, 2, 7, 1]))
    labels = torch.tensor([0, 1, 2, 1])
    before = {k: v.clone() for k, v in model.state_dict().items()}
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    loss = nn.functional.cross_entropy(model(inputs, lengths), labels)
    loss.backward()
    assert torch.isfinite(loss)
    recurrent_grads = [p.grad for name, p in model.named_parameters() if name.startswith("rnn.")]
    assert all(g is not None and g.abs().sum() > 0 for g in recurrent_grads)
    optimizer.step()
    changed = [k for k, v in model.state_dict().items() if not torch.equal(v, before[k])]
    assert any(k.startswith("rnn.") for k in changed) and any(k.startswith("head.") for k in changed)


def test_relu_rnn_and_combined_pooling_build():
    model = SequenceClassifier(_tokens_config(cell="rnn", nonlinearity="relu", pooling="max+last+attention"))
    assert model.rnn.nonlinearity == "relu"
    inputs, lengths = pad_batch(_random_tokens([3, 4]))
    assert model(inputs, lengths).shape == (2, 3)


@pytest.mark.parametrize(("cell", "pooling"), list(itertools.product(CELLS, POOLINGS)))
def test_prediction_does_not_depend_on_padding_or_batch_mates(cell, pooling):
    torch.manual_seed(0)
    model = SequenceClassifier(_tokens_config(cell=cell, pooling=pooling)).eval()
    short, long_ = _random_tokens([4, 40], seed=1)
    alone = model(*pad_batch([short]))
    together = model(*pad_batch([long_, short, long_[:9]]))
    torch.testing.assert_close(together[1:2], alone, atol=1e-5, rtol=0)


def test_feature_inputs_are_packed_too():
    torch.manual_seed(0)
    config = ModelConfig(num_labels=4, input_kind="features", num_features=5, embedding_dim=8, hidden_size=6)
    model = SequenceClassifier(config).eval()
    short, long_ = torch.randn(3, 5), torch.randn(30, 5)
    alone = model(*pad_batch([short]))
    together = model(*pad_batch([long_, short]))
    torch.testing.assert_close(together[1:2], alone, atol=1e-5, rtol=0)


def test_last_pooling_is_forward_last_step_and_backward_first_step():
    torch.manual_seed(0)
    model = SequenceClassifier(_tokens_config(cell="gru", pooling="last", num_layers=1)).eval()
    (seq,) = _random_tokens([6])
    outputs, _ = model.rnn(model.embed(seq[None]))  # one unpadded sequence
    hidden = model.config.hidden_size
    expected = torch.cat([outputs[0, -1, :hidden], outputs[0, 0, hidden:]])
    model.head = nn.Identity()  # expose the pooled vector
    pooled = model(*pad_batch([seq, torch.cat([seq, seq])]))
    torch.testing.assert_close(pooled[0], expected)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"cell": "transformer"},
        {"pooling": "median"},
        {"pooling": ""},
        {"dropout": 1.5},
        {"num_labels": 1},
        {"vocab_size": 0},
    ],
)
def test_invalid_configs_say_what_is_wrong(kwargs):
    with pytest.raises(ConfigError) as info:
        _tokens_config(**kwargs)
    assert any(word in str(info.value) for word in (*kwargs, "pooling", "vocab_size"))


def test_config_round_trip_rejects_unknown_keys():
    config = _tokens_config(pooling="mean+max")
    assert ModelConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ConfigError, match="unknown model config keys"):
        ModelConfig.from_dict({**config.to_dict(), "heads": 4})


# --- Backpropagation through time -------------------------------------------------
# A tiny tanh RNN with an output at every step, as in Goodfellow et al. ch. 10.2.2:
#   h(t) = tanh(b + W h(t-1) + U x(t)),  o(t) = c + V h(t),  L = sum_t NLL(softmax(o(t)), y(t))


def _bptt_by_hand(U, W, V, b, c, x, y):
    """The lecture's gradients (eqs. 10.22-10.28), written out step by step."""
    steps, hidden = x.shape[0], W.shape[0]
    h = [torch.zeros(hidden, dtype=x.dtype)]
    probs = []
    for t in range(steps):
        h.append(torch.tanh(b + W @ h[-1] + U @ x[t]))
        probs.append(torch.softmax(c + V @ h[-1], dim=0))
    grad_o = [probs[t] - nn.functional.one_hot(y[t], V.shape[0]).to(x.dtype) for t in range(steps)]  # 10.18
    grad_h = [None] * steps
    grad_h[-1] = V.T @ grad_o[-1]  # 10.19
    for t in range(steps - 2, -1, -1):  # 10.21
        grad_h[t] = W.T @ ((1 - h[t + 2] ** 2) * grad_h[t + 1]) + V.T @ grad_o[t]
    local = [(1 - h[t + 1] ** 2) * grad_h[t] for t in range(steps)]  # diag(1 - h^2) grad_h
    return {
        "c": sum(grad_o),  # 10.22
        "b": sum(local),  # 10.23
        "V": sum(torch.outer(grad_o[t], h[t + 1]) for t in range(steps)),  # 10.24
        "W": sum(torch.outer(local[t], h[t]) for t in range(steps)),  # 10.26
        "U": sum(torch.outer(local[t], x[t]) for t in range(steps)),  # 10.28
    }


def test_autograd_through_nn_rnn_reproduces_the_lectures_bptt_and_finite_differences():
    torch.manual_seed(0)
    steps, n_in, hidden, n_out = 5, 3, 4, 3
    rnn = nn.RNN(n_in, hidden, nonlinearity="tanh", batch_first=True).double()
    with torch.no_grad():
        rnn.bias_hh_l0.zero_()  # the lecture has one bias b; nn.RNN splits it in two
    readout = nn.Linear(hidden, n_out).double()
    x = torch.randn(steps, n_in, dtype=torch.float64)
    y = torch.randint(0, n_out, (steps,))

    def loss_fn(U, W, b, V, c):
        hs, state = [], torch.zeros(hidden, dtype=x.dtype)
        for t in range(steps):
            state = torch.tanh(b + W @ state + U @ x[t])
            hs.append(state)
        logits = torch.stack(hs) @ V.T + c
        return nn.functional.cross_entropy(logits, y, reduction="sum")

    params = [
        p.detach().clone().requires_grad_()
        for p in (rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, readout.weight, readout.bias)
    ]
    # 1. finite differences agree with autograd on the unrolled graph
    assert torch.autograd.gradcheck(loss_fn, params, eps=1e-6, atol=1e-6)

    # 2. autograd through PyTorch's own nn.RNN equals the hand-derived BPTT equations
    out, _ = rnn(x[None])
    loss = nn.functional.cross_entropy(readout(out[0]), y, reduction="sum")
    loss.backward()
    expected = _bptt_by_hand(
        rnn.weight_ih_l0.detach(),
        rnn.weight_hh_l0.detach(),
        readout.weight.detach(),
        rnn.bias_ih_l0.detach(),
        readout.bias.detach(),
        x,
        y,
    )
    torch.testing.assert_close(rnn.weight_ih_l0.grad, expected["U"])
    torch.testing.assert_close(rnn.weight_hh_l0.grad, expected["W"])
    torch.testing.assert_close(rnn.bias_ih_l0.grad, expected["b"])
    torch.testing.assert_close(readout.weight.grad, expected["V"])
    torch.testing.assert_close(readout.bias.grad, expected["c"])


def test_gradcheck_of_the_full_classifier_over_packed_sequences():
    torch.manual_seed(0)
    config = ModelConfig(
        num_labels=3,
        input_kind="features",
        num_features=2,
        embedding_dim=3,
        hidden_size=3,
        cell="rnn",
        num_layers=2,
        dropout=0.0,
        pooling="mean+last",
    )
    model = SequenceClassifier(config).double().eval()
    frames = torch.randn(2, 4, 2, dtype=torch.float64, requires_grad=True)
    lengths = torch.tensor([4, 2])
    assert torch.autograd.gradcheck(lambda f: model(f, lengths), (frames,), eps=1e-6, atol=1e-6)


def test_step_dropout_zeroes_whole_steps_in_training_only():
    torch.manual_seed(0)
    model = SequenceClassifier(_tokens_config(step_dropout=0.5, dropout=0.0))
    inputs = torch.randint(1, 11, (64, 50))
    dropped = model.embed(inputs)
    zero_steps = (dropped == 0).all(-1).float().mean().item()
    assert 0.4 < zero_steps < 0.6
    kept = dropped[(dropped != 0).any(-1)]
    assert torch.allclose(
        kept.abs().sum(), (model.input_layer(inputs) * 2)[(dropped != 0).any(-1)].abs().sum()
    )
    model.eval()
    torch.testing.assert_close(model.embed(inputs), model.input_layer(inputs))
