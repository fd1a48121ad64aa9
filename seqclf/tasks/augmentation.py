"""Perturbed copies of training recordings, for the tasks that read audio (digits, audio).

The perturbations themselves are :func:`seqclf.audio.augment.perturb`; this adds them to
a task's training examples, which validation and test examples never get.
"""

from __future__ import annotations

import numpy as np

from seqclf.audio.augment import perturb
from seqclf.audio.io import load_audio
from seqclf.audio.mfcc import FrontEnd
from seqclf.data.splits import Examples


def augmented(
    examples: Examples, frontend: FrontEnd, copies: int, seed: int, *, reverb_probability: float = 0.0
) -> Examples:
    """``examples`` (recordings) followed by ``copies`` random variants of each, at the front end's rate.

    ``reverb_probability`` is the share of variants played in a synthetic room first.
    """
    rng = np.random.default_rng(seed)
    rate = frontend.sampling_rate
    inputs, labels = list(examples.inputs), list(examples.labels)
    for example, label in zip(examples.inputs, examples.labels, strict=True):
        samples = load_audio(example, rate, frontend.max_seconds)
        for _ in range(copies):
            inputs.append(
                {
                    "array": perturb(samples, rate, rng, reverb_probability=reverb_probability),
                    "sampling_rate": rate,
                }
            )
            labels.append(label)
    return Examples(inputs, labels)
