"""The tree's promises that no single feature test checks: no import cycles, a flag for every setting."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seqclf.cli import app
from seqclf.config import ModelConfig, TrainConfig

REPO = Path(__file__).resolve().parents[1]
#: ModelConfig fields the data decides (labels, vocabulary, input width), never a flag
DERIVED = {"num_labels", "input_kind", "vocab_size", "num_features", "padding_idx"}


def test_the_import_graph_has_no_cycles() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None:
        pytest.fail("lint-imports is missing: pip install -e '.[test]' (import-linter)")
    done = subprocess.run([lint], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:]


def test_every_training_and_architecture_setting_has_a_flag() -> None:
    help_text = CliRunner().invoke(app, ["train", "--help"], env={"COLUMNS": "300"}).output
    settable = [f.name for f in fields(TrainConfig)] + [
        f.name for f in fields(ModelConfig) if f.name not in DERIVED
    ]
    missing = [name for name in settable if f"--{name.replace('_', '-')}" not in help_text]
    assert missing == [], f"no seqclf train flag for {missing}"
