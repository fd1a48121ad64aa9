"""Naming the models to load: ``ID=PATH_OR_REPO[@REVISION]`` and the folders under ``models/``.

Shared by ``seqclf serve`` and the Gradio demo, so both take the same ``--model``
syntax and find the same shipped models in the same order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from seqclf.errors import ConfigError
from seqclf.network.pretrained import CONFIG_NAME
from seqclf.tasks import built_in_tasks

_MODEL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class ModelSpec:
    """A model to load: the id it goes by (URL, tab), where it comes from, the Hub revision."""

    id: str
    source: str
    revision: str | None = None

    @classmethod
    def parse(cls, text: str) -> ModelSpec:
        """Parse ``ID=PATH_OR_REPO[@REVISION]``; an existing local path keeps any ``@``."""
        model_id, sep, source = text.partition("=")
        model_id, source = model_id.strip(), source.strip()
        if not sep or not source:
            raise ConfigError(
                f"--model {text!r}: expected ID=PATH_OR_REPO[@REVISION], e.g. names=models/names"
            )
        revision = None
        if "@" in source and not Path(source).exists():
            source, revision = source.rsplit("@", 1)
            if not source or not revision:
                raise ConfigError(f"--model {text!r}: both a source and a revision are needed around '@'")
        return cls(check_model_id(model_id), source, revision)

    def __str__(self) -> str:
        return f"{self.source}@{self.revision}" if self.revision else self.source


def split_specs(value: object) -> object:
    """A variable's comma-separated specs as a list (``SEQCLF_MODELS``, ``SEQCLF_UI_MODEL``); a list as it is."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def check_model_id(model_id: str) -> str:
    if not _MODEL_ID.match(model_id):
        raise ConfigError(
            f"model id {model_id!r} must be 1-64 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit (it becomes part of URLs)"
        )
    return model_id


def _order(name: str) -> tuple[int, str]:
    # the shipped models come first, in the order of their tasks; any other model folder follows
    shipped = built_in_tasks()
    return (shipped.index(name) if name in shipped else len(shipped), name)


def discover(models_dir: Path) -> list[ModelSpec]:
    """Every model folder directly under ``models_dir`` (one with a config.json), by folder name.

    A folder still being trained has no config.json yet and is skipped.
    """
    if not models_dir.is_dir():
        return []
    folders = [folder for folder in models_dir.iterdir() if (folder / CONFIG_NAME).is_file()]
    return [
        ModelSpec(check_model_id(folder.name), str(folder))
        for folder in sorted(folders, key=lambda folder: _order(folder.name))
    ]
