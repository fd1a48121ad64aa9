"""Perturbed copies of training recordings, for the tasks that read audio (digits, audio).

The perturbations themselves are :func:`seqclf.audio.augment.perturb`; this adds them to
a task's training examples, which validation and test examples never get.
"""

from __future__ import annotations

import numpy as np

from seqclf.audio.augment import Augmentation, perturb
from seqclf.audio.io import load_audio
from seqclf.audio.mfcc import FrontEnd
from seqclf.data.splits import Examples

#: the speech tasks' recipe (digits, audio): one variant per recording, half of them missing a band
#: (on six held-out speakers one network scored 0.885 against 0.864 without, five networks
#: 0.883 against 0.875: docs/speech.md)
SPEECH_AUGMENTATION = Augmentation(band_stop_probability=0.5)


def augmented(examples: Examples, frontend: FrontEnd, augmentation: Augmentation, seed: int) -> Examples:
    """``examples`` (recordings) followed by ``augmentation.copies`` random variants of each.

    The variants are made at the front end's rate.
    """
    rng = np.random.default_rng(seed)
    rate = frontend.sampling_rate
    inputs, labels = list(examples.inputs), list(examples.labels)
    for example, label in zip(examples.inputs, examples.labels, strict=True):
        samples = load_audio(example, rate, frontend.max_seconds)
        for _ in range(augmentation.copies):
            inputs.append({"array": perturb(samples, rate, rng, augmentation), "sampling_rate": rate})
            labels.append(label)
    return Examples(inputs, labels)
