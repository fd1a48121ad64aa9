"""Multi-process training under ``torchrun``: process group, rank queries, reductions.

``seqclf train`` runs unchanged under ``torchrun --nproc_per_node N``: torchrun sets
``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK`` for each process, and :func:`process_group`
joins them (NCCL between GPUs, gloo between CPU processes). Outside torchrun nothing
is initialised and every helper here answers as the single process it is, so the
trainer has one code path.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, TypeVar

import torch
import torch.distributed as dist

from seqclf.errors import ConfigError, SeqclfError

T = TypeVar("T")
#: how long the other processes wait for rank 0 to read and prepare the data
PREPARE_TIMEOUT = timedelta(hours=24)


def launched_by_torchrun() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


@contextmanager
def process_group(device: torch.device) -> Iterator[torch.device]:
    """Join the torchrun job for the duration of the block; yield this process's device.

    On CUDA each process takes its GPU by :func:`local_gpu`. The group is
    left as it was found if one is already initialised (a caller set it up).
    """
    if not launched_by_torchrun() or _active():
        yield device
        return
    if not dist.is_available():
        raise ConfigError("this torch build has no torch.distributed; run without torchrun")
    if device.type == "cuda":
        device = local_gpu(
            int(os.environ.get("LOCAL_RANK", "0")),
            int(os.environ.get("LOCAL_WORLD_SIZE", "1")),
            torch.cuda.device_count(),
        )
        torch.cuda.set_device(device)
        # Binding NCCL to this process's GPU up front spares a guess at the first collective.
        dist.init_process_group("nccl", device_id=device)
    else:
        dist.init_process_group("gloo")
    try:
        yield device
    finally:
        dist.destroy_process_group()


def local_gpu(local_rank: int, local_processes: int, visible: int) -> torch.device:
    """The GPU of the process ``local_rank`` of ``local_processes`` on a machine showing ``visible``.

    torchrun on a machine with a GPU per process: ``cuda:LOCAL_RANK``. Launchers that give
    each process its own GPU and hide the rest (SLURM ``--gpus-per-task=1``, a Kubernetes
    pod per rank) show one device, which is then this process's whatever its local rank.
    """
    if visible == 0:
        raise ConfigError("--device cuda, but this process sees no GPU (check CUDA_VISIBLE_DEVICES)")
    if visible == 1 and local_processes > 1:
        raise ConfigError(
            f"torchrun started {local_processes} processes on this machine but they see one GPU: "
            "use --nproc_per_node 1, or a launcher that gives each process its own GPU"
        )
    if visible == 1:
        return torch.device("cuda", 0)
    if local_rank >= visible:
        raise ConfigError(
            f"torchrun started process {local_rank} but this machine has "
            f"{visible} GPU(s): use --nproc_per_node <= the GPU count"
        )
    return torch.device("cuda", local_rank)


def _active() -> bool:
    return dist.is_available() and dist.is_initialized()


def world_size() -> int:
    return dist.get_world_size() if _active() else 1


def rank() -> int:
    return dist.get_rank() if _active() else 0


def is_main_process() -> bool:
    """The process that logs and writes files: rank 0, or the only one.

    Outside the process group (before joining or after leaving it) torchrun's ``RANK``
    answers, so a command can print its closing line once.
    """
    return rank() == 0 if _active() else os.environ.get("RANK", "0") == "0"


def all_reduce_sum(tensor: torch.Tensor) -> torch.Tensor:
    """Sum ``tensor`` over all processes in place (a no-op for a single process)."""
    if _active():
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor


def all_gather_objects(obj: Any) -> list[Any]:
    """Every process's ``obj``, in rank order, on every process (``[obj]`` for one process)."""
    if not _active():
        return [obj]
    gathered: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(gathered, obj)
    return gathered


def made_by_main_process(make: Callable[[], T], shared: Callable[[T], Any] = lambda made: made) -> T:
    """``make()`` on the main process alone; every other process gets ``shared(make())`` from it.

    Reading and preparing the data is done once, by rank 0, rather than once per process:
    the others receive what they train on (for data on disk, views that name the files
    rank 0 wrote, so they read only their own batches' rows). They wait in a gloo group of
    its own with a :data:`PREPARE_TIMEOUT`, not in the job's group, whose timeout (30 min
    for gloo, 10 for NCCL) a large table's preparation outlasts. If ``make`` fails, every
    process stops with a line saying so (seqclf's own one line for a bad data file).
    """
    if not _active():
        return make()
    group = dist.new_group(backend="gloo", timeout=PREPARE_TIMEOUT)
    box: list[Any] = [None]
    if dist.get_rank() == 0:
        try:
            made = make()
        except BaseException as err:
            failure = (
                err
                if isinstance(err, SeqclfError)
                else ConfigError(f"rank 0 failed preparing the data: {err!r}")
            )
            dist.broadcast_object_list([failure], src=0, group=group)
            raise
        box = [shared(made)]
    dist.broadcast_object_list(box, src=0, group=group)
    dist.destroy_process_group(group)
    if dist.get_rank() == 0:
        return made
    if isinstance(box[0], SeqclfError):
        raise box[0]
    return box[0]


def main_only(log: Callable[[str], None]) -> Callable[[str], None]:
    """``log`` on the main process, a no-op elsewhere, so N processes print one log."""
    return log if is_main_process() else _silent


def _silent(_: str) -> None:
    pass
