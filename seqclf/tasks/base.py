"""What a task is: how to read its data, split it, encode it, and its default recipe.

A task ties a data format to an encoder and to the hyperparameters that work for it,
so ``seqclf train TASK --data PATH --out DIR`` alone gives a good model. Tasks
register themselves by ``name`` (:mod:`seqclf.tasks` imports them, in the order their
shipped models are listed); the CLI, ``seqclf.fit`` and the model listing read the
registry, so a new task is one new module.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

from seqclf.config import TrainConfig
from seqclf.data.splits import Examples, Splits
from seqclf.encoders import Encoder
from seqclf.errors import ConfigError
from seqclf.tasks.recipe import Recipe

_TASKS: dict[str, Task] = {}


class Task(ABC):
    name: ClassVar[str]
    description: ClassVar[str]
    #: the Hub's pipeline tag: "text-classification" or "audio-classification"
    pipeline_tag: ClassVar[str]
    #: data provenance for model cards: name, url, license, citation
    dataset: ClassVar[dict[str, str]]
    #: how the reader cleans the data (deduplication, label rules), for the model card
    data_notes: ClassVar[str] = ""
    #: SPDX-style license id for the model card's metadata
    license: ClassVar[str] = "other"
    #: what the model must not be used for, and its known blind spots (model card)
    limitations: ClassVar[str] = ""
    #: one input as a Python literal (e.g. ``'"Nakamura"'``), for the model card's usage snippets
    example_input: ClassVar[str] = '"..."'
    #: ModelConfig fields that differ from its defaults for this task
    model_defaults: ClassVar[dict[str, Any]] = {}
    train_defaults: ClassVar[TrainConfig] = TrainConfig()
    #: whether it reads the user's own files (and data in memory, ``seqclf.fit``) rather than
    #: one data set's layout
    own_data: ClassVar[bool] = False
    #: reader options ``seqclf train`` may pass (through ``split``), e.g. ``("text_column",)``
    data_options: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            _TASKS[cls.name] = cls()

    @abstractmethod
    def load_splits(self, data: Path, split: dict[str, Any] | None = None) -> Splits:
        """Read ``data`` and split it; ``split`` is the ``info`` a previous call recorded."""

    @abstractmethod
    def build_encoder(self, train: Examples, **options: Any) -> Encoder:
        """Fit the task's encoder on the training split (``options``: the recipe's ``encoder``).

        A run also passes ``also_reads``, the other parts it will encode (validation, test): a
        length cap chosen from the data must cover them, or the run would refuse its own test
        file after training. Only their lengths may be read, never their words or labels.
        """

    def recipe(self, splits: Splits) -> Recipe:
        """The defaults to train with: the task's tuned recipe, or one chosen from ``splits``."""
        return Recipe(dict(self.model_defaults), self.train_defaults)

    def reconcile(self, recipe: Recipe, model: dict[str, Any]) -> Recipe:
        """The recipe once the user's ``model`` fields are known; a task whose defaults depend
        on one of them (text's default word vectors fix the embedding width) adjusts here."""
        return recipe

    def read(self, data: Path, split: dict[str, Any] | None = None) -> Examples:
        """Every labelled example of ``data`` (``seqclf evaluate --split all``), where a task can."""
        raise ConfigError(
            f"--split all is for models trained with {', '.join(own_data_tasks())}, not {self.name}"
        )

    def augment(self, train: Examples, seed: int, copies: int = 0) -> Examples:
        """The examples to train on: ``train`` itself unless a task adds perturbed copies.

        A task whose users send inputs unlike its data (other voices, noisy rooms) can
        add random variants here, after the originals (which come first, in order);
        ``copies`` is how many per example the run asks for (``augment_copies``), which a
        task with its own recipe of variants may ignore. The encoder is fitted on the
        originals alone, and validation and test examples are never perturbed.
        """
        return train

    def init_model(self, model: Any, encoder: Encoder, log: Any = print, **options: Any) -> None:
        """Set initial weights before training, e.g. pretrained word vectors; default: none.

        ``options`` are the recipe's encoder settings (:attr:`Recipe.encoder`), as
        :meth:`build_encoder` got them.
        """
        return None


def get_task(name: str) -> Task:
    if name not in _TASKS:
        raise ConfigError(f"unknown task {name!r}: choose one of {', '.join(sorted(_TASKS))}")
    return _TASKS[name]


def task_names() -> list[str]:
    """Every registered task, in the order registered (:mod:`seqclf.tasks`)."""
    return list(_TASKS)


def own_data_tasks() -> list[str]:
    """The tasks that read the user's own data: ``text``, ``audio``, ``series``."""
    return [name for name, task in _TASKS.items() if task.own_data]


def built_in_tasks() -> list[str]:
    """The tasks with a recipe of their own, in the order their shipped models are listed."""
    return [name for name, task in _TASKS.items() if not task.own_data]
