"""Which GPU a torchrun process trains on, for launchers that show it all GPUs or only its own."""

from __future__ import annotations

import pytest
import torch

from seqclf.errors import ConfigError
from seqclf.training.distributed import local_gpu


@pytest.mark.parametrize(
    ("local_rank", "local_processes", "visible", "expected"),
    [
        (0, 1, 1, 0),  # one process, one GPU
        (2, 4, 4, 2),  # torchrun --nproc_per_node 4 on a 4-GPU machine: its own by local rank
        (3, 1, 1, 0),  # SLURM --gpus-per-task=1: local rank 3 sees only its GPU, as cuda:0
        (0, 1, 8, 0),
    ],
)
def test_each_process_takes_its_own_gpu(local_rank, local_processes, visible, expected) -> None:
    assert local_gpu(local_rank, local_processes, visible) == torch.device("cuda", expected)


@pytest.mark.parametrize(
    ("local_rank", "local_processes", "visible", "message"),
    [
        (0, 1, 0, "sees no GPU"),
        (1, 2, 1, "2 processes on this machine but they see one GPU"),
        (4, 8, 4, "process 4 but this machine has 4 GPU"),
    ],
)
def test_a_launch_with_too_few_gpus_says_what_to_change(
    local_rank, local_processes, visible, message
) -> None:
    with pytest.raises(ConfigError, match=message):
        local_gpu(local_rank, local_processes, visible)
