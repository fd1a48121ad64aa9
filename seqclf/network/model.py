"""A bidirectional, deep recurrent sequence classifier: one module for RNN, LSTM and GRU.

The network follows the lecture's picture of an unfolded recurrent network:

1. each step's input becomes a vector — an embedding row for token ids, a linear
   projection for float feature frames;
2. a (deep, optionally bidirectional) ``nn.RNN``/``nn.LSTM``/``nn.GRU`` reads the
   sequence; variable-length batches travel as packed sequences, so no step of padding
   ever enters the recurrence and a sequence's output does not depend on its batch-mates
   (a batch without padding goes through as it is);
3. the per-step outputs are pooled into one vector (``last``/``mean``/``max``/
   ``attention``, masked to each sequence's length);
4. a linear head gives one logit per class.

References:
- Goodfellow, Bengio, Courville, *Deep Learning*, ch. 10 (unfolding, BPTT,
  bidirectional and deep RNNs, gated units, gradient clipping).
- Hochreiter & Schmidhuber (1997), LSTM; Cho et al. (2014), GRU.
- Bahdanau, Cho, Bengio (2015) for the additive attention pooling.
- PyTorch ``torch.nn.utils.rnn.pack_padded_sequence`` for packing.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from seqclf.config import ModelConfig

_CELLS: dict[str, type[nn.RNNBase]] = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class SequenceClassifier(nn.Module):
    """Classify padded batches of variable-length sequences.

    ``forward(inputs, lengths)`` takes ``inputs`` of shape ``(batch, time)`` (token
    ids) or ``(batch, time, num_features)`` (float frames), padded on the right, and
    ``lengths`` of shape ``(batch,)``; it returns ``(batch, num_labels)`` logits.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        if config.input_kind == "tokens":
            self.input_layer: nn.Module = nn.Embedding(
                config.vocab_size, config.embedding_dim, padding_idx=config.padding_idx
            )
        else:
            self.input_layer = nn.Linear(config.num_features, config.embedding_dim)
        self.input_dropout = nn.Dropout(config.dropout)

        rnn_kwargs = {"nonlinearity": config.nonlinearity} if config.cell == "rnn" else {}
        self.rnn = _CELLS[config.cell](
            input_size=config.embedding_dim,
            hidden_size=config.hidden_size,
            num_layers=config.num_layers,
            bidirectional=config.bidirectional,
            # nn.RNNBase applies dropout between stacked layers only and warns when
            # there is a single layer, so pass it only where it does something.
            dropout=config.dropout if config.num_layers > 1 else 0.0,
            batch_first=True,
            **rnn_kwargs,
        )
        step_dim = config.hidden_size * config.num_directions
        if "attention" in config.pooling_methods:
            self.attention = nn.Sequential(
                nn.Linear(step_dim, step_dim), nn.Tanh(), nn.Linear(step_dim, 1, bias=False)
            )
        self.head = nn.Sequential(
            nn.Dropout(config.dropout),
            nn.Linear(step_dim * len(config.pooling_methods), config.num_labels),
        )

    def embed(self, inputs: torch.Tensor) -> torch.Tensor:
        """Map ids or frames to the ``(batch, time, embedding_dim)`` vectors the RNN reads.

        Separate from :meth:`forward` so that attribution methods can take gradients
        with respect to these vectors. In training, ``step_dropout`` zeroes whole steps
        (rescaling the rest, as dropout does).
        """
        embedded = self.input_layer(inputs)
        p = self.config.step_dropout
        if self.training and p > 0:
            keep = torch.rand(embedded.shape[:2], device=embedded.device) >= p
            embedded = embedded * keep.unsqueeze(-1).to(embedded.dtype) / (1 - p)
        return embedded

    def forward(self, inputs: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.forward_embedded(self.embed(inputs), lengths)

    def forward_embedded(self, embedded: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Run the recurrence, pooling and head on already-embedded steps."""
        lengths_cpu = lengths.detach().to("cpu", torch.int64)
        if bool((lengths_cpu < 1).any()):
            raise ValueError("every sequence needs at least one step")
        # A batch already sorted longest first (training's collate and batched_logits sort
        # on the CPU) is packed as it is: unsorted, packing would copy its sort order to the
        # device and the unsorting index back to the host, waiting for the whole RNN.
        if bool((lengths_cpu == embedded.shape[1]).all()):
            # No padding (equal-length series, an explanation's batch of one input): packing
            # would change nothing but cost, since on the CPU a packed backward pass copies
            # the whole input at every step (64 integration points over 1,000 frames: 8.3 s
            # packed, 0.6 s not).
            outputs, final_state = self.rnn(self.input_dropout(embedded))
        else:
            longest_first = bool((lengths_cpu[:-1] >= lengths_cpu[1:]).all())
            packed = pack_padded_sequence(
                self.input_dropout(embedded), lengths_cpu, batch_first=True, enforce_sorted=longest_first
            )
            packed_out, final_state = self.rnn(packed)
            outputs, _ = pad_packed_sequence(packed_out, batch_first=True, total_length=embedded.shape[1])
        mask = (
            torch.arange(embedded.shape[1], device=embedded.device)[None, :]
            < lengths.to(embedded.device, non_blocking=True)[:, None]
        )
        hidden = final_state[0] if isinstance(final_state, tuple) else final_state
        pooled = [self._pool(name, outputs, mask, hidden) for name in self.config.pooling_methods]
        return self.head(torch.cat(pooled, dim=-1))

    def _pool(
        self, name: str, outputs: torch.Tensor, mask: torch.Tensor, hidden: torch.Tensor
    ) -> torch.Tensor:
        if name == "last":
            # h_n holds, per layer and direction, the state after each sequence's own
            # last step (packing makes this exact); for the backward direction that is
            # the state at step 0. Take the top layer's directions.
            top = hidden.view(self.config.num_layers, self.config.num_directions, *hidden.shape[1:])[-1]
            return torch.cat(list(top), dim=-1)
        if name == "mean":
            weights = mask.unsqueeze(-1).to(outputs.dtype)
            return (outputs * weights).sum(1) / weights.sum(1)
        if name == "max":
            return outputs.masked_fill(~mask.unsqueeze(-1), float("-inf")).amax(dim=1)
        # attention: a learned score per step, softmax over the real steps only
        scores = self.attention(outputs).squeeze(-1).masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=1).unsqueeze(-1)
        return (outputs * weights).sum(1)
