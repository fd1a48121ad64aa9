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
from collections.abc import Callable, Iterable, Iterator, Sequence
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


def check_report_to(names: str | Iterable[str] | None) -> tuple[str, ...]:
    """The trackers named (``"tensorboard,mlflow"`` splits at commas; one name may be a plain
    string, as the Trainer's ``report_to`` takes it), refused in one line if unknown or not
    installed: before any data is read."""
    names = [names] if isinstance(names, str) else list(names or ())
    chosen = tuple(dict.fromkeys(part.strip() for name in names for part in name.split(",") if part.strip()))
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
    """One tracker's side of a run: opened before the data is read, told the settings once known."""

    def start(self, params: dict[str, Any], networks: int) -> None: ...

    def epoch(self, network: int, entry: EpochLog) -> None: ...

    def finish(self, figures: dict[str, float], failed: bool) -> None: ...


class TensorBoardReporter:
    """Event files through ``torch.utils.tensorboard``; read by ``tensorboard --logdir``.

    The run's settings and final figures go to ``<run>`` itself; an ensemble's network
    ``k`` logs its epochs to ``<run>/network-k``, a run of its own beside the others.
    """

    def __init__(self, folder: Path, run: str) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.root = folder / run
        self.root.mkdir(parents=True, exist_ok=True)  # an unwritable place fails here, before the data
        self.writers = {0: SummaryWriter(log_dir=str(self.root))}
        self.networks = 1

    def _writer(self, network: int) -> Any:
        from torch.utils.tensorboard import SummaryWriter

        key = 0 if self.networks == 1 else network
        if key not in self.writers:
            self.writers[key] = SummaryWriter(log_dir=str(self.root / f"network-{network}"))
        return self.writers[key]

    def start(self, params: dict[str, Any], networks: int) -> None:
        self.networks = networks
        table = "\n".join(
            ["| setting | value |", "| --- | --- |", *(f"| {k} | {v} |" for k, v in params.items())]
        )
        self.writers[0].add_text("hyperparameters", table)

    def epoch(self, network: int, entry: EpochLog) -> None:
        writer = self._writer(network)
        for name, value in _metrics(entry).items():
            writer.add_scalar(name, value, global_step=entry.epoch)
        writer.flush()

    def finish(self, figures: dict[str, float], failed: bool) -> None:
        for name, value in figures.items():
            self.writers[0].add_scalar(name, value, global_step=0)
        for writer in self.writers.values():
            writer.close()


class MlflowReporter:
    """One MLflow run; the tracking store is the user's ``MLFLOW_TRACKING_URI`` or a local SQLite file."""

    def __init__(self, folder: Path, run: str) -> None:
        from mlflow.tracking import MlflowClient

        uri, artifacts = os.environ.get("MLFLOW_TRACKING_URI"), None
        if (
            not uri
        ):  # the local store, its artifacts beside it; a tracking URI of the user's own is left as it is
            folder.mkdir(parents=True, exist_ok=True)
            uri = f"sqlite:///{(folder / 'mlflow.db').absolute()}"
            artifacts = (folder / "mlartifacts").absolute().as_uri()
        self.client = MlflowClient(tracking_uri=uri)
        name = os.environ.get("MLFLOW_EXPERIMENT_NAME", EXPERIMENT)
        experiment = self.client.get_experiment_by_name(name)
        experiment_id = (
            experiment.experiment_id if experiment else self.client.create_experiment(name, artifacts)
        )
        self.run_id = self.client.create_run(experiment_id, run_name=run).info.run_id
        self.prefixes = [""]

    def start(self, params: dict[str, Any], networks: int) -> None:
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


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0]


class Reports:
    """The trackers of one run. A tracker that fails mid-run is dropped with one warning:
    the training, its checkpoints and its model folder matter more than a chart."""

    def __init__(self, reporters: dict[str, Reporter], log: Callable[[str], None]) -> None:
        self.reporters = reporters
        self.log = log
        self.figures: dict[str, float] = {}

    def _each(self, call: Callable[[Reporter], None]) -> None:
        for name, reporter in list(self.reporters.items()):
            try:
                call(reporter)
            except Exception as err:  # a tracker's server gone, a disk full: any of its errors
                del self.reporters[name]
                self.log(f"warning: --report-to {name} stopped reporting: {_first_line(err)}")

    def start(self, params: dict[str, Any], networks: int) -> None:
        self._each(lambda reporter: reporter.start(params, networks))

    def epoch(self, network: int, entry: EpochLog) -> None:
        self._each(lambda reporter: reporter.epoch(network, entry))


@contextmanager
def reports(
    names: Sequence[str], folder: Path | str, run: str, log: Callable[[str], None]
) -> Iterator[Reports]:
    """Open the named trackers for one run; close them when it ends (as failed, if it raised).

    Opened before the data is read, so that a tracker that cannot start (an unwritable
    ``folder``, an unreachable ``MLFLOW_TRACKING_URI``) is one line before any work. The
    caller calls ``start`` once the settings are known and sets ``figures`` once the model
    is scored.
    """
    opened: dict[str, Reporter] = {}
    for name in names:
        try:
            opened[name] = _KINDS[name](Path(folder), run)
        except Exception as err:  # whatever the tracker raises: its message, in one line
            uri = os.environ.get("MLFLOW_TRACKING_URI") if name == "mlflow" else None
            where = f"MLFLOW_TRACKING_URI={uri}" if uri else f"under {folder}"
            raise ConfigError(f"--report-to {name} could not start ({where}): {_first_line(err)}") from err
    tracking = Reports(opened, log)
    failed = True
    try:
        yield tracking
        failed = False
    finally:
        tracking._each(lambda reporter: reporter.finish(tracking.figures, failed))
