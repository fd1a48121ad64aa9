"""Synthetic surnames in the char-RNN tutorial's layout, for any test that trains on names."""

from __future__ import annotations

import random
from pathlib import Path

# Each synthetic "language" builds surnames from its own syllables and ending, so a
# character model can tell them apart while no single character gives it away.
SYNTHETIC_LANGUAGES = {
    "Alpha": (["ka", "mu", "ra", "shi", "to", "no"], ["moto", "mura", "ta"]),
    "Beta": (["iv", "an", "ol", "ser", "gei", "dim"], ["ov", "enko", "in"]),
    "Gamma": (["gon", "zal", "mar", "ter", "fer", "nan"], ["ez", "es", "edo"]),
    "Delta": (["an", "der", "wil", "ton", "har", "bro"], ["son", "ley", "ford"]),
}


def make_names_folder(folder: Path, per_language: int = 60, seed: int = 0) -> Path:
    """Write ``<Language>.txt`` files in the char-RNN tutorial's format."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for language, (syllables, endings) in SYNTHETIC_LANGUAGES.items():
        names = set()
        while len(names) < per_language:
            stem = "".join(rng.choice(syllables) for _ in range(rng.randint(1, 3)))
            names.add((stem + rng.choice(endings)).capitalize())
        (folder / f"{language}.txt").write_text("\n".join(sorted(names)) + "\n", encoding="utf-8")
    return folder
