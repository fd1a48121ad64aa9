"""Training checkpoints: atomic writes, safe reads, RNG states, and a settings check.

A checkpoint is internal training state (weights, optimiser, scheduler, RNG states,
early-stopping bookkeeping), never a published model, so ``torch.save`` is fine for
writing it. Reading uses ``torch.load(weights_only=True)``, which rebuilds only
tensors and plain containers, so a tampered file cannot run code; everything stored
here is kept in that form (the NumPy RNG state becomes a tensor, for instance).

A write goes to a temporary file in the same folder, is fsynced and then renamed over
the old checkpoint, so a run killed at any moment leaves either the previous
checkpoint or the new one, never half of one.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import random
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from seqclf.errors import ConfigError, DataError

CHECKPOINT_FILE = "checkpoint.pt"
# Marks a file as a seqclf checkpoint; a new layout would get a new name.
CHECKPOINT_FORMAT = "seqclf-checkpoint-3"  # 2: the stopping rule's progress epoch; 3: mid-epoch steps
#: the layouts this version resumes: 2 differs from 3 only by having no mid-epoch step
READABLE_FORMATS = ("seqclf-checkpoint-2", CHECKPOINT_FORMAT)


def save_atomic(state: dict[str, Any], path: Path) -> None:
    """Write ``state`` to ``path`` so that the file is always either old or new, whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    # Only one process writes here, so any other temporary file is left from a killed run.
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        stale.unlink(missing_ok=True)
    # Make the rename itself durable (POSIX; directories cannot be opened on Windows).
    if os.name == "posix":
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def require(path: Path) -> None:
    """Fail early, before data is read, when there is nothing to resume from."""
    if not path.is_file():
        raise ConfigError(
            f"nothing to resume: no checkpoint at {path} (train without --resume to start afresh, "
            f"or point --checkpoint-dir at the folder holding {CHECKPOINT_FILE})"
        )


def load(path: Path) -> dict[str, Any]:
    """Read a checkpoint with ``weights_only=True``; a clear error if it is missing or bad."""
    require(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError) as err:
        raise DataError(f"{path} is not a readable seqclf checkpoint: {err}") from err
    if not isinstance(state, dict) or not str(state.get("format", "")).startswith("seqclf-checkpoint-"):
        raise DataError(f"{path} is not a seqclf training checkpoint")
    if state["format"] not in READABLE_FORMATS:
        raise DataError(
            f"{path} was written by another version of seqclf ({state['format']}); "
            "train afresh (leave out --resume)"
        )
    return state


def rng_state() -> dict[str, Any]:
    """Every random generator training draws from, in a form ``weights_only`` can read."""
    version, keys, gauss = random.getstate()
    _, np_keys, np_pos, np_has_gauss, np_gauss = np.random.get_state()
    return {
        "python": [version, list(keys), gauss],
        "numpy": [torch.from_numpy(np_keys.astype(np.int64)), np_pos, np_has_gauss, np_gauss],
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def set_rng_state(state: dict[str, Any]) -> None:
    version, keys, gauss = state["python"]
    random.setstate((version, tuple(keys), gauss))
    np_keys, np_pos, np_has_gauss, np_gauss = state["numpy"]
    np.random.set_state(("MT19937", np_keys.numpy().astype(np.uint32), np_pos, np_has_gauss, np_gauss))
    torch.set_rng_state(state["torch"])
    # A run resumed on other hardware keeps going; it just cannot replay CUDA's dropout draws.
    if state["cuda"] and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])


def data_fingerprint(*parts: Sequence[tuple[torch.Tensor, int]]) -> str:
    """A hash of encoded ``(sequence, label)`` pairs, to notice a resume on other data."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "little"))
        for sequence, label in part:
            digest.update(f"{label}:{tuple(sequence.shape)}:{sequence.dtype}".encode())
            digest.update(sequence.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def check_settings(saved: dict[str, Any], current: dict[str, Any], path: Path) -> None:
    """Refuse to resume when anything that shapes the result differs from the checkpoint's run."""
    differences = []
    for section in sorted(saved.keys() | current.keys()):
        old, new = saved.get(section), current.get(section)
        if isinstance(old, dict) and isinstance(new, dict):
            differences += [
                f"{key}: {old.get(key)!r} then, {new.get(key)!r} now"
                for key in sorted(old.keys() | new.keys())
                if old.get(key) != new.get(key)
            ]
        elif old != new:
            differences.append(f"{section}: {old!r} then, {new!r} now")
    if differences:
        raise ConfigError(
            f"cannot resume from {path}: this run differs from the one that wrote it "
            f"({'; '.join(differences)}). Resume with the same data and settings, or train "
            "without --resume to start afresh."
        )
