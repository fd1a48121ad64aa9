"""A model's examples can carry a note (``examples/<model>.md``) that the tab shows under them."""

from __future__ import annotations

import shutil
from pathlib import Path

from ui_support import EXAMPLES

from seqclf.ui.app import build_demo, load_tabs


def _markdown(demo, elem_id: str) -> list[str]:
    return [
        c["props"]["value"] for c in demo.config["components"] if c.get("props", {}).get("elem_id") == elem_id
    ]


def test_the_sentiment_tab_says_its_examples_include_known_mistakes(models_dir: Path, tmp_path: Path) -> None:
    note = (EXAMPLES / "sentiment.md").read_text(encoding="utf-8")
    assert "It's not bad at all, really." in note  # a shipped example the model gets wrong
    assert "It's not bad at all, really." in (EXAMPLES / "sentiment.txt").read_text(encoding="utf-8")
    demo = build_demo(load_tabs(models_dir), EXAMPLES)
    assert _markdown(demo, "examples-note-sentiment") == [note.strip()]  # Gradio trims the ends
    assert _markdown(demo, "examples-note-names") == []  # no names.md: no note
    # an operator's examples folder gets its notes the same way
    mine = Path(shutil.copytree(EXAMPLES, tmp_path / "examples"))
    (mine / "names.md").write_text("Surnames from the synthetic test languages.", encoding="utf-8")
    demo = build_demo(load_tabs(models_dir), mine)
    assert _markdown(demo, "examples-note-names") == ["Surnames from the synthetic test languages."]
