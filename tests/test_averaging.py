"""The sync-free EMA: torch's EMA arithmetic, a step that reads no tensor on the host, and resume."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from seqclf.training.averaging import DeviceEMA

# Both apply the same foreach kernels to the same operands; the tolerance only allows for
# a kernel that groups tensors differently (float32 rounding of one lerp, relative 1e-7).
SAME_AVERAGE = {"rtol": 1e-6, "atol": 1e-7}


def _model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Embedding(7, 4), nn.GRU(4, 5, batch_first=True))


def _steps(model: nn.Module, averages: list[AveragedModel], count: int) -> None:
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for step in range(count):
        torch.manual_seed(step)
        output, _ = model(torch.randint(0, 7, (3, 6)))
        optimizer.zero_grad()
        output.pow(2).mean().backward()
        optimizer.step()
        for average in averages:
            average.update_parameters(model)


def test_it_averages_as_torchs_ema_does() -> None:
    model = _model()
    ours = DeviceEMA(model, decay=0.9)
    reference = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9), use_buffers=True)
    _steps(model, [ours, reference], 6)
    assert ours.state_dict().keys() == reference.state_dict().keys()  # checkpoints read alike
    for name, value in reference.state_dict().items():
        torch.testing.assert_close(ours.state_dict()[name], value, **SAME_AVERAGE, msg=name)
    # an average, not the live weights: after six steps of lr 0.1 they differ
    live = dict(model.named_parameters())
    assert not torch.allclose(ours.module.state_dict()["1.weight_hh_l0"], live["1.weight_hh_l0"], atol=1e-3)


def test_a_step_reads_no_tensor_on_the_host(monkeypatch: pytest.MonkeyPatch) -> None:
    """On CUDA, reading a device tensor's value (bool, item) waits for the GPU; the step must not."""
    model = _model()
    ema = DeviceEMA(model, decay=0.5)
    ema.update_parameters(model)

    def read(*_: object) -> None:
        raise AssertionError("the EMA step read a tensor's value on the host")

    for method in ("__bool__", "item", "tolist", "__int__", "__float__"):
        monkeypatch.setattr(torch.Tensor, method, read)
    ema.update_parameters(model)
    ema.update_parameters(model)
    monkeypatch.undo()
    assert int(ema.n_averaged) == ema.updates == 3


def test_a_loaded_average_resumes_where_it_stopped() -> None:
    model = _model()
    first = DeviceEMA(model, decay=0.9)
    _steps(model, [first], 3)
    resumed = DeviceEMA(_model(), decay=0.9)
    resumed.load_state_dict(first.state_dict())
    assert resumed.updates == 3  # so the next step averages instead of copying
    _steps(model, [first, resumed], 2)
    # bit-exact on purpose: one process, the same kernels on the same operands
    for name, value in first.state_dict().items():
        torch.testing.assert_close(resumed.state_dict()[name], value, rtol=0, atol=0, msg=name)


def test_a_decay_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match=r"decay must be in \[0, 1\]"):
        DeviceEMA(_model(), decay=1.5)
