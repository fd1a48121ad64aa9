"""How a sentiment model does on negation and contrast, next to the rest of SST-2 validation.

Sentences with a negation ("not", "n't", "never", "no", "nothing", ...) or a contrast
("but", "yet", "though", "however", ...) are where a bag of sentiment words misleads
and word order has to carry the answer. This scores a model on SST-2's validation
sentences (``dev.tsv``) split by those cues, with a 95 % Wilson interval for each
accuracy, and on the UI's own example sentences.

    python benchmarks/sentiment_contrast.py models/sentiment --data ../shared/data/sst2
"""

from __future__ import annotations

import argparse
import csv
import math
import re
from pathlib import Path

from machine import describe, table

from seqclf import Predictor

NEGATION = re.compile(r"\b(not|n't|never|no|nothing|none|nobody|neither|nor|without|hardly)\b")
CONTRAST = re.compile(r"\b(but|yet|though|although|however|despite|instead|while)\b")
LABELS = {"0": "negative", "1": "positive"}
# The Sentiment tab's examples (examples/sentiment.txt) with the label a reader gives them.
EXAMPLES = {
    "A gorgeous, witty and deeply moving film.": "positive",
    "The plot is thin and the jokes fall flat.": "negative",
    "It's not bad at all, really.": "positive",
    "I wanted to love it, but it never comes alive.": "negative",
    "An uneven film with a terrific final act.": "positive",
    "I hated every minute of it.": "negative",
}


def wilson(correct: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval for a binomial proportion (sound for small n and p near 1)."""
    if n == 0:
        return 0.0, 1.0
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def group(sentence: str) -> str:
    negated, contrasted = bool(NEGATION.search(sentence)), bool(CONTRAST.search(sentence))
    if negated and contrasted:
        return "negation and contrast"
    return "negation" if negated else "contrast" if contrasted else "neither"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="sentiment model folder or Hub repo id")
    parser.add_argument("--data", type=Path, required=True, help="SST-2 folder holding dev.tsv")
    args = parser.parse_args()
    with (args.data / "dev.tsv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    predictor = Predictor.from_pretrained(args.model, device="cpu")
    sentences = [row["sentence"] for row in rows]
    predicted = [p[0]["label"] for p in predictor.predict(sentences, top_k=1)]
    groups: dict[str, list[bool]] = {}
    for row, label in zip(rows, predicted, strict=True):
        hit = label == LABELS[row["label"]]
        groups.setdefault(group(row["sentence"]), []).append(hit)
        groups.setdefault("all", []).append(hit)
    print(describe())
    print(f"model {args.model}, SST-2 validation ({len(rows)} sentences)\n")
    order = ["all", "neither", "negation", "contrast", "negation and contrast"]
    result_rows = []
    for name in order:
        hits = groups.get(name, [])
        low, high = wilson(sum(hits), len(hits))
        accuracy = sum(hits) / len(hits) if hits else float("nan")
        result_rows.append([name, len(hits), f"{accuracy:.3f}", f"{low:.3f}-{high:.3f}"])
    print(table(["sentences", "n", "accuracy", "95% interval"], result_rows))
    print()
    answers = predictor.predict(list(EXAMPLES), top_k=1)
    print(
        table(
            ["UI example", "reader", "model", "score"],
            [
                [sentence, expected, answer[0]["label"], f"{answer[0]['score']:.2f}"]
                for (sentence, expected), answer in zip(EXAMPLES.items(), answers, strict=True)
            ],
        )
    )


if __name__ == "__main__":
    main()
