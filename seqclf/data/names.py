"""Reader for the char-RNN tutorial's surname lists: a folder of ``<Language>.txt``.

Each file holds one surname per line and its name is the label. The files repeat
names (Arabic.txt has 2,000 lines but 108 distinct names) and some 465 names appear
under several languages. We deduplicate on the normalised form the model sees, and a
name listed under several languages goes to the language with the fewest distinct
names: the alternative labels are equally "right", and giving the example to the
rare class helps the classes that macro-F1 (and users of those languages) care about.
Leaving such names out instead is no option here: 99 of Scottish.txt's 100 names and
36 of Portuguese.txt's 74 are also in other files, so those classes would all but
vanish. Every surname thus appears once, in exactly one split.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from seqclf.data.splits import Examples
from seqclf.data.tables import read_label_files
from seqclf.encoders.chars import normalize
from seqclf.errors import DataError


def read_names(folder: str | Path) -> Examples:
    """Read (as ``seqclf train text`` reads a folder), deduplicate and label the surnames; sorted."""
    folder = Path(folder)
    files = sorted(folder.glob("*.txt"))
    if not files:
        raise DataError(
            f"no <Language>.txt files in {folder}: point --data at the names folder of "
            "the PyTorch char-RNN tutorial data (data/names/*.txt)"
        )
    languages: dict[str, set[str]] = defaultdict(set)
    spelling: dict[str, str] = {}
    listed = read_label_files(folder)  # the generic text task's reader, then this data's policy
    for line, language in zip(listed.inputs, listed.labels, strict=True):
        if key := normalize(line):
            languages[key].add(language)
            spelling.setdefault(key, line)
    distinct = defaultdict(int)
    for langs in languages.values():
        for lang in langs:
            distinct[lang] += 1
    inputs, labels = [], []
    for key in sorted(languages):
        inputs.append(spelling[key])
        labels.append(min(languages[key], key=lambda lang: (distinct[lang], lang)))
    return Examples(inputs, labels)
