"""Digits models on the speaker each never heard: alone, and with their probabilities averaged.

An ensemble of networks trained separately, scored without training it again: for each
held-out speaker, every model folder of ``--models`` (one pattern per network, ``{speaker}``
standing for the speaker) answers all 500 of that speaker's recordings, and the clip-by-clip
average of their class probabilities answers them as one ensemble would
(:class:`~seqclf.network.ensemble.EnsembleClassifier` averages probabilities the same way).

    python benchmarks/digits_averaged.py --data ../shared/data/fsdd \
        --speaker george jackson lucas nicolas theo yweweler --models 'runs/R-{speaker}' 'runs/R1-{speaker}'
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from machine import describe, table

from seqclf.data.fsdd import fsdd_splits
from seqclf.inference.predictor import Predictor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/fsdd"))
    parser.add_argument("--speaker", nargs="+", required=True)
    parser.add_argument("--models", nargs="+", required=True, help="Folder patterns with {speaker}.")
    args = parser.parse_args()
    torch.set_num_threads(1)

    rows, scores = [], []
    for speaker in args.speaker:
        test = fsdd_splits(args.data, [speaker]).test
        probabilities, labels = [], None
        for pattern in args.models:
            predictor = Predictor.from_pretrained(pattern.format(speaker=speaker), device="cpu")
            if labels is not None and predictor.labels != labels:
                raise SystemExit(f"{pattern}: its labels differ from the first model's")
            labels = predictor.labels
            probabilities.append(predictor.probabilities(predictor.encode(test.inputs)))
        truth = torch.tensor([labels.index(label) for label in test.labels])
        accuracy = [
            float((p.argmax(-1) == truth).float().mean())
            for p in [*probabilities, torch.stack(probabilities).mean(0)]
        ]
        scores.append(accuracy)
        rows.append([speaker, *(f"{a:.3f}" for a in accuracy)])
    means = torch.tensor(scores).mean(0).tolist()
    rows.append(["mean", *(f"{a:.3f}" for a in means)])
    print(describe())
    print(table(["speaker", *args.models, "averaged"], rows))


if __name__ == "__main__":
    main()
