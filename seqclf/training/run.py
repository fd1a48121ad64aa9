"""One training run from data to a published-ready model folder.

Reads and splits the task's data, fits the encoder on the training split, trains,
scores the best weights on the test split, and writes config.json,
model.safetensors, the confusion-matrix image and the model card.
"""

from __future__ import annotations

import functools
import os
import platform
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import chain, zip_longest
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from tqdm.auto import tqdm

from seqclf.cards.card import draw_images, render_card
from seqclf.config import ModelConfig, TrainConfig, check_settings
from seqclf.data.encoded import Encoded
from seqclf.data.hub_data import local_data
from seqclf.data.ondisk import encode_all
from seqclf.data.splits import Examples, Splits
from seqclf.encoders import Encoder
from seqclf.errors import ConfigError, DataError
from seqclf.evaluation.baselines import budget, comparison, fit_baseline
from seqclf.evaluation.evaluate import evaluate
from seqclf.evaluation.metrics import classification_metrics
from seqclf.inference.batching import batched_logits
from seqclf.install import VERSION
from seqclf.modalities import modality_named
from seqclf.network.ensemble import EnsembleClassifier
from seqclf.network.model import SequenceClassifier
from seqclf.network.pretrained import PretrainedClassifier
from seqclf.record import IN_MEMORY, BaselineResult, EpochLog, NetworkRecord, TrainingRecord
from seqclf.tasks import get_task, own_data_tasks
from seqclf.tasks.base import Task
from seqclf.tasks.recipe import Recipe
from seqclf.training import distributed
from seqclf.training.checkpoint import CHECKPOINT_FILE, require
from seqclf.training.folds import per_class_folds, pooled
from seqclf.training.reporting import REPORT_DIR, check_report_to, reports
from seqclf.training.trainer import TrainState, seed_everything, train_model


class _Progress(Sequence):
    """A sequence that shows a progress bar (on a terminal) each time it is iterated.

    Reading and feature extraction take a while before the first epoch (decoding audio
    above all); encoders iterate their inputs themselves, so the bar travels with them.
    """

    def __init__(self, items: Sequence[Any], what: str) -> None:
        self.items, self.what = items, what

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: Any) -> Any:  # an int or a slice, as Sequence has it
        return self.items[index]

    def __iter__(self) -> Iterator[Any]:
        return iter(tqdm(self.items, desc=self.what, unit="example", leave=False, disable=None))


def _encode(encoder: Encoder, examples: Examples, what: str) -> Sequence[torch.Tensor]:
    bar = functools.partial(_Progress, what=f"encoding {what}")
    return encode_all(examples.inputs, encoder.encode, f"encoded-{what.replace(' ', '-')}", bar)


def _labelled(sequences: Sequence[torch.Tensor], examples: Examples, labels: list[str]) -> Encoded:
    index = {label: i for i, label in enumerate(labels)}
    return Encoded(sequences, np.fromiter(map(index.__getitem__, examples.labels), np.int32, len(examples)))


#: test inputs a text model keeps in its record, for the demo to offer (:func:`kept_examples`)
KEPT_EXAMPLES = 8
#: a longer test input is not kept: an example to click is a line, not a document
KEPT_EXAMPLE_CHARS = 200


def kept_examples(test: Examples, encoder: Encoder) -> list[str]:
    """A few test inputs for the model's record, each label in turn, so every class shows up.

    Only for kinds of input that keep examples (:attr:`Modality.keeps_examples`: text), and
    only short ones; the demo offers them where it has no examples of its own for the model.
    """
    if not modality_named(encoder.modality_name).keeps_examples:
        return []
    by_label: dict[str, list[str]] = {}
    distinct: dict[str, set[str]] = {}
    for text, label in zip(test.inputs, test.labels, strict=True):
        # Of a label's first 2 x KEPT_EXAMPLES distinct texts at most KEPT_EXAMPLES repeat texts
        # taken before, so the list below is full before it reaches any text after them: a
        # pass over millions of test texts keeps a few per label, and the list is the same.
        seen = distinct.setdefault(label, set())
        usable = isinstance(text, str) and text.strip() and len(text) <= KEPT_EXAMPLE_CHARS
        if usable and len(seen) < 2 * KEPT_EXAMPLES:
            by_label.setdefault(label, []).append(text.strip())
            seen.add(text.strip())
    taken = chain.from_iterable(zip_longest(*(by_label[label] for label in sorted(by_label))))
    return list(dict.fromkeys(text for text in taken if text is not None))[:KEPT_EXAMPLES]


def _threads(n: int) -> str:
    return "1 thread" if n == 1 else f"{n} threads"


def device_description(device: torch.device) -> str:
    if device.type == "cuda":
        one = torch.cuda.get_device_name(device)
    else:
        one = f"CPU ({platform.processor() or platform.machine()}, {_threads(torch.get_num_threads())})"
    processes = distributed.world_size()
    return f"{processes} processes x {one}" if processes > 1 else one


def check_out(out: Path, replacing: bool) -> None:
    """Refuse, before any work, an ``out`` the model could not be written to or would clobber."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file: give a folder for the model")
    if out.is_dir() and not replacing:
        kept = sorted(p.name for p in out.iterdir() if not p.name.startswith(CHECKPOINT_FILE.split(".")[0]))
        if kept:
            raise ConfigError(
                f"{out} already holds {', '.join(kept[:3])}{' ...' if len(kept) > 3 else ''}: give a new "
                "--out, or --overwrite to write the model there anyway"
            )
    try:  # the folder above is made now (the model's own folder only once training succeeds)
        out.absolute().parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"cannot write {out}: {err.strerror or err}") from None
    if not os.access(out.absolute().parent, os.W_OK):
        raise ConfigError(f"cannot write {out}: {out.absolute().parent} is not writable")


@dataclass(frozen=True)
class MemberData:
    """One network's encoded ``(sequence, label id)`` pairs to train and to stop early on.

    ``train`` starts with the encoded training examples and goes on with any augmented
    copies; ``held_out`` is where each validation pair sits in the pool of training and
    validation examples (cross-validated members only).
    """

    train: Encoded
    validation: Encoded
    held_out: list[int]


def _member_data(
    task: Task,
    encoder: Encoder,
    splits: Splits,
    labels: list[str],
    ensemble: int,
    config: TrainConfig,
    cross_validated: bool,
) -> tuple[list[MemberData], tuple[Encoded, Encoded]]:
    """Each network's examples (the same split for all, or a fold each: :mod:`seqclf.training.folds`),
    and the standard split's training and validation examples encoded."""
    if not cross_validated:
        augmented = task.augment(splits.train, config.seed, config.augment_copies)
        train = _labelled(_encode(encoder, augmented, "training examples"), augmented, labels)
        validation = _labelled(_encode(encoder, splits.validation, "validation"), splits.validation, labels)
        return [MemberData(train, validation, [])] * ensemble, (train[: len(splits.train)], validation)
    pool = pooled(splits.train, splits.validation)
    encoded = _labelled(_encode(encoder, pool, "training and validation examples"), pool, labels)
    fold_of = per_class_folds(pool.labels, ensemble, config.seed)
    members = []
    for i in range(ensemble):
        kept = [j for j, fold in enumerate(fold_of) if fold != i]
        held_out = [j for j, fold in enumerate(fold_of) if fold == i]
        # the task's copies follow the originals (Task.augment); only the copies are new work
        augmented = task.augment(pool.subset(kept), config.seed + i, config.augment_copies)
        copies = augmented.subset(list(range(len(kept), len(augmented))))
        train = encoded.subset(kept)
        if len(copies):  # a task that adds none (text) has nothing to encode
            train += _labelled(_encode(encoder, copies, f"augmented copies {i + 1}"), copies, labels)
        members.append(MemberData(train, encoded.subset(held_out), held_out))
    return members, (encoded[: len(splits.train)], encoded[len(splits.train) :])


def _out_of_fold(
    networks: list[SequenceClassifier], members: list[MemberData], labels: list[str]
) -> dict[str, Any]:
    """Cross-validated members' validation figures: each example scored by the network that held it out."""
    true, predicted = [], []
    for network, member in zip(networks, members, strict=True):
        logits = batched_logits(network, member.validation.sequences)
        true += member.validation.label_ids.tolist()
        predicted += logits.argmax(-1).tolist()
    report = classification_metrics(true, predicted, labels)
    return {k: report[k] for k in ("num_examples", "accuracy", "macro_f1")}


def checkpoint_paths(folder: Path, ensemble: int) -> list[Path]:
    """One checkpoint file per network: ``checkpoint.pt``, or ``checkpoint-1.pt``... for an ensemble."""
    if ensemble < 1:
        raise ConfigError(f"ensemble must be at least 1 (one network), got {ensemble}")
    if ensemble == 1:
        return [folder / CHECKPOINT_FILE]
    stem, suffix = CHECKPOINT_FILE.rsplit(".", 1)
    return [folder / f"{stem}-{i + 1}.{suffix}" for i in range(ensemble)]


def run_training(
    task: Task | str,
    data: Path | str | Examples,
    out: Path | None,
    *,
    model: dict[str, Any] | None = None,
    train: dict[str, Any] | None = None,
    reader_options: dict[str, Any] | None = None,
    command: str = "seqclf train",
    device: torch.device | None = None,
    log: Callable[[str], None] = tqdm.write,
    resume: bool = False,
    checkpoint_dir: Path | None = None,
    checkpoint_steps: int = 0,
    overwrite: bool = False,
    baseline: bool = True,
    report_to: Sequence[str] = (),
    report_dir: Path | str = REPORT_DIR,
    description: str | None = None,
) -> PretrainedClassifier:
    """Train ``task`` on ``data`` and save the model folder to ``out``; one run end to end.

    The defaults are the task's recipe (:meth:`Task.recipe`: tuned for a built-in task,
    chosen from the data for ``text``, ``audio`` and ``series``; each choice is logged and
    recorded); ``model`` and ``train`` replace single fields of its
    :class:`~seqclf.config.ModelConfig` and :class:`~seqclf.config.TrainConfig`.
    ``reader_options`` go to the task's reader (a ``text`` table's columns, a test file,
    ``{"test_speakers": ["theo"]}`` for digits) and are recorded with the split, so
    ``seqclf evaluate`` rebuilds the same one.

    ``out`` is checked before any work: an existing file, an unwritable place, or a folder
    already holding files (a model, say) is refused unless ``overwrite``. The training
    state is checkpointed to ``checkpoint_dir`` (default: ``out``) after every epoch (and
    every ``checkpoint_steps`` optimiser steps, when given) and removed once the model folder
    is written; ``resume`` continues from it, mid-epoch from the step after the last one. With ``out``
    None (the scikit-learn estimator, which saves only when asked) nothing is written
    and nothing checkpointed: the returned classifier is the run's only result. Inside a
    torchrun job (:func:`seqclf.training.distributed.process_group`) every process trains
    and only rank 0 logs and writes files. With ``baseline`` (the default), the
    practitioner's first model is fitted and scored on the same split
    (:mod:`seqclf.evaluation.baselines`), logged beside the model's figures and recorded.
    ``report_to`` names trackers (``tensorboard``, ``mlflow``) that get each epoch's figures
    and the final ones, in a run directory under ``report_dir``
    (:mod:`seqclf.training.reporting`).
    ``description`` says what the model is for, in the trainer's words: the card's title and
    the demo's tab say it (:func:`seqclf.cards.card.describe`); a text model also keeps a few
    test inputs for the demo (:func:`kept_examples`).
    """
    log = distributed.main_only(log)
    task = task if isinstance(task, Task) else get_task(task)
    check_settings(model or {}, train or {})  # a bad setting is refused before any data is read
    device = device or torch.device("cpu")
    report_to = check_report_to(report_to)
    if out is not None:
        check_out(Path(out), resume or overwrite)
    elif resume or checkpoint_dir is not None:
        raise ConfigError("a run that writes no model folder (out=None) keeps no checkpoints to resume")
    tracked = report_to if distributed.is_main_process() else ()
    run_name = f"{Path(out).name if out is not None else task.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    with reports(tracked, report_dir, run_name, log) as tracking:
        if tracked:
            log(f"reporting to {', '.join(tracked)} under {report_dir} (run {run_name})")

        def checkpoints_of(ensemble: int) -> list[Path | None]:
            if out is None:
                return [None] * ensemble
            return list(checkpoint_paths(Path(checkpoint_dir or out), ensemble))

        def prepare() -> RunInputs:
            splits, data_path = _read(task, data, reader_options, log)
            recipe, architecture, train_config = _settings(task, splits, model or {}, train or {}, log)
            checkpoints = checkpoints_of(architecture.get("ensemble", 1))
            if resume:
                require(checkpoints[0])
            elif any(path is not None and path.exists() for path in checkpoints):
                log(
                    f"starting afresh; checkpoints in {Path(checkpoint_dir or out)} from an earlier run will "
                    "be overwritten (--resume continues them)"
                )
            labels = _labels(task, splits, log)
            prepared = _prepare(task, splits, labels, recipe, architecture, train_config, log)
            return RunInputs(splits, data_path, recipe, train_config, labels, prepared)

        # under torchrun, rank 0 reads and encodes the data; the others get what they train on
        splits, data_path, recipe, train_config, labels, prepared = distributed.made_by_main_process(
            prepare, RunInputs.for_other_processes
        )
        if not distributed.is_main_process():
            seed_everything(train_config.seed)  # as rank 0's _prepare: each network starts alike
        checkpoints = checkpoints_of(prepared.config.ensemble)
        tracking.start(
            {**prepared.config.to_dict(), **train_config.to_dict(), "task": task.name},
            prepared.config.ensemble,
        )
        networks, results = _train_networks(
            task,
            prepared,
            recipe,
            train_config,
            device,
            checkpoints,
            resume,
            log,
            tracking.epoch,
            checkpoint_steps,
        )
        config = prepared.config
        classifier = EnsembleClassifier(config, networks) if config.ensemble > 1 else networks[0]
        pretrained = PretrainedClassifier(classifier, prepared.encoder, labels, task.name)
        if not distributed.is_main_process():
            return pretrained
        seconds = sum(result.seconds for result in results)
        validation, test, compared = _score(pretrained, networks, prepared, splits, seconds, baseline, log)
        final, part = (test, "test") if test is not None else (validation, "validation")
        tracking.figures = {f"{part}/{k}": final[k] for k in ("accuracy", "macro_f1")}
    pretrained.training = TrainingRecord(
        command=command,
        data_path=data_path,
        data_notes=task.data_notes + (" This run held out no test part (test=0)." if test is None else ""),
        out=None if out is None else str(out),
        split=splits.info,
        hyperparameters=train_config.to_dict(),
        networks=[
            NetworkRecord(seed=train_config.seed + i, best_epoch=r.best_epoch, history=r.history)
            for i, r in enumerate(results)
        ],
        train_seconds=round(seconds, 1),
        device=device_description(device),
        torch_version=torch.__version__,
        seqclf_version=VERSION,
        validation={k: validation[k] for k in ("num_examples", "accuracy", "macro_f1")},
        test=test,
        recipe=recipe.reasons,
        baseline=compared,
        description=" ".join((description or "").split()) or None,  # one line: the card's title
        examples=kept_examples(splits.test if len(splits.test) else splits.validation, prepared.encoder),
    )
    if out is not None:
        write_model(pretrained, Path(out), task)
        for path in checkpoints:
            path.unlink(missing_ok=True)
    return pretrained


def _read(
    task: Task, data: Path | str | Examples, options: dict[str, Any] | None, log: Callable[[str], None]
) -> tuple[Splits, str]:
    """The task's splits of ``data``, and the data's path as the record names it."""
    if isinstance(data, Examples):  # from seqclf.fit
        if not task.own_data:
            raise ConfigError(f"data in memory trains {', '.join(own_data_tasks())}, not {task.name}")
        return task.load_splits(data, options), IN_MEMORY
    # a Hub dataset (hf://datasets/...) is fetched here and recorded pinned to its commit
    source, data_path = local_data(data, log)
    return task.load_splits(source, options), data_path


def _settings(
    task: Task, splits: Splits, model: dict[str, Any], train: dict[str, Any], log: Callable[[str], None]
) -> tuple[Recipe, dict[str, Any], TrainConfig]:
    """The recipe (each choice logged), and the architecture and training settings it and the user make."""
    recipe = task.reconcile(task.recipe(splits), model)
    for reason in recipe.reasons:
        log(reason)
    if model or train:
        log(
            "your settings (they replace the defaults above): "
            + ", ".join(f"{k}={v}" for k, v in {**model, **train}.items())
        )
    return recipe, {**recipe.model, **model}, replace(recipe.train, **train)


def _labels(task: Task, splits: Splits, log: Callable[[str], None]) -> list[str]:
    labels = sorted(set(splits.train.labels))
    missing = sorted(set(splits.validation.labels + splits.test.labels) - set(labels))
    if missing:
        raise DataError(f"labels {missing} occur in validation/test but not in training data")
    log(
        f"{task.name}: {len(splits.train):,} train / {len(splits.validation):,} validation / "
        f"{len(splits.test):,} test examples, {len(labels)} labels"
    )
    return labels


@dataclass(frozen=True)
class RunData:
    """The run's data encoded once: each network's examples, the standard split's, the test part's."""

    encoder: Encoder
    config: ModelConfig
    members: list[MemberData]
    standard: tuple[Encoded, Encoded] | tuple[()]  # () in torchrun's other processes
    test: Sequence[torch.Tensor]
    cross_validated: bool


def _prepare(
    task: Task,
    splits: Splits,
    labels: list[str],
    recipe: Recipe,
    architecture: dict[str, Any],
    train_config: TrainConfig,
    log: Callable[[str], None],
) -> RunData:
    """Fit the encoder, make the architecture's config, encode every part."""
    seed_everything(train_config.seed)
    cross_validated = train_config.cross_validate and architecture.get("ensemble", 1) > 1
    fit_on = pooled(splits.train, splits.validation) if cross_validated else splits.train
    encoder = task.build_encoder(
        Examples(_Progress(fit_on.inputs, "fitting the encoder"), fit_on.labels),
        also_reads=[part for part in (splits.validation, splits.test) if part is not None],
        **recipe.encoder,
    )
    config = replace(ModelConfig(num_labels=len(labels), **encoder.model_fields()), **architecture)
    members, standard = _member_data(
        task, encoder, splits, labels, config.ensemble, train_config, cross_validated
    )
    if cross_validated:
        splits.info["cross_validated"] = config.ensemble
        log(
            f"cross-validated: each of the {config.ensemble} networks stops early on its own "
            f"1/{config.ensemble} of the {len(fit_on):,} training and validation examples and trains on the rest"
        )
    # The test inputs are read now, not after training: a bad file among them is reported
    # before any time is spent, and before anything is written to the output folder.
    test = _encode(encoder, splits.test, "test")
    return RunData(encoder, config, members, standard, test, cross_validated)


class RunInputs(NamedTuple):
    """What reading and preparing the data gives a run, made once (:func:`run_training`)."""

    splits: Splits | None
    data_path: str
    recipe: Recipe
    train_config: TrainConfig
    labels: list[str]
    data: RunData

    def for_other_processes(self) -> RunInputs:
        """What a torchrun process other than rank 0 needs to train: the networks' examples.

        Not the split, the scored parts or word vectors (DDP gives every process rank 0's
        initial weights, pretrained rows included): for data on disk, the rest would be
        index arrays of every row, sent for nothing.
        """
        encoder_options = {k: v for k, v in self.recipe.encoder.items() if k != "vectors"}
        recipe = Recipe(self.recipe.model, self.recipe.train, [], encoder_options)
        data = replace(self.data, standard=(), test=[])
        return RunInputs(None, self.data_path, recipe, self.train_config, self.labels, data)


def _train_networks(
    task: Task,
    prepared: RunData,
    recipe: Recipe,
    train_config: TrainConfig,
    device: torch.device,
    checkpoints: list[Path | None],
    resume: bool,
    log: Callable[[str], None],
    on_epoch: Callable[[int, EpochLog], None],
    checkpoint_steps: int = 0,
) -> tuple[list[SequenceClassifier], list[TrainState]]:
    """An ensemble's networks, trained one after another.

    Network i is initialised, shuffled and dropped out from seed + i, with its own early
    stopping and checkpoint file (and, cross-validated, its own examples); each epoch's
    log goes to ``on_epoch`` with the network's number (from 1).
    """
    networks, results = [], []
    ensemble = prepared.config.ensemble
    for i, member in enumerate(prepared.members):
        member_train = replace(train_config, seed=train_config.seed + i)
        if i > 0:  # network 0 keeps the state seeded before, as a single-network run does
            seed_everything(member_train.seed)
        if ensemble > 1:
            log(f"network {i + 1} of {ensemble} (seed {member_train.seed})")
        network = SequenceClassifier(replace(prepared.config, ensemble=1))
        task.init_model(network, prepared.encoder, log=log, **recipe.encoder)
        # On resume, networks that had not started yet have no checkpoint and start afresh.
        resume_this = resume and checkpoints[i] is not None and checkpoints[i].exists()
        results.append(
            train_model(
                network,
                member.train,
                member.validation,
                member_train,
                device,
                log=log,
                checkpoint=checkpoints[i],
                resume=resume_this,
                on_epoch=functools.partial(on_epoch, i + 1),
                checkpoint_steps=checkpoint_steps,
            )
        )
        networks.append(network)
    return networks, results


def _score(
    pretrained: PretrainedClassifier,
    networks: list[SequenceClassifier],
    prepared: RunData,
    splits: Splits,
    seconds: float,
    baseline: bool,
    log: Callable[[str], None],
) -> tuple[dict[str, Any], dict[str, Any] | None, BaselineResult | None]:
    """Validation and test figures, and the baseline's on the same split, logged side by side
    (no test figures and no baseline where no test part was held out)."""
    train_part, validation_part = (part.sequences for part in prepared.standard)
    validation = (
        _out_of_fold(networks, prepared.members, pretrained.labels)
        if prepared.cross_validated
        else evaluate(pretrained, splits.validation, validation_part)
    )
    if not len(splits.test):
        log(
            f"validation: accuracy {validation['accuracy']:.4f}  macro-F1 {validation['macro_f1']:.4f}  "
            f"({seconds:.0f} s training); no test part was held out (test=0), so no test figures or baseline"
        )
        return validation, None, None
    test = evaluate(pretrained, splits.test, prepared.test)
    log(f"test: accuracy {test['accuracy']:.4f}  macro-F1 {test['macro_f1']:.4f}  ({seconds:.0f} s training)")
    if not baseline:
        return validation, test, None
    compared = fit_baseline(
        pretrained.encoder,
        splits,
        splits.test,
        pretrained.labels,
        budget(seconds),
        sequences=(train_part, validation_part, prepared.test),
    )
    for line in comparison(test["accuracy"], test["macro_f1"], seconds, compared):
        log(line)
    return validation, test, compared


def write_model(pretrained: PretrainedClassifier, out: Path, task: Task | None = None) -> None:
    """The model folder, card and images in one swap (a run's, or an estimator's ``save``)."""
    card = render_card(pretrained, out.name, task=task)  # before writing anything: no half-written folder
    try:  # the images go into the folder before it is swapped in, so they always match its model
        pretrained.save_pretrained(out, card=card, extra_files=lambda folder: draw_images(pretrained, folder))
    except OSError as err:  # a full disk, a folder removed meanwhile: the checkpoint stays for --resume
        raise ConfigError(f"could not write the model to {out}: {err}") from err
