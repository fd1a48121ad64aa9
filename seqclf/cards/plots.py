"""Images for model cards and ``seqclf evaluate``: the confusion matrix, the training curves.

Drawn with matplotlib's file-only Agg backend, so no display is ever needed; each is drawn
from figures the model folder records, so ``seqclf card`` can draw it again at any time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seqclf.errors import DataError
from seqclf.record import NetworkRecord


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only; never needs a display
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: str | Path, what: str) -> Path:
    """Write ``fig`` to ``path`` (its folder made if needed); a bad path is a :class:`DataError`."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
    except OSError as err:
        raise DataError(f"cannot write the {what} to {path}: {err.strerror or err}") from err
    finally:
        _pyplot().close(fig)
    return path


def save_confusion_matrix(metrics: dict[str, Any], path: str | Path, title: str = "") -> Path:
    """Draw ``metrics["confusion_matrix"]`` row-normalised (recall per true class), with counts.

    The folder is created if needed; a path that cannot be written is a :class:`DataError`.
    """
    import numpy as np

    plt = _pyplot()

    labels = metrics["labels"]
    counts = np.asarray(metrics["confusion_matrix"], dtype=float)
    rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    size = max(4.0, 0.45 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(len(labels)):
        for j in range(len(labels)):
            if counts[i, j]:
                ax.text(
                    j,
                    i,
                    int(counts[i, j]),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if rates[i, j] > 0.5 else "black",
                )
    ax.set_title(title or f"accuracy {metrics['accuracy']:.3f}, macro-F1 {metrics['macro_f1']:.3f}")
    fig.colorbar(image, ax=ax, fraction=0.046, label="share of true class")
    fig.tight_layout()
    return _save(fig, path, "confusion matrix")


def save_training_curves(networks: list[NetworkRecord], path: str | Path, title: str = "") -> Path:
    """Loss (training and validation) and validation accuracy and macro-F1, per epoch.

    One line per network for an ensemble; the epoch whose weights were kept is marked, so
    the picture shows where early stopping chose and how far past it training went.
    """
    plt = _pyplot()
    fig, (losses, scores) = plt.subplots(1, 2, figsize=(10, 3.8))
    many = len(networks) > 1
    for i, network in enumerate(networks):
        epochs = [e.epoch for e in network.history]
        suffix = f" (seed {network.seed})" if many else ""
        colour = f"C{i % 10}"
        losses.plot(
            epochs, [e.train_loss for e in network.history], color=colour, ls="--", label=f"train{suffix}"
        )
        losses.plot(epochs, [e.val_loss for e in network.history], color=colour, label=f"validation{suffix}")
        scores.plot(
            epochs, [e.val_macro_f1 for e in network.history], color=colour, label=f"macro-F1{suffix}"
        )
        if not many:
            scores.plot(epochs, [e.val_accuracy for e in network.history], color="C1", label="accuracy")
        best = next(e for e in network.history if e.epoch == network.best_epoch)
        scores.plot([best.epoch], [best.val_macro_f1], "o", color=colour, mfc="none", ms=9)
    losses.set(xlabel="epoch", ylabel="loss", title="loss")
    scores.set(xlabel="epoch", ylabel="validation score", title="validation (o: weights kept)")
    for ax in (losses, scores):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
        ax.xaxis.get_major_locator().set_params(integer=True)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path, "training curves")
