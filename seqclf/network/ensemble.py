"""Several networks answering as one classifier: a deep ensemble.

Networks of one architecture trained from different random seeds end in different
minima and make partly independent mistakes; averaging their class probabilities is
more accurate and better calibrated than any one of them (Dietterich 2000, "Ensemble
Methods in Machine Learning"; Lakshminarayanan, Pritzel & Blundell 2017, "Simple and
Scalable Predictive Uncertainty Estimation using Deep Ensembles"). On a few thousand
noisy, imbalanced examples — the names data — a single network's validation scores
move by a point or more between seeds, and the average is where that noise goes away.

:class:`EnsembleClassifier` has the interface of
:class:`~seqclf.network.model.SequenceClassifier` (``config``, ``embed``, ``forward``,
``forward_embedded``), so prediction, attribution, serving and saving treat both alike.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import torch
from torch import nn

from seqclf.config import ModelConfig
from seqclf.network.model import SequenceClassifier


class EnsembleClassifier(nn.Module):
    """``config.ensemble`` networks of ``config``'s architecture; their probabilities averaged.

    ``forward`` returns the log of the members' mean class probabilities, so a softmax
    of the output — what every caller applies to logits — is exactly that mean.
    """

    def __init__(self, config: ModelConfig, members: Sequence[SequenceClassifier] | None = None) -> None:
        super().__init__()
        if config.ensemble < 2:
            raise ValueError("an ensemble needs config.ensemble >= 2; use SequenceClassifier for one network")
        self.config = config
        member_config = replace(config, ensemble=1)
        if members is None:
            members = [SequenceClassifier(member_config) for _ in range(config.ensemble)]
        if len(members) != config.ensemble or any(m.config != member_config for m in members):
            raise ValueError(f"expected {config.ensemble} networks configured as {member_config}")
        self.members = nn.ModuleList(members)

    def embed(self, inputs: torch.Tensor) -> torch.Tensor:
        """Every member's step vectors side by side: ``(batch, time, ensemble * embedding_dim)``.

        Attribution methods take gradients with respect to this, so one tensor carries
        each member's view of every step.
        """
        return torch.cat([member.embed(inputs) for member in self.members], dim=-1)

    def forward(self, inputs: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.forward_embedded(self.embed(inputs), lengths)

    def forward_embedded(self, embedded: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        parts = embedded.split(self.config.embedding_dim, dim=-1)
        log_probs = torch.stack(
            [
                torch.log_softmax(member.forward_embedded(part, lengths).float(), dim=-1)
                for member, part in zip(self.members, parts, strict=True)
            ]
        )
        # log(mean_i p_i), computed stably in log space.
        return torch.logsumexp(log_probs, dim=0) - math.log(len(self.members))


Classifier = SequenceClassifier | EnsembleClassifier


def build_model(config: ModelConfig) -> Classifier:
    """A freshly initialised classifier for ``config``: one network, or an ensemble of them."""
    return EnsembleClassifier(config) if config.ensemble > 1 else SequenceClassifier(config)
