"""The training record: what a model folder says about how it was made.

``seqclf train`` writes it into ``config.json`` under ``"training"``; the model card,
``seqclf evaluate`` (which rebuilds the recorded split) and the benchmarks read it back.
Typed, so that each reader names the fields it uses and a misspelt one fails in review
rather than at a user's ``KeyError``. The JSON layout is the one seqclf has always
written — one network's ``best_epoch``/``epochs_run``/``history`` at the top level, or
an ensemble's ``members`` — so folders trained before this module read as they are.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from seqclf.errors import ModelLoadError

# The data path recorded for a model fitted on data in memory (seqclf.fit).
IN_MEMORY = "in memory (seqclf.fit)"


@dataclass
class EpochLog:
    """One epoch's line of the training log, as printed and as recorded."""

    epoch: int
    train_loss: float
    val_loss: float
    val_accuracy: float
    val_macro_f1: float
    lr: float
    seconds: float

    def line(self) -> str:
        return (
            f"epoch {self.epoch:3d}  loss {self.train_loss:.4f}  val_loss {self.val_loss:.4f}  "
            f"val_acc {self.val_accuracy:.4f}  val_macro_f1 {self.val_macro_f1:.4f}  "
            f"lr {self.lr:.2e}  {self.seconds:.1f}s"
        )


@dataclass
class NetworkRecord:
    """Where early stopping ended for one network (of an ensemble, or the only one)."""

    seed: int
    best_epoch: int
    history: list[EpochLog]

    @property
    def epochs_run(self) -> int:
        return len(self.history)

    def to_dict(self) -> dict[str, Any]:
        return {
            "best_epoch": self.best_epoch,
            "epochs_run": self.epochs_run,
            "history": [asdict(entry) for entry in self.history],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], seed: int) -> NetworkRecord:
        return cls(
            seed=data.get("seed", seed),
            best_epoch=data["best_epoch"],
            history=[EpochLog(**entry) for entry in data["history"]],
        )


@dataclass
class Evaluation:
    """A table measured on a model after training (e.g. by a benchmark), for its card.

    The test split's figures are in the record already; this is what they cannot say,
    such as accuracy on voices the recipe never heard or on altered recordings. ``command``
    and ``machine`` say how to measure it again and where it was measured.
    """

    title: str
    command: str
    machine: str
    columns: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class BaselineResult:
    """What the practitioner's first model scored on the same split (:mod:`seqclf.evaluation.baselines`).

    ``accuracy`` and ``macro_f1`` are None when it was not run; ``method`` then says why.
    ``seconds`` is its fitting and predicting time.
    """

    method: str
    accuracy: float | None = None
    macro_f1: float | None = None
    seconds: float = 0.0

    @property
    def ran(self) -> bool:
        return self.accuracy is not None


# A demo shows the description and the examples as they are, from a folder of anyone's:
# what is not text is a damaged record, not a crash in the page.
def _optional_text(value: Any, name: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{name} is {type(value).__name__}, not a string")
    return value


def _texts(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise TypeError(f"{name} is not a list of strings")
    return value


@dataclass
class TrainingRecord:
    """Provenance and figures of one ``seqclf train`` run.

    ``split`` is the task reader's own record of its split (method, sizes, seed, test
    fingerprint, and whatever the task needs to rebuild it, e.g. the columns of a
    table), kept as the reader wrote it. ``validation`` and ``test`` are
    :func:`seqclf.evaluation.evaluate` reports.
    """

    command: str
    data_path: str
    data_notes: str
    out: str | None  # where it was written (older records lack it)
    split: dict[str, Any]
    hyperparameters: dict[str, Any]
    networks: list[NetworkRecord]
    train_seconds: float
    device: str
    torch_version: str
    seqclf_version: str
    validation: dict[str, Any]
    test: dict[str, Any] | None  # None: no test part was held out (the estimator's test=0)
    recipe: list[str] = field(default_factory=list)
    evaluations: list[Evaluation] = field(default_factory=list)
    #: the baseline fitted on the same training part and scored on the same test part
    baseline: BaselineResult | None = None
    #: what the model is for, in the trainer's words (``--description``); None: not given
    description: str | None = None
    #: a few inputs of the test part, for a demo to offer without the data (text models only:
    #: a recording or a series would outweigh the rest of the config)
    examples: list[str] = field(default_factory=list)

    @property
    def history(self) -> list[dict[str, Any]]:
        """The per-epoch log as data: one row per epoch of each network, in training order.

        Each row is an :class:`EpochLog`'s fields plus ``network`` (1, or 1..N for an
        ensemble) and ``best`` (the epoch whose weights the network kept), the columns a
        ``pandas.DataFrame(record.history)`` or a plot wants; what Keras' ``History`` and the
        Hugging Face Trainer's ``log_history`` give their users.
        """
        return [
            {"network": i, **asdict(entry), "best": entry.epoch == network.best_epoch}
            for i, network in enumerate(self.networks, start=1)
            for entry in network.history
        ]

    @property
    def in_memory(self) -> bool:
        """Trained by :func:`seqclf.fit` on data that was never a file."""
        return self.data_path == IN_MEMORY

    def to_dict(self) -> dict[str, Any]:
        if len(self.networks) == 1:
            stopping = self.networks[0].to_dict()
        else:
            stopping = {"members": [{"seed": n.seed, **n.to_dict()} for n in self.networks]}
        return {
            "command": self.command,
            "data": {"path": self.data_path, "notes": self.data_notes},
            **({"out": self.out} if self.out is not None else {}),
            "split": self.split,
            "hyperparameters": self.hyperparameters,
            **({"recipe": self.recipe} if self.recipe else {}),
            **stopping,
            "train_seconds": self.train_seconds,
            "device": self.device,
            "torch_version": self.torch_version,
            "seqclf_version": self.seqclf_version,
            "metrics": {"validation": self.validation, "test": self.test},
            **({"evaluations": [asdict(e) for e in self.evaluations]} if self.evaluations else {}),
            **({"baseline": asdict(self.baseline)} if self.baseline is not None else {}),
            **({"description": self.description} if self.description is not None else {}),
            **({"examples": self.examples} if self.examples else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str) -> TrainingRecord:
        """Read a record; ``where`` names its file in the error a damaged one gets."""
        try:
            seed = data["hyperparameters"].get("seed", 0)
            members = data.get("members")
            networks = (
                [NetworkRecord.from_dict(data, seed)]
                if members is None
                else [NetworkRecord.from_dict(m, seed + i) for i, m in enumerate(members)]
            )
            return cls(
                command=data["command"],
                data_path=data["data"]["path"],
                data_notes=data["data"]["notes"],
                out=data.get("out"),
                split=data["split"],
                hyperparameters=data["hyperparameters"],
                networks=networks,
                train_seconds=data["train_seconds"],
                device=data["device"],
                torch_version=data["torch_version"],
                seqclf_version=data["seqclf_version"],
                validation=data["metrics"]["validation"],
                test=data["metrics"]["test"],
                recipe=data.get("recipe", []),
                evaluations=[Evaluation(**e) for e in data.get("evaluations", [])],
                baseline=BaselineResult(**data["baseline"]) if "baseline" in data else None,
                description=_optional_text(data.get("description"), "description"),
                examples=_texts(data.get("examples", []), "examples"),
            )
        except (KeyError, TypeError, AttributeError) as err:
            names = ", ".join(f.name for f in fields(cls))
            raise ModelLoadError(
                f"{where}: the training record is damaged ({type(err).__name__}: {err}); it needs "
                f"{names}. Retrain the model, or remove the record to use the model without a card"
            ) from err
