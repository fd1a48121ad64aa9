"""Model cards generated from a training run: Hub YAML metadata plus a readable body.

The metadata (``library_name``, ``license``, ``tags``, ``datasets``, ``pipeline_tag``
and the evaluation results as ``model-index``) is produced by huggingface_hub's
``ModelCardData``, so the Hub parses it as it parses any other card. Everything in
the body comes from the ``training`` provenance in ``config.json``, so
:func:`write_card` can regenerate a card at any time from the folder alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from huggingface_hub import EvalResult, ModelCardData

from seqclf.config import ModelConfig
from seqclf.errors import ModelLoadError
from seqclf.install import pip_install, project_link
from seqclf.modalities import Modality, modality_named
from seqclf.network.pretrained import CARD_NAME, PretrainedClassifier
from seqclf.record import Evaluation, TrainingRecord
from seqclf.tasks import Task, get_task, task_names

CONFUSION_IMAGE = "confusion_matrix.png"
CURVES_IMAGE = "training_curves.png"
SERVE_URL = "http://localhost:8000"
#: labels a description names before "and N more"
DESCRIBED_LABELS = 6


def describe(pretrained: PretrainedClassifier) -> str:
    """What the model is for, in one line: its card's title and its tab's text in the demo.

    The trainer's own words (``--description``) where given; else a built-in task's
    description; else, for a model of one's own data (whose task describes only the data's
    format) or of an unknown task, the task's name and the labels.
    """
    training = pretrained.training
    if training is not None and training.description:
        return training.description
    if pretrained.task in task_names() and not get_task(pretrained.task).own_data:
        return get_task(pretrained.task).description
    labels = pretrained.labels
    named = ", ".join(labels[:DESCRIBED_LABELS])
    more = f" and {len(labels) - DESCRIBED_LABELS} more" if len(labels) > DESCRIBED_LABELS else ""
    return f"Sorting {pretrained.task} inputs into {named}{more}."


def _metadata(pretrained: PretrainedClassifier, task: Task, name: str, test: dict[str, Any] | None) -> str:
    """The Hub's metadata; its evaluation results only from a held-out test part, never from the
    validation part early stopping chose on (which flatters the model)."""
    split = _record(pretrained).split.get("name", "test")
    results = (
        []
        if test is None
        else [
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
    )
    data = ModelCardData(
        library_name="seqclf",
        license=task.license,
        tags=["seqclf", "pytorch", "rnn", pretrained.model.config.cell, pretrained.task, task.pipeline_tag],
        datasets=[task.dataset.get("id", task.dataset["name"])],
        metrics=["accuracy", "f1"],
        pipeline_tag=task.pipeline_tag,
        model_name=name,
        eval_results=results or None,
    )
    return data.to_yaml().rstrip("\n") + "\n"


def _evaluation(training: TrainingRecord) -> str:
    """The card's figures: validation and test side by side, the baseline, per class, the confusion matrix."""
    test, validation = training.test, training.validation
    if test is None:
        return f"""No test part was held out (`test=0`, as the scikit-learn estimator trains): the figures
below are on the validation part early stopping watched, which flatters the model. Score it on data
of your own (`seqclf evaluate MODEL --data FILE`, or the estimator's `score`).

| metric | validation |
| --- | ---: |
| accuracy | {validation["accuracy"]:.4f} |
| macro-F1 | {validation["macro_f1"]:.4f} |
"""
    return f"""On the held-out **{training.split.get("name", "test")}** split ({test["num_examples"]:,} examples):

| metric | validation | test |
| --- | ---: | ---: |
| accuracy | {validation["accuracy"]:.4f} | {test["accuracy"]:.4f} |
| macro-F1 | {validation["macro_f1"]:.4f} | {test["macro_f1"]:.4f} |

{_baseline_table(training)}{_per_class_table(test)}

![confusion matrix on the test split]({CONFUSION_IMAGE})
"""


def _per_class_table(test: dict[str, Any]) -> str:
    rows = ["| label | precision | recall | F1 | support |", "| --- | ---: | ---: | ---: | ---: |"]
    for label, s in test["per_class"].items():
        rows.append(
            f"| {label} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {s['support']} |"
        )
    return "\n".join(rows)


def _is_text(literal: str) -> bool:
    return literal.startswith('"')


def _rest_call(example: str, modality: Modality, name: str) -> str:
    """A request to the service's ``/v1`` route, and its Hugging Face Inference API call."""
    url = f"{SERVE_URL}/v1/models/{name}/predict"
    body = modality.curl_data(example)
    method = modality.hf_client_method
    client_call = f"client.{method}({example}, top_k=3)" if method else ""
    curl = f"curl -s {url} \\\n  -H 'content-type: application/json' -d {body}"
    if not client_call:
        return f"""```bash
{curl}
```

The same body, `{{"inputs": [...]}}`, also works at `{SERVE_URL}/models/{name}`, the
service's Hugging Face Inference API route."""
    return f"""```bash
{curl}
```

The service also speaks the Hugging Face Inference API at `/models/{name}`:

```python
from huggingface_hub import InferenceClient

client = InferenceClient(model="{SERVE_URL}/models/{name}")
print({client_call})
```"""


def _usage(task: Task, modality: Modality, name: str, repo_id: str | None, source: str) -> str:
    """Snippets for the three ways to use the model: library, REST service, web UI."""
    where = "a model folder also works" if repo_id else "or a Hub repo id, OWNER/NAME"
    pin = f"{repo_id}@main" if repo_id else source
    example = task.example_input
    shell = f"\n\nFrom the shell: `seqclf predict {source} {example} --top-k 3`." if _is_text(example) else ""
    return f"""### Python

```bash
{pip_install()}
```

```python
from seqclf import Predictor

predictor = Predictor.from_pretrained("{source}")  # {where}; revision="<commit>" pins a version
print(predictor.predict([{example}], top_k=3))  # [[{{"label": ..., "score": ...}}, ...]]
```{shell}

### REST service

```bash
{pip_install("serve")}
seqclf serve --model {name}={pin}   # NAME=FOLDER, or NAME=OWNER/REPO@REVISION
```

{_rest_call(example, modality, name)}

### Web UI

From a checkout of the seqclf repository (see its docs/ui.md):

```bash
python app.py --model {name}={pin}   # then open http://127.0.0.1:7860
```

The page shows the label probabilities for an input you type, and how the prediction
builds up step by step."""


def _architecture(config: dict[str, Any]) -> dict[str, Any]:
    """The model config without the fields its input kind and cell do not use."""
    unused = {"tokens": {"num_features"}, "features": {"vocab_size", "padding_idx"}}[config["input_kind"]]
    if config["cell"] != "rnn":
        unused.add("nonlinearity")
    return {k: v for k, v in config.items() if k not in unused}


def _summary(config: ModelConfig, params: int) -> str:
    """The card's one-line description of the architecture."""
    network = (
        f"{config.num_layers}-layer {'bidirectional ' if config.bidirectional else ''}{config.cell.upper()}"
    )
    if config.ensemble == 1:
        return f"A {network} classifier ({params:,} parameters)"
    return (
        f"An ensemble of {config.ensemble} networks trained from different seeds, their class "
        f"probabilities averaged ({params:,} parameters in all); each is a {network} classifier"
    )


def _stopping(training: TrainingRecord) -> str:
    """Where early stopping ended: for the one network, or for each ensemble member."""
    members = training.networks
    if len(members) == 1:
        return (
            f"Best epoch {members[0].best_epoch} of {members[0].epochs_run} "
            "(early stopping on validation macro-F1)"
        )
    best = ", ".join(str(m.best_epoch) for m in members)
    run = ", ".join(str(m.epochs_run) for m in members)
    seeds = f"{members[0].seed} to {members[-1].seed}"
    return (
        f"Best epochs {best} of {run} for the networks of seeds {seeds} "
        "(early stopping on validation macro-F1, each network on its own)"
    )


def _dataset_line(dataset: dict[str, str], training: TrainingRecord) -> str:
    """Where the data came from: a named public data set, or the user's own files."""
    if "url" in dataset:
        return f"{dataset['name']} — {dataset['url']} (license: {dataset['license']})."
    test_file = training.split.get("test_file")
    tested = f", tested on `{test_file}`" if test_file else ""
    return f"{dataset['name']}: `{training.data_path}`{tested} (license: as its owner states)."


def _fingerprint(training: TrainingRecord) -> str:
    if training.test is None:
        return "; no test part was held out"
    return f"; test-set fingerprint `{training.split.get('test_fingerprint', '-')}`"


def _reproduce(source: str, training: TrainingRecord) -> str:
    if training.test is None:
        return f"No test part was held out: score the model on data of its own, `seqclf evaluate {source} --data FILE --split all`."
    if training.in_memory:
        return f"Trained on data in memory (`{training.command}`): to reproduce these figures, fit again on the same data."
    return f"Reproduce these figures: `seqclf evaluate {source} --data {training.data_path}`."


def _recipe(training: TrainingRecord) -> str:
    """The defaults seqclf chose from the data, with its reasons (generic tasks only)."""
    if not training.recipe:
        return ""
    return "\nDefaults chosen from the data (any flag overrides them):\n\n" + "".join(
        f"- {r}\n" for r in training.recipe
    )


def _evaluations(training: TrainingRecord) -> str:
    """The tables measured after training, each with its command and machine."""
    if not training.evaluations:
        return ""
    parts = ["## Further evaluation\n"]
    for evaluation in training.evaluations:
        header = "| " + " | ".join(evaluation.columns) + " |"
        rule = "| --- |" + " ---: |" * (len(evaluation.columns) - 1)
        rows = "\n".join("| " + " | ".join(row) + " |" for row in evaluation.rows)
        parts.append(
            f"### {evaluation.title}\n\n```\n{evaluation.command}\n```\n\n"
            f"Measured on: {evaluation.machine}\n\n{header}\n{rule}\n{rows}\n"
        )
    return "\n".join(parts) + "\n"


def _record(pretrained: PretrainedClassifier) -> TrainingRecord:
    if pretrained.training is None:
        raise ModelLoadError(
            "this model has no training record, which a card is made from; only models written "
            "by `seqclf train` have one"
        )
    return pretrained.training


def _baseline_table(training: TrainingRecord) -> str:
    """This model beside the baseline fitted on the same training part, on the same test part."""
    baseline = training.baseline
    if baseline is None:
        return ""
    if not baseline.ran:
        return f"Baseline: {baseline.method}.\n\n"
    test = training.test
    return f"""Beside the model a practitioner would fit first, on the same training part and the same test part
(`seqclf/evaluation/baselines.py`):

| model | test accuracy | test macro-F1 | seconds |
| --- | ---: | ---: | ---: |
| this model | {test["accuracy"]:.4f} | {test["macro_f1"]:.4f} | {training.train_seconds:.0f} (training) |
| baseline: {baseline.method} | {baseline.accuracy:.4f} | {baseline.macro_f1:.4f} | {baseline.seconds:.1f} |

"""


def render_card(
    pretrained: PretrainedClassifier, name: str, repo_id: str | None = None, task: Task | None = None
) -> str:
    """The README.md of a model folder, from the provenance stored in its config.

    ``name`` is the model's short name (its folder name); ``repo_id``, when given, is
    the Hub repo the usage snippets load it from; ``task``, the model's task when the
    caller has it already (training), else looked up by name.
    """
    task = task or get_task(pretrained.task)
    training = _record(pretrained)
    split = training.split
    test, validation = training.test, training.validation
    # without a test part (the scikit-learn estimator holds none out) the card reports validation
    figures, scored_on = (test, split.get("name", "test")) if test is not None else (validation, "validation")
    config = pretrained.model.config
    params = sum(p.numel() for p in pretrained.model.parameters())
    hyper = {**_architecture(config.to_dict()), **training.hyperparameters}
    sizes = ", ".join(f"{k} {v:,}" for k, v in split["sizes"].items())
    source = repo_id or training.out or f"models/{name}"
    description = describe(pretrained)
    return f"""---
{_metadata(pretrained, task, name, test)}---

# seqclf `{name}`: {description}

{_summary(config, params)} with
{config.pooling} pooling of the per-step outputs, trained and published with
{project_link()}. {scored_on.capitalize()} accuracy **{figures["accuracy"]:.4f}**,
macro-F1 **{figures["macro_f1"]:.4f}**.

## Intended use and limitations

**Use it for:** {description[0].lower() + description[1:].rstrip(".")}. The model gives
a probability for each of its labels; a low top score means it is unsure. It was checked only on
{"the held-out split described below" if test is not None else "the validation part early stopping watched (no test part was held out)"}, so inputs unlike its training data can get confident
wrong answers.

{task.limitations}

## Labels

{", ".join(f"`{label}`" for label in pretrained.labels)}

## Evaluation

{_evaluation(training)}

{_reproduce(source, training)}

## Training

Data:

- {_dataset_line(task.dataset, training)}
- {training.data_notes or "Used as distributed."}
- Split: {split["method"]} ({sizes}), seed {split.get("seed", "-")}{_fingerprint(training)}.

Command:

```
{training.command}
```

{_stopping(training)},
{training.train_seconds:.0f} s on {training.device} (torch {training.torch_version}, seqclf {training.seqclf_version}).

![loss and validation metrics per epoch]({CURVES_IMAGE})

| hyperparameter | value |
| --- | --- |
{chr(10).join(f"| {k} | {v} |" for k, v in hyper.items())}
{_recipe(training)}
{_evaluations(training)}## Usage

{_usage(task, modality_named(pretrained.encoder.modality_name), name, repo_id, source)}
"""


def write_card(folder: str | Path, repo_id: str | None = None) -> Path:
    """Regenerate ``README.md`` of a model folder from its ``config.json``.

    The images are drawn only if missing, so regenerating a card leaves existing
    ones byte for byte as they were.
    """
    folder = Path(folder)
    pretrained = PretrainedClassifier.from_folder(folder)
    name = folder.resolve().name
    card = render_card(pretrained, name, repo_id)
    draw_images(pretrained, folder, only_missing=True)
    path = folder / CARD_NAME
    path.write_text(card, encoding="utf-8")
    return path


def add_evaluation(folder: str | Path, evaluation: Evaluation) -> Path:
    """Record ``evaluation`` in a model folder's config (replacing one of the same title), regenerate its card."""
    folder = Path(folder)
    pretrained = PretrainedClassifier.from_folder(folder)
    training = _record(pretrained)
    kept = [e for e in training.evaluations if e.title != evaluation.title]
    training.evaluations = [*kept, evaluation]
    pretrained.save_config(folder)
    return write_card(folder)


def draw_images(pretrained: PretrainedClassifier, folder: Path, only_missing: bool = False) -> None:
    """The card's images, from the training record: confusion matrix and training curves."""
    from seqclf.cards.plots import save_confusion_matrix, save_training_curves

    training = _record(pretrained)
    if training.test is not None and not (only_missing and (folder / CONFUSION_IMAGE).exists()):
        save_confusion_matrix(training.test, folder / CONFUSION_IMAGE, title=f"{pretrained.task}: test split")
    if not (only_missing and (folder / CURVES_IMAGE).exists()):
        save_training_curves(training.networks, folder / CURVES_IMAGE, title=f"{pretrained.task}: training")
