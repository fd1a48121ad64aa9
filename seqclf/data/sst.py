"""Reader for SST-2 style sentence files: TSV or CSV with ``sentence`` and ``label`` columns.

GLUE's SST-2 ``train.tsv``/``dev.tsv`` have a header ``sentence<TAB>label`` and labels
``0`` (negative) / ``1`` (positive). Column order does not matter and other columns
(GLUE's ``index``) are ignored. ``.csv`` files are read as standard quoted CSV; other
files as tab-separated without quote handling, as GLUE writes them (a sentence that
starts with a quote character would otherwise be read as a quoted field).
Labels may also be written as the names ``negative``/``positive``.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from pathlib import Path

from seqclf.data.splits import Examples, Splits, fingerprint
from seqclf.encoders.words import tokenize
from seqclf.errors import DataError

LABELS = ("negative", "positive")
_LABEL_NAMES = {"0": "negative", "1": "positive", "negative": "negative", "positive": "positive"}


def read_sst(path: str | Path) -> Examples:
    """Read one SST-2 style file into sentences and ``negative``/``positive`` labels."""
    path = Path(path)
    if not path.is_file():
        raise DataError(
            f"{path} does not exist: expected an SST-2 style file with a header row and "
            "'sentence' and 'label' columns (GLUE SST-2 train.tsv / dev.tsv)"
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise DataError(f"{path} is not UTF-8 text: {err}") from err
    if path.suffix.lower() == ".csv":
        rows = list(csv.reader(text.splitlines()))
    else:
        rows = [line.split("\t") for line in text.splitlines()]
    if not rows:
        raise DataError(f"{path} is empty: expected a header row 'sentence<TAB>label' and data rows")
    header = [name.strip().lower() for name in rows[0]]
    missing = [name for name in ("sentence", "label") if name not in header]
    if missing:
        raise DataError(
            f"{path} has columns {rows[0]} but needs {missing}: the first row must name the "
            "'sentence' and 'label' columns"
        )
    s_col, l_col = header.index("sentence"), header.index("label")
    inputs, labels = [], []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank line, e.g. at the end of the file
        if len(row) != len(header):
            raise DataError(f"{path}, line {number}: {len(row)} fields, but the header has {len(header)}")
        sentence, label = row[s_col].strip(), row[l_col].strip().lower()
        if label not in _LABEL_NAMES:
            raise DataError(
                f"{path}, line {number}: label {row[l_col]!r} is not 0 (negative) or 1 (positive)"
            )
        if not sentence:
            raise DataError(f"{path}, line {number}: the sentence is empty")
        inputs.append(sentence)
        labels.append(_LABEL_NAMES[label])
    if not inputs:
        raise DataError(f"{path} has a header but no data rows")
    return Examples(inputs, labels)


def _ngrams(tokens: list[str], wanted: set[str] | None = None, longest: int = 0) -> Iterable[str]:
    """Every contiguous token span of ``tokens`` as a space-joined string.

    With ``wanted``, only spans in it (and no longer than ``longest`` tokens) are yielded.
    """
    top = len(tokens) if not longest else min(longest, len(tokens))
    for i in range(len(tokens)):
        for j in range(i + 1, min(i + top, len(tokens)) + 1):
            span = " ".join(tokens[i:j])
            if wanted is None or span in wanted:
                yield span


def sentence_holdout_split(
    train: Examples,
    sentences: Examples,
    test: Examples,
    validation: float = 0.1,
    seed: int = 0,
    key: Callable[[str], str] = lambda text: " ".join(tokenize(text)),
) -> Splits:
    """Split SST-2 so the validation part is whole sentences whose phrases are not in training.

    GLUE's ``train`` holds every sentiment-bearing phrase of every training tree as well
    as the full sentences. A random split of those rows would put phrases of a
    validation sentence — often nearly the whole sentence — into training, and the
    validation score would flatter the model. Instead, a stratified ``validation``
    share of the full training ``sentences`` is held out, and every ``train`` row
    that is a span of a held-out sentence is dropped from training, unless it also
    occurs in a remaining training sentence (then it is legitimately training data).
    ``train`` rows equal to a ``test`` sentence are dropped too. Rows are compared
    on their token strings (``key``), so bracket and quote conventions do not matter.
    """
    if not 0 < validation < 1:
        raise DataError("the validation fraction must be in (0, 1)")
    from sklearn.model_selection import train_test_split  # lazily, as in data.splits

    unique: dict[str, int] = {}
    for i, text in enumerate(sentences.inputs):
        unique.setdefault(key(text), i)
    indices = sorted(unique.values())
    try:
        rest, held = train_test_split(
            indices,
            test_size=validation,
            random_state=seed,
            stratify=[sentences.labels[i] for i in indices],
        )
    except ValueError as err:
        raise DataError(f"cannot hold out a stratified validation share of the sentences: {err}") from err
    held_set = set(held)
    test_keys = {key(text) for text in test.inputs}
    held_spans = {span for i in held for span in _ngrams(key(sentences.inputs[i]).split())}

    train_keys = [key(text) for text in train.inputs]
    candidates = {k for k in train_keys if k in held_spans}
    longest = max((len(k.split()) for k in candidates), default=0)
    in_rest: set[str] = set()
    if candidates:
        for i in rest:
            in_rest.update(_ngrams(key(sentences.inputs[i]).split(), candidates, longest))
    leaked = candidates - in_rest
    keep = [i for i, k in enumerate(train_keys) if k not in leaked and k not in test_keys]
    held_examples = sentences.subset(
        [i for i in sorted(held_set) if key(sentences.inputs[i]) not in test_keys]
    )
    splits = Splits(train.subset(keep), held_examples, test, {})
    splits.info = {
        "method": "sentence-holdout",
        "name": "dev",
        "validation": validation,
        "seed": seed,
        "sizes": {"train": len(keep), "validation": len(held_examples), "test": len(test)},
        "removed_from_train": {
            "spans_of_validation_sentences": sum(k in leaked for k in train_keys),
            "equal_to_a_test_sentence": sum(k in test_keys for k in train_keys),
        },
        "test_fingerprint": fingerprint(test),
    }
    return splits
