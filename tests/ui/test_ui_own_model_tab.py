"""What a tab says about its model and which examples it offers, read from the built app (no browser).

A model of one's own data has no examples in the operator's folder, and its task describes
the data's format: its tab offers the test texts its folder kept, and says what the model is
for as its card does.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ui_support import EXAMPLES

from seqclf import Predictor
from seqclf.tasks import get_task
from seqclf.ui.app import build_demo, load_tabs


def _props(demo, elem_id: str) -> list[dict]:
    return [c["props"] for c in demo.config["components"] if c.get("props", {}).get("elem_id") == elem_id]


def _as_own_model(folder: Path, description: str | None, keep_examples: bool) -> None:
    """``folder``'s model as `seqclf train text` writes it (with ``description``), or wrote it
    before descriptions and examples were kept."""
    path = folder / "config.json"
    config = json.loads(path.read_text(encoding="utf-8"))
    config["task"] = "text"
    config["training"].pop("description", None)
    if description is not None:
        config["training"]["description"] = description
    if not keep_examples:
        config["training"].pop("examples")
    path.write_text(json.dumps(config), encoding="utf-8")


def test_an_own_model_s_tab_says_what_it_is_for_and_offers_its_test_texts(
    models_dir: Path, tmp_path: Path
) -> None:
    kept = Predictor.from_pretrained(models_dir / "names").pretrained.training.examples
    assert len(kept) == 8  # trained by run_training: some of its test part, kept in config.json
    mine = tmp_path / "models"
    shutil.copytree(models_dir / "names", mine / "surnames")
    _as_own_model(mine / "surnames", "Which made-up language a surname comes from.", keep_examples=True)
    shutil.copytree(models_dir / "names", mine / "older")
    _as_own_model(mine / "older", None, keep_examples=False)
    demo = build_demo(load_tabs(mine), EXAMPLES)  # the shipped examples: none for these names

    (surnames,) = _props(demo, "description-surnames")
    assert surnames["value"] == "Which made-up language a surname comes from."
    (offered,) = _props(demo, "examples-surnames")
    assert [sample[0] for sample in offered["samples"]] == kept

    (older,) = _props(demo, "description-older")  # its task's name and labels, not the data's format
    assert older["value"] == "Sorting text inputs into Alpha, Beta, Delta, Gamma."
    assert _props(demo, "examples-older") == []  # nothing kept, nothing made up


def test_a_shipped_model_keeps_its_task_s_description_and_the_operator_s_examples(models_dir: Path) -> None:
    demo = build_demo(load_tabs(models_dir), EXAMPLES)
    (names,) = _props(demo, "description-names")
    assert names["value"] == get_task("names").description
    (offered,) = _props(demo, "examples-names")
    shipped = (EXAMPLES / "names.txt").read_text(encoding="utf-8").splitlines()
    assert [sample[0] for sample in offered["samples"]] == shipped[: len(offered["samples"])]
