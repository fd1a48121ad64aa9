"""Encoded examples: each sequence with its label's id, in memory or on disk alike.

Training reads three things of its examples: a batch's sequences, every example's
length (to bucket batches) and every label id (class weights, metrics). :class:`Encoded`
keeps the sequences as they come (a list of tensors, or a
:class:`~seqclf.data.ondisk.DiskSequences` view read a batch at a time) and the lengths
and label ids as numpy arrays, so the last two never read a sequence.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch

from seqclf.data.ondisk import DiskSequences, sequence_lengths


class Encoded(Sequence[tuple[torch.Tensor, int]]):
    """``(sequence, label id)`` pairs; a map-style dataset for a ``DataLoader``."""

    def __init__(self, sequences: Sequence[torch.Tensor], label_ids: Sequence[int] | np.ndarray) -> None:
        if len(sequences) != len(label_ids):
            raise ValueError(f"{len(sequences)} sequences but {len(label_ids)} labels")
        self.sequences = sequences
        self.label_ids = np.asarray(label_ids, dtype=np.int32)  # 4 bytes an example; batches widen them
        self.lengths = sequence_lengths(sequences)

    @classmethod
    def of(cls, pairs: Sequence[tuple[torch.Tensor, int]]) -> Encoded:
        """``pairs`` as :class:`Encoded` (itself if it is one already)."""
        if isinstance(pairs, Encoded):
            return pairs
        return cls([x for x, _ in pairs], [y for _, y in pairs])

    def __len__(self) -> int:
        return len(self.label_ids)

    def __getitem__(self, i: Any) -> Any:  # an int or a slice, as Sequence has it
        if isinstance(i, slice):
            positions = range(len(self))[i]
            return self if positions == range(len(self)) else self.subset(positions)
        return self.sequences[i], int(self.label_ids[i])

    def __iter__(self) -> Iterator[tuple[torch.Tensor, int]]:
        return zip(self.sequences, map(int, self.label_ids), strict=True)

    def subset(self, positions: Sequence[int] | np.ndarray) -> Encoded:
        positions = np.asarray(positions, dtype=np.int64)
        if isinstance(self.sequences, DiskSequences):
            sequences: Sequence[torch.Tensor] = self.sequences.subset(positions)
        else:
            sequences = [self.sequences[i] for i in positions.tolist()]
        return Encoded(sequences, self.label_ids[positions])

    def __add__(self, other: Encoded) -> Encoded:
        """These pairs, then ``other``'s (both in memory, or both views of one file on disk)."""
        if isinstance(self.sequences, DiskSequences) and isinstance(other.sequences, DiskSequences):
            sequences: Sequence[torch.Tensor] = self.sequences.joined(other.sequences)
        else:
            sequences = [*self.sequences, *other.sequences]
        return Encoded(sequences, np.concatenate([self.label_ids, other.label_ids]))
