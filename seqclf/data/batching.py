"""Padding variable-length sequences into batches, and length-bucketed batch order.

Sequences are padded on the right and carry their lengths; the model packs them, so
padding costs memory but never changes a result. Bucketing — shuffling, then sorting
by length inside large windows — keeps batches of similar lengths, so little time
is spent on padding while the batch order stays random from epoch to epoch.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

import numpy as np
import torch
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import Sampler


def pad_batch(
    sequences: Sequence[torch.Tensor], padding_value: float = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack ``(time,)`` or ``(time, F)`` tensors into a right-padded batch plus lengths."""
    lengths = torch.tensor([len(s) for s in sequences], dtype=torch.int64)
    return pad_sequence(list(sequences), batch_first=True, padding_value=padding_value), lengths


def longest_first(lengths: Sequence[int]) -> list[int]:
    """Positions by decreasing length (ties in their given order), the order packing wants.

    A batch in this order is packed with ``enforce_sorted=True``, which needs no sort on
    the device and no copy of the unsorting index back to the host after the RNN.
    """
    return sorted(range(len(lengths)), key=lambda i: -lengths[i])


def collate(items: Sequence[tuple[torch.Tensor, int]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``DataLoader`` collate for ``(sequence, label_id)`` pairs, longest first (see :func:`longest_first`).

    The order of examples inside a training batch does not matter to the loss, so they
    are sorted here, on the CPU, where the batch is built.
    """
    items = [items[i] for i in longest_first([len(seq) for seq, _ in items])]
    inputs, lengths = pad_batch([seq for seq, _ in items])
    return inputs, lengths, torch.tensor([label for _, label in items], dtype=torch.int64)


class BucketBatchSampler(Sampler[list[int]]):
    """Yield batches of indices of similar length, in a fresh random order each epoch.

    ``window`` batches' worth of shuffled indices are sorted by length and cut into
    batches; the batches are then shuffled. Seeded by ``seed`` and ``set_epoch``, so a
    run is reproducible and every epoch differs.

    For multi-process training, every process draws the same batch order and takes
    every ``num_replicas``-th batch from position ``rank``, so the shares are disjoint
    and together cover the data. Processes must take the same number of steps (each
    step's gradients are averaged across all of them), so when the batch count does
    not divide evenly, the first batches of the order are repeated to fill the last
    round. With one replica this is exactly the single-process order.
    """

    def __init__(
        self,
        lengths: Sequence[int] | np.ndarray,
        batch_size: int,
        seed: int = 0,
        window: int = 50,
        num_replicas: int = 1,
        rank: int = 0,
    ) -> None:
        if not 0 <= rank < num_replicas:
            raise ValueError(f"rank {rank} is outside 0..{num_replicas - 1}")
        # an array: 4 bytes an example (a list of ints costs 36), for millions of examples on disk
        self.lengths = np.asarray(lengths, dtype=np.int32)
        self.batch_size = batch_size
        self.seed = seed
        self.window = window
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = self.start = 0

    def set_epoch(self, epoch: int, start: int = 0) -> None:
        """Draw ``epoch``'s order; ``start`` skips this process's first batches of it (a run
        resumed mid-epoch goes on from the batch after its last checkpointed step)."""
        self.epoch, self.start = epoch, start

    def __len__(self) -> int:
        num_batches = -(-len(self.lengths) // self.batch_size)
        return -(-num_batches // self.num_replicas)

    def __iter__(self) -> Iterator[list[int]]:
        generator = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        order = torch.randperm(len(self.lengths), generator=generator).numpy()
        span = self.batch_size * self.window
        for start in range(0, len(order), span):  # a stable sort, as sorted() is: ties keep their order
            chunk = order[start : start + span]
            order[start : start + span] = chunk[np.argsort(self.lengths[chunk], kind="stable")]
        starts = range(0, len(order), self.batch_size)
        shuffled = torch.randperm(len(starts), generator=generator).tolist()
        padded = itertools.islice(itertools.cycle(shuffled), len(self) * self.num_replicas)
        for i in itertools.islice(
            padded, self.rank + self.start * self.num_replicas, None, self.num_replicas
        ):
            yield order[starts[i] : starts[i] + self.batch_size].tolist()
