"""An exponential moving average of a model's weights whose step never waits for the GPU.

torch's :class:`~torch.optim.swa_utils.AveragedModel` keeps its update count,
``n_averaged``, as a tensor on the model's device and compares it with 0 twice in every
``update_parameters`` call; on CUDA each comparison copies the count to the host and so
waits for every kernel queued before it, once per training step. :class:`DeviceEMA` is
an ``AveragedModel`` (the same state layout, so checkpoints read alike) that mirrors the
count on the host, where the step can branch on it freely. Its arithmetic is that of
``AveragedModel`` with :func:`~torch.optim.swa_utils.get_ema_multi_avg_fn`: the first
update copies the weights, later ones move them ``1 - decay`` of the way to the model's
(``torch._foreach_lerp_``); ``tests/test_averaging.py`` checks it against that reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel


class DeviceEMA(AveragedModel):
    """``W_ema ← decay · W_ema + (1 - decay) · W`` after every step; see the module docstring."""

    def __init__(self, model: nn.Module, decay: float) -> None:
        if not 0.0 <= decay <= 1.0:
            raise ValueError(f"the EMA decay must be in [0, 1], not {decay}")
        super().__init__(model, use_buffers=True)
        self.decay = decay
        self.updates = 0  # n_averaged's value, known on the host

    @torch.no_grad()
    def update_parameters(self, model: nn.Module) -> None:
        averaged = [*self.module.parameters(), *self.module.buffers()]
        current = [*model.parameters(), *model.buffers()]
        if len(averaged) != len(current):
            raise ValueError("the model does not have the averaged model's parameters")
        floats = [(a, c) for a, c in zip(averaged, current, strict=True) if a.is_floating_point()]
        others = [(a, c) for a, c in zip(averaged, current, strict=True) if not a.is_floating_point()]
        if self.updates == 0:
            torch._foreach_copy_([a for a, _ in floats], [c.detach() for _, c in floats])
        else:
            torch._foreach_lerp_([a for a, _ in floats], [c.detach() for _, c in floats], 1 - self.decay)
        for a, c in others:  # integer buffers (counters) cannot be averaged: they follow the model
            a.copy_(c)
        self.n_averaged += 1  # on the device, queued like the rest: no wait
        self.updates += 1

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
    ) -> Any:
        result = super().load_state_dict(state_dict, strict=strict, assign=assign)
        self.updates = int(self.n_averaged)  # one read, when a run resumes
        return result
