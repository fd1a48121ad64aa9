"""The tree's promises that no single feature test checks: no import cycles, layers, a layout the
README tells truly, a flag for every setting."""

from __future__ import annotations

import importlib
import inspect
import re
import shutil
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest
import torch
from packaging.requirements import Requirement
from packaging.version import Version
from typer.testing import CliRunner

from seqclf.cli import app
from seqclf.config import ModelConfig, TrainConfig

REPO = Path(__file__).resolve().parents[1]
#: ModelConfig fields the data decides (labels, vocabulary, input width), never a flag
DERIVED = {"num_labels", "input_kind", "vocab_size", "num_features", "padding_idx"}


def test_the_import_graph_has_no_cycles_and_reads_top_down_in_layers() -> None:
    """Both import-linter contracts of pyproject.toml: no cycles, and each layer imports only those below."""
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None:
        pytest.fail("lint-imports is missing: pip install -e '.[test]' (import-linter)")
    done = subprocess.run([lint], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "Contracts: 2 kept, 0 broken." in done.stdout


def test_the_readme_layout_names_every_package_and_module_of_seqclf_and_nothing_else() -> None:
    """A newcomer reads the tree from README's "Layout"; a module added or removed must show there."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Layout", 1)[1].split("```", 2)[1]
    named = set(re.findall(r"^  (\w+(?:/|\.py))", block, flags=re.MULTILINE))
    root = REPO / "seqclf"
    present = {f"{p.name}/" for p in root.iterdir() if (p / "__init__.py").is_file()}
    present |= {p.name for p in root.glob("*.py") if p.name not in {"__init__.py", "__main__.py"}}
    assert named == present, (
        f"missing from README: {sorted(present - named)}; gone: {sorted(named - present)}"
    )


def test_every_training_and_architecture_setting_has_a_flag_in_every_task_s_help() -> None:
    from seqclf.tasks import task_names

    settable = [f.name for f in fields(TrainConfig)] + [
        f.name for f in fields(ModelConfig) if f.name not in DERIVED
    ]
    for task in task_names():
        help_text = CliRunner().invoke(app, ["train", task, "--help"], env={"COLUMNS": "300"}).output
        missing = [name for name in settable if f"--{name.replace('_', '-')}" not in help_text]
        assert missing == [], f"no seqclf train {task} flag for {missing}"


def test_both_demo_entry_points_take_every_demo_setting_and_check_it_the_same_way(capsys) -> None:
    """seqclf serve --ui and python app.py make their flags from DemoSettings: one source, two doors."""
    from seqclf.cli.serve import DEMO_FLAGS
    from seqclf.ui.app import main as demo_main
    from seqclf.ui.settings import DemoSettings

    serve_help = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "300"}).output
    with pytest.raises(SystemExit):
        demo_main(["--help"])
    demo_help = capsys.readouterr().out
    for name in DemoSettings.model_fields:
        assert f"--{DEMO_FLAGS[name].replace('_', '-')}" in serve_help
        assert f"--{name.replace('_', '-')}" in demo_help
    served = CliRunner().invoke(
        app, ["serve", "--ui", "--ui-max-download-mb", "-1", "--models-dir", "nowhere"]
    )
    assert served.exit_code != 0
    assert "--ui-max-download-mb: Input should be greater than or equal to 0" in served.output
    for value, problem in [("-1", "greater than or equal to 0"), ("inf", "a finite number")]:
        with pytest.raises(SystemExit) as refused:
            demo_main(["--max-download-mb", value])
        assert refused.value.code == 2
        said = capsys.readouterr().err
        assert (
            said.startswith("error: --max-download-mb (or SEQCLF_UI_MAX_DOWNLOAD_MB): ") and problem in said
        )


#: names that look like modules but are files or hosts (the TLS example, the egg-info folder)
NOT_NAMES = {"seqclf.crt", "seqclf.key", "seqclf.example.org", "seqclf.egg"}


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        return all((found := getattr(found, part, None)) is not None for part in parts[cut:])
    return False


def test_every_module_name_and_path_the_docs_and_docstrings_give_exists() -> None:
    """Docs and docstrings name modules (seqclf.network.model.SequenceClassifier) and files
    (tests/test_speech_mfcc.py); a move must take them along."""
    texts = [REPO / "README.md", *REPO.glob("docs/*.md"), *REPO.glob("seqclf/**/*.py")]
    texts += [*REPO.glob("benchmarks/*.py"), *REPO.glob("tests/**/*.py")]
    broken = set()
    for path in texts:
        text = path.read_text(encoding="utf-8")
        names = set(re.findall(r"\bseqclf(?:\.[A-Za-z_]\w*)+", text)) - NOT_NAMES
        broken |= {(path.name, name) for name in names if not _resolves(name)}
        files = re.findall(r"\b((?:seqclf|tests|benchmarks|docs|service)/[\w/]+\.(?:py|md|lua|sh))", text)
        broken |= {
            (path.name, file) for file in files if "__pycache__" not in file and not (REPO / file).exists()
        }
    assert not broken, sorted(broken)


#: The torch features training relies on, and the release that brought each (PyTorch's notes).
TORCH_FEATURES = {
    "torch.amp.GradScaler('cuda')": "2.3",
    "init_process_group(device_id=...)": "2.3",
    "fused AdamW taking a GradScaler's found_inf, on CUDA and CPU": "2.4",
}


def test_the_torch_floor_admits_no_release_without_the_features_used() -> None:
    tomllib = pytest.importorskip("tomllib", reason="reads pyproject.toml with Python 3.11's tomllib")
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    torch_requirement = next(
        Requirement(r) for r in project["dependencies"] if Requirement(r).name == "torch"
    )
    floors = [Version(spec.version) for spec in torch_requirement.specifier if spec.operator == ">="]
    assert floors, "pyproject.toml must give torch a floor (>=)"
    assert max(floors) >= max(Version(v) for v in TORCH_FEATURES.values())
    # and the installed torch, which satisfies the floor, has them
    assert Version(torch.__version__.split("+")[0]) in torch_requirement.specifier
    assert "device_id" in inspect.signature(torch.distributed.init_process_group).parameters
    assert "fused" in inspect.signature(torch.optim.AdamW).parameters
    torch.amp.GradScaler("cpu")


def test_every_torch_floor_the_docs_state_is_pyproject_s() -> None:
    """README once said torch >= 2.2 while pyproject.toml and constraints.txt said 2.4."""
    tomllib = pytest.importorskip("tomllib", reason="reads pyproject.toml with Python 3.11's tomllib")
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    (floor,) = [
        spec.version
        for r in project["dependencies"]
        if Requirement(r).name == "torch"
        for spec in Requirement(r).specifier
        if spec.operator == ">="
    ]
    texts = [REPO / "README.md", REPO / "constraints.txt", *REPO.glob("docs/*.md")]
    stated = {
        (path.name, found)
        for path in texts
        for found in re.findall(r"\btorch\s*(?:≥|>=)\s*([\d.]+\d)", path.read_text(encoding="utf-8"))
    }
    assert ("README.md", floor) in stated
    assert {(name, version) for name, version in stated if version != floor} == set()
