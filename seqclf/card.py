"""Model cards generated from a training run: Hub YAML metadata plus a readable body.

The metadata (``library_name``, ``license``, ``tags``, ``datasets``, ``pipeline_tag``
and the evaluation results as ``model-index``) is produced by huggingface_hub's
``ModelCardData``, so the Hub parses it as it parses any other card.
"""

from __future__ import annotations

from typing import Any

from huggingface_hub import EvalResult, ModelCardData

from seqclf.pretrained import PretrainedClassifier
from seqclf.tasks import get_task

CONFUSION_IMAGE = "confusion_matrix.png"


def _metadata(pretrained: PretrainedClassifier, name: str, test: dict[str, Any]) -> str:
    task = get_task(pretrained.task)
    split = pretrained.training.get("split", {}).get("name", "test")
    results = [
        EvalResult(
            task_type=task.pipeline_tag,
            dataset_type=task.dataset.get("id", pretrained.task),
            dataset_name=task.dataset["name"],
            dataset_split=split,
            metric_type=metric_type,
            metric_name=title,
            metric_args=args,
            metric_value=round(test[key], 4),
        )
        for key, metric_type, title, args in (
            ("accuracy", "accuracy", "Accuracy", None),
            ("macro_f1", "f1", "Macro F1", {"average": "macro"}),
        )
    ]
    data = ModelCardData(
        library_name="seqclf",
        license=task.license,
        tags=["seqclf", "pytorch", "rnn", pretrained.model.config.cell, pretrained.task, task.pipeline_tag],
        datasets=[task.dataset.get("id", task.dataset["name"])],
        metrics=["accuracy", "f1"],
        pipeline_tag=task.pipeline_tag,
        model_name=name,
        eval_results=results,
    )
    return data.to_yaml().rstrip("\n") + "\n"


def _per_class_table(test: dict[str, Any]) -> str:
    rows = ["| label | precision | recall | F1 | support |", "| --- | ---: | ---: | ---: | ---: |"]
    for label, s in test["per_class"].items():
        rows.append(
            f"| {label} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {s['support']} |"
        )
    return "\n".join(rows)


def _usage(pretrained: PretrainedClassifier, name: str) -> str:
    example = {"text-classification": '"Nakamura"'}.get(get_task(pretrained.task).pipeline_tag, "...")
    return f"""```python
from seqclf import Predictor

predictor = Predictor.from_pretrained("models/{name}")  # or a Hub repo id
print(predictor.predict([{example}], top_k=3))
```

From the shell: `seqclf predict models/{name} {example.strip('"')} --top-k 3`"""


def render_card(pretrained: PretrainedClassifier, name: str) -> str:
    """The README.md of a model folder, from the provenance stored in its config."""
    task = get_task(pretrained.task)
    training = pretrained.training
    test = training["metrics"]["test"]
    validation = training["metrics"]["validation"]
    config = pretrained.model.config
    direction = "bidirectional " if config.bidirectional else ""
    params = sum(p.numel() for p in pretrained.model.parameters())
    hyper = {**config.to_dict(), **training["hyperparameters"]}
    split = training["split"]
    sizes = ", ".join(f"{k} {v:,}" for k, v in split["sizes"].items())
    return f"""---
{_metadata(pretrained, name, test)}---

# seqclf `{name}`: {task.description}

A {config.num_layers}-layer {direction}{config.cell.upper()} classifier ({params:,} parameters),
{config.pooling} pooling of the per-step outputs, trained with
[seqclf](https://pypi.org/project/seqclf/).

## Results

On the held-out **{split.get("name", "test")}** split ({test["num_examples"]:,} examples):

| metric | validation | test |
| --- | ---: | ---: |
| accuracy | {validation["accuracy"]:.4f} | {test["accuracy"]:.4f} |
| macro-F1 | {validation["macro_f1"]:.4f} | {test["macro_f1"]:.4f} |

{_per_class_table(test)}

![confusion matrix on the test split]({CONFUSION_IMAGE})

Reproduce these figures: `seqclf evaluate models/{name} --data {training["data"]["path"]}`.

## Labels

{", ".join(f"`{label}`" for label in pretrained.labels)}

## Data

- {task.dataset["name"]} — {task.dataset["url"]} (license: {task.dataset["license"]}).
- {training["data"]["notes"]}
- Split: {split["method"]} ({sizes}), seed {split.get("seed", "-")}; test-set fingerprint `{split.get("test_fingerprint", "-")}`.

## Training

```
{training["command"]}
```

Best epoch {training["best_epoch"]} of {training["epochs_run"]} (early stopping on validation macro-F1),
{training["train_seconds"]:.0f} s on {training["device"]} (torch {training["torch_version"]}, seqclf {training["seqclf_version"]}).

| hyperparameter | value |
| --- | --- |
{chr(10).join(f"| {k} | {v} |" for k, v in hyper.items())}

## Use

{_usage(pretrained, name)}

## Intended use and limitations

{task.limitations}
"""
