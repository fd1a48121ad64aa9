"""The saved-model format: a Hugging Face Hub-style model folder.

A folder holds ``config.json`` (architecture, encoder, labels, format version and how
the model was trained), ``model.safetensors`` (the weights) and ``README.md`` (the
model card). Loading is strict: every tensor must match the architecture in name
and shape, and nothing is unpickled — safetensors and JSON carry data, never code.
We do not use ``PyTorchModelHubMixin`` because it loads with ``strict=False`` by
default and would let a mismatched file load silently.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from seqclf.config import ModelConfig
from seqclf.encoders import Encoder, encoder_from_dict
from seqclf.errors import ConfigError, ModelLoadError
from seqclf.network.ensemble import Classifier, build_model
from seqclf.record import TrainingRecord

FORMAT_VERSION = 1
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
CARD_NAME = "README.md"
#: The largest config.json read. It is parsed whole, into Python objects several times its
#: size, before anything in it can be checked; the shipped configs are 16 to 250 KB (the
#: largest holds a 14,000-word vocabulary), and a 1-million-word vocabulary takes about 16 MB.
MAX_CONFIG_BYTES = 64 * 1024 * 1024


@dataclass
class PretrainedClassifier:
    """A model with everything needed to use it: encoder, labels, task, provenance.

    ``training`` is the provenance ``seqclf train`` records (command, split,
    hyperparameters, metrics, time); cards and ``seqclf evaluate`` read it. A model
    made some other way has none.
    """

    model: Classifier
    encoder: Encoder
    labels: list[str]
    task: str
    training: TrainingRecord | None = None

    def config_dict(self) -> dict[str, Any]:
        return {
            "library_name": "seqclf",
            "format_version": FORMAT_VERSION,
            "architectures": [type(self.model).__name__],
            "task": self.task,
            "model": self.model.config.to_dict(),
            "encoder": self.encoder.to_dict(),
            "id2label": {str(i): label for i, label in enumerate(self.labels)},
            "label2id": {label: i for i, label in enumerate(self.labels)},
            "training": self.training.to_dict() if self.training is not None else {},
        }

    def save_config(self, folder: Path) -> None:
        """Write ``config.json`` alone: for a record updated after training, weights untouched.

        The text goes to a temporary file renamed over the old config, so a full disk or a
        kill mid-write leaves the old config whole rather than a truncated one that would
        make the model unloadable; the old file's mode carries over, as writing in place kept it.
        """
        path = folder / CONFIG_NAME
        temporary = folder / f".{CONFIG_NAME}.{secrets.token_hex(4)}"
        try:
            temporary.write_text(
                json.dumps(self.config_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
            if path.exists():
                shutil.copymode(path, temporary)
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

    def save_pretrained(
        self, folder: str | Path, card: str | None = None, extra_files: Callable[[Path], object] | None = None
    ) -> Path:
        """Write the model folder (created if needed); ``card`` becomes README.md.

        The files are written into a new folder beside ``folder`` and swapped in whole
        (:func:`_written_whole`), so ``folder`` holds the old model or the new one at every
        moment: a crash, a kill or a full disk part-way through ``--overwrite`` leaves the old
        model loadable, never new weights beside the old config. ``extra_files`` is called
        with that new folder before the swap, to write files that belong to this model (a
        card's images), so they appear with it or not at all. Files of an existing ``folder``
        that this save does not write (a user's own, a card not rewritten) are kept.
        """
        folder = Path(folder)
        with _written_whole(folder.resolve()) as staging:
            state = {k: v.detach().to("cpu").contiguous() for k, v in self.model.state_dict().items()}
            save_file(state, staging / WEIGHTS_NAME, metadata={"format": "pt"})
            self.save_config(staging)
            # safetensors creates its file owner-only (0600) whatever the umask; give it the
            # mode config.json got, so a server running as another user (a container's
            # non-root user, a service account) can read the folder it was handed.
            shutil.copymode(staging / CONFIG_NAME, staging / WEIGHTS_NAME)
            if card is not None:
                (staging / CARD_NAME).write_text(card, encoding="utf-8")
            if extra_files is not None:
                extra_files(staging)
        return folder

    @classmethod
    def from_pretrained(
        cls, name_or_path: str | Path, revision: str | None = None, device: str | torch.device = "cpu"
    ) -> PretrainedClassifier:
        """Load from a local model folder, or a Hub repo id (optionally at ``revision``)."""
        from seqclf.hub import resolve_model_dir  # the Hub client is only needed for repo ids

        return cls.from_folder(resolve_model_dir(name_or_path, revision), device=device)

    @classmethod
    def from_folder(cls, folder: Path, device: str | torch.device = "cpu") -> PretrainedClassifier:
        config = read_config(folder)
        try:
            model_config = ModelConfig.from_dict(config["model"])
            encoder = encoder_from_dict(config["encoder"])
            labels = [config["id2label"][str(i)] for i in range(len(config["id2label"]))]
        except (KeyError, TypeError, ConfigError) as err:
            raise ModelLoadError(f"{folder / CONFIG_NAME} is inconsistent: {err}") from err
        if len(labels) != model_config.num_labels:
            raise ModelLoadError(
                f"{folder / CONFIG_NAME} lists {len(labels)} labels but the model has "
                f"{model_config.num_labels} outputs"
            )
        # The encoder decides the input layer (a vocabulary's size, a frame's width): a model
        # whose config says otherwise would fail on its first input, or index past its table.
        differ = {k: v for k, v in encoder.model_fields().items() if getattr(model_config, k) != v}
        if differ:
            raise ModelLoadError(
                f"{folder / CONFIG_NAME} is inconsistent: its encoder gives "
                + ", ".join(f"{k}={v!r}" for k, v in differ.items())
                + " but the model has "
                + ", ".join(f"{k}={getattr(model_config, k)!r}" for k in differ)
            )
        model = build_model(model_config)
        load_weights(model, folder / WEIGHTS_NAME)
        model.to(device).eval()
        record = config.get("training")
        training = TrainingRecord.from_dict(record, str(folder / CONFIG_NAME)) if record else None
        return cls(model, encoder, labels, config.get("task", "custom"), training)


@contextmanager
def _written_whole(target: Path) -> Iterator[Path]:
    """A new, empty folder beside ``target`` to write into; on leaving the block it becomes ``target``.

    Beside, so that it is on the same file system and renaming it is atomic. If the block
    raises, the new folder is removed and ``target`` is untouched. The new folder gets the
    mode a plain ``mkdir`` gives (or the old folder's), not ``mkdtemp``'s owner-only 0700,
    so a server running as another user can still read it.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"{target} is a file, not a model folder")
    staging = target.with_name(f".{target.name}.saving-{secrets.token_hex(4)}")
    staging.mkdir()
    try:
        yield staging
        _flush(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _swap_in(staging, target)


def _flush(folder: Path) -> None:
    """Make the files written into ``folder`` durable before it is renamed into place.

    A rename reaches the disk on its own schedule: without this, a power cut soon after a
    save could leave the renamed folder with empty files where the model was.
    """
    for path in [*sorted(folder.rglob("*")), folder]:
        if not path.is_symlink() and (path.is_file() or path.is_dir()):
            _fsync(path)


def _fsync(path: Path) -> None:
    """Wait until ``path`` (a file's data, or a folder's entries) is on the disk."""
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _swap_in(staging: Path, target: Path) -> None:
    """Put the folder ``staging`` at ``target``, replacing any folder there in one step.

    Entries of the old ``target`` that ``staging`` lacks (a user's files, a checkpoint the
    trainer removes next) are moved across first. Then the old folder is renamed aside, the
    new one into its place, and the old one removed; if anything fails on the way, each
    step is undone, so the old folder is back as it was and nothing of the user's is lost.
    """
    backup = target.with_name(f".{target.name}.replaced-{secrets.token_hex(4)}")
    moved: list[str] = []
    replaced = False
    try:
        if target.exists():
            shutil.copymode(target, staging)
            for name in sorted(os.listdir(target)):
                if not os.path.lexists(staging / name):
                    os.rename(target / name, staging / name)
                    moved.append(name)
            os.rename(target, backup)
            replaced = True
        os.rename(staging, target)
    except BaseException:
        if replaced:
            os.rename(backup, target)
        for name in moved:
            os.rename(staging / name, target / name)
        shutil.rmtree(staging)  # reached only once every moved entry is back: what is left is ours
        raise
    # The new model is in place; an old copy that will not go away wastes space, nothing more.
    shutil.rmtree(backup, ignore_errors=True)
    _fsync(target.parent)


def read_config(folder: Path) -> dict[str, Any]:
    """Read and check ``config.json``: that it exists, is a seqclf model and a known version."""
    path = Path(folder) / CONFIG_NAME
    if not path.is_file():
        raise ModelLoadError(
            f"{folder} is not a seqclf model folder: it has no {CONFIG_NAME}. "
            "Pass a folder written by `seqclf train` or a Hub repo id."
        )
    size = path.stat().st_size
    if size > MAX_CONFIG_BYTES:
        raise ModelLoadError(
            f"{path} is {size:,} bytes; seqclf reads configs of at most {MAX_CONFIG_BYTES:,} bytes"
        )
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelLoadError(f"{path} is not valid JSON: {err}") from err
    if not isinstance(config, dict) or config.get("library_name") != "seqclf":
        raise ModelLoadError(
            f'{path} does not describe a seqclf model (no "library_name": "seqclf"); '
            "seqclf can only load models it saved"
        )
    version = config.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise ModelLoadError(f"{path} has no valid format_version")
    if version > FORMAT_VERSION:
        raise ModelLoadError(
            f"{path} uses format version {version}; this seqclf reads up to "
            f"{FORMAT_VERSION}. Upgrade seqclf to load it."
        )
    return config


def load_weights(model: torch.nn.Module, path: Path) -> None:
    """Load safetensors weights strictly: same names, same shapes, nothing left over.

    The names and shapes are compared from the file's header before any tensor is read,
    so a file of the wrong size is refused without reading it (safetensors itself refuses
    a file its header does not cover exactly, so matching shapes bound its size).
    """
    if not path.is_file():
        raise ModelLoadError(f"{path} is missing: the model folder has no weights")
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    try:
        with safe_open(path, framework="pt") as weights:
            # a safe_open handle has keys() but is not iterable
            shapes = {k: tuple(weights.get_slice(k).get_shape()) for k in weights.keys()}  # noqa: SIM118
            _check_shapes(path, shapes, expected)
            state = {k: weights.get_tensor(k) for k in shapes}
    except (SafetensorError, OSError) as err:
        raise ModelLoadError(f"{path} is not a readable safetensors file: {err}") from err
    model.load_state_dict(state, strict=True)


def _check_shapes(
    path: Path, found: dict[str, tuple[int, ...]], expected: dict[str, tuple[int, ...]]
) -> None:
    """Refuse weights whose names or shapes differ from the architecture's."""
    missing = sorted(set(expected) - set(found))
    unexpected = sorted(set(found) - set(expected))
    wrong_shape = sorted(k for k in set(found) & set(expected) if found[k] != expected[k])
    if missing or unexpected or wrong_shape:
        details = []
        if missing:
            details.append(f"missing {missing}")
        if unexpected:
            details.append(f"unexpected {unexpected}")
        if wrong_shape:
            details.append(
                "wrong shape " + ", ".join(f"{k} {found[k]} != {expected[k]}" for k in wrong_shape)
            )
        raise ModelLoadError(f"{path} does not match the architecture in config.json: " + "; ".join(details))
