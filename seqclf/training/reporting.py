"""Where a run's figures go besides the console: TensorBoard and MLflow (``--report-to``).

What the Hugging Face Trainer's ``report_to`` does, for the two trackers its users run
most: each epoch's training loss, learning rate and validation loss, accuracy and
macro-F1 at step = epoch, the hyperparameters, and the final test (or, without a test
part, validation) figures. Nothing is sent anywhere by default: TensorBoard writes event
files under ``<report_dir>/<run>``, MLflow a SQLite store ``<report_dir>/mlflow.db``
unless ``MLFLOW_TRACKING_URI`` names another (the user's own choice of server).

The metric names are TensorBoard's and MLflow's alike (``train/loss``, ``eval/loss``,
``eval/accuracy``, ``eval/macro_f1``, ``train/learning_rate``, ``test/accuracy``...), the
Trainer's convention; an ensemble's network ``k`` gets its own TensorBoard run
(``<run>/network-k``) and its own ``network-k/`` prefix in MLflow.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from seqclf.errors import ConfigError
from seqclf.record import EpochLog

#: tracker -> (the module it needs, the extra that installs it)
REPORTERS = {"tensorboard": ("tensorboard", "tensorboard"), "mlflow": ("mlflow", "mlflow")}
#: where the run directories go when no report_dir is given (TensorBoard's and the Trainer's habit)
REPORT_DIR = "runs"
#: MLflow's experiment for seqclf runs, unless MLFLOW_EXPERIMENT_NAME says otherwise
EXPERIMENT = "seqclf"
#: the longest parameter value MLflow stores
_MLFLOW_VALUE = 6000


def check_report_to(names: Iterable[str] | None) -> tuple[str, ...]:
    """The trackers named (``"tensorboard,mlflow"`` splits at commas), refused in one line
    if unknown or not installed: before any data is read."""
    chosen = tuple(
        dict.fromkeys(part.strip() for name in names or () for part in name.split(",") if part.strip())
    )
    unknown = [name for name in chosen if name not in REPORTERS]
    if unknown:
        raise ConfigError(f"--report-to {', '.join(unknown)}: not a tracker; choose {', '.join(REPORTERS)}")
    for name in chosen:
        module, extra = REPORTERS[name]
        if importlib.util.find_spec(module) is None:
            raise ConfigError(f"--report-to {name} needs {module}: pip install 'seqclf[{extra}]'")
    return chosen


def _metrics(entry: EpochLog) -> dict[str, float]:
    return {
        "train/loss": entry.train_loss,
        "train/learning_rate": entry.lr,
        "train/epoch_seconds": entry.seconds,
        "eval/loss": entry.val_loss,
        "eval/accuracy": entry.val_accuracy,
        "eval/macro_f1": entry.val_macro_f1,
    }


class Reporter(Protocol):
    """One tracker's side of a run."""

    def epoch(self, network: int, entry: EpochLog) -> None: ...

    def finish(self, figures: dict[str, float], failed: bool) -> None: ...


class TensorBoardReporter:
    """Event files through ``torch.utils.tensorboard``; read by ``tensorboard --logdir``."""

    def __init__(self, folder: Path, run: str, params: dict[str, Any], networks: int) -> None:
        from torch.utils.tensorboard import SummaryWriter

        runs = (
            [folder / run]
            if networks == 1
            else [folder / run / f"network-{k}" for k in range(1, networks + 1)]
        )
        self.writers = [SummaryWriter(log_dir=str(path)) for path in runs]
        table = "\n".join(
            ["| setting | value |", "| --- | --- |", *(f"| {k} | {v} |" for k, v in params.items())]
        )
        self.writers[0].add_text("hyperparameters", table)

    def epoch(self, network: int, entry: EpochLog) -> None:
        writer = self.writers[network - 1]
        for name, value in _metrics(entry).items():
            writer.add_scalar(name, value, global_step=entry.epoch)
        writer.flush()

    def finish(self, figures: dict[str, float], failed: bool) -> None:
        for name, value in figures.items():
            self.writers[0].add_scalar(name, value, global_step=0)
        for writer in self.writers:
            writer.close()


class MlflowReporter:
    """One MLflow run; the tracking store is the user's ``MLFLOW_TRACKING_URI`` or a local SQLite file."""

    def __init__(self, folder: Path, run: str, params: dict[str, Any], networks: int) -> None:
        from mlflow.tracking import MlflowClient

        uri = os.environ.get("MLFLOW_TRACKING_URI")
        if not uri:  # the local store; a tracking URI of the user's own is left as it is
            folder.mkdir(parents=True, exist_ok=True)
            uri = f"sqlite:///{(folder / 'mlflow.db').absolute()}"
        self.client = MlflowClient(tracking_uri=uri)
        name = os.environ.get("MLFLOW_EXPERIMENT_NAME", EXPERIMENT)
        experiment = self.client.get_experiment_by_name(name)
        experiment_id = experiment.experiment_id if experiment else self.client.create_experiment(name)
        self.run_id = self.client.create_run(experiment_id, run_name=run).info.run_id
        self.prefixes = [""] if networks == 1 else [f"network-{k}/" for k in range(1, networks + 1)]
        for key, value in params.items():
            self.client.log_param(self.run_id, key, str(value)[:_MLFLOW_VALUE])

    def epoch(self, network: int, entry: EpochLog) -> None:
        prefix = self.prefixes[network - 1]
        for name, value in _metrics(entry).items():
            self.client.log_metric(self.run_id, prefix + name, value, step=entry.epoch)

    def finish(self, figures: dict[str, float], failed: bool) -> None:
        for name, value in figures.items():
            self.client.log_metric(self.run_id, name, value)
        self.client.set_terminated(self.run_id, status="FAILED" if failed else "FINISHED")


_KINDS: dict[str, type[TensorBoardReporter] | type[MlflowReporter]] = {
    "tensorboard": TensorBoardReporter,
    "mlflow": MlflowReporter,
}


class Reports:
    """The trackers of one run, told about each epoch and, at the end, the final figures."""

    def __init__(self, reporters: Sequence[Reporter]) -> None:
        self.reporters = list(reporters)
        self.figures: dict[str, float] = {}

    def epoch(self, network: int, entry: EpochLog) -> None:
        for reporter in self.reporters:
            reporter.epoch(network, entry)


@contextmanager
def reports(
    names: Sequence[str], folder: Path | str, run: str, params: dict[str, Any], networks: int
) -> Iterator[Reports]:
    """Open the named trackers for one run; close them when it ends (as failed, if it raised).

    The caller sets ``figures`` on the yielded :class:`Reports` once the model is scored.
    """
    opened = Reports([_KINDS[name](Path(folder), run, params, networks) for name in names])
    failed = True
    try:
        yield opened
        failed = False
    finally:
        for reporter in opened.reporters:
            reporter.finish(opened.figures, failed)
