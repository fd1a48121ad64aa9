"""A model folder is untrusted input: its config.json must not be able to ask for any size.

Every absurd value is refused with one line naming the field, before anything is allocated:
the loads run in a child process whose address space is capped at 4 GB, where a model of a
billion hidden units (or a vocabulary of 10^12 rows, a million layers...) would fail with
a torch allocation error, a MemoryError or a hang instead.
"""

from __future__ import annotations

import itertools
import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from seqclf.audio.mfcc import FrontEnd
from seqclf.config import MAX_PARAMETERS, ModelConfig
from seqclf.encoders.audio import AudioEncoder
from seqclf.encoders.features import ChannelStats, FeatureEncoder
from seqclf.errors import ConfigError, ModelLoadError
from seqclf.network import pretrained as pretrained_module
from seqclf.network.ensemble import build_model
from seqclf.network.pretrained import PretrainedClassifier

#: the address space the loads run in: a few times what torch and a small model need
ADDRESS_SPACE = 4 << 30
#: seconds one refusal may take; each reads one small JSON file and allocates nothing
QUICK = 10.0

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS caps the address space on Linux")


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("input_kind", ["tokens", "features"])
def test_parameter_count_is_exactly_what_the_built_model_has(cell: str, input_kind: str) -> None:
    poolings = ["last", "mean", "max", "attention", "max+last", "attention+mean+last"]
    for layers, bidirectional, pooling, ensemble in itertools.product(
        [1, 2, 3], [False, True], poolings, [1, 3]
    ):
        config = ModelConfig(
            num_labels=5,
            input_kind=input_kind,
            vocab_size=13,
            num_features=7,
            embedding_dim=6,
            hidden_size=4,
            num_layers=layers,
            bidirectional=bidirectional,
            pooling=pooling,
            cell=cell,
            ensemble=ensemble,
        )
        built = sum(p.numel() for p in build_model(config).parameters())
        assert config.parameter_count() == built, config


def test_the_budget_refuses_a_combination_whose_fields_are_each_modest() -> None:
    two_layers = ModelConfig(num_labels=3, vocab_size=40, hidden_size=2000, num_layers=2)
    assert two_layers.parameter_count() <= MAX_PARAMETERS  # accepted: nothing is allocated here
    with pytest.raises(ConfigError, match=r"the recurrent layers \(hidden_size=2000, num_layers=8") as err:
        ModelConfig(num_labels=3, vocab_size=40, hidden_size=2000, num_layers=8)
    assert f"more than the {MAX_PARAMETERS:,}" in str(err.value)


def _write(folder: Path, pretrained: PretrainedClassifier) -> Path:
    pretrained.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def bases(tiny_names, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Loadable folders to spoil: the suite's tiny names model, a feature model and an audio model."""
    root = tmp_path_factory.mktemp("bases")
    small = {"num_labels": 2, "embedding_dim": 4, "hidden_size": 3, "num_layers": 1}
    features = FeatureEncoder(ChannelStats([0.0] * 3, [1.0] * 3))
    audio = AudioEncoder(FrontEnd(), ChannelStats([0.0] * 40, [1.0] * 40))
    return {
        "names": tiny_names.folder,
        "features": _write(
            root / "features",
            PretrainedClassifier(
                build_model(ModelConfig(**small, **features.model_fields())), features, ["a", "b"], "series"
            ),
        ),
        "audio": _write(
            root / "audio",
            PretrainedClassifier(
                build_model(ModelConfig(**small, **audio.model_fields())), audio, ["a", "b"], "audio"
            ),
        ),
    }


# (base folder, changes to config.json by section, what the one-line refusal must say)
ABSURD: list[tuple[str, dict[str, Any], str]] = [
    ("names", {"model": {"hidden_size": 10**9}}, "the recurrent layers (hidden_size=1000000000,"),
    ("names", {"model": {"hidden_size": 20000, "num_layers": 3}}, "(hidden_size=20000, num_layers=3,"),
    ("names", {"model": {"hidden_size": 1e300}}, "hidden_size must be an integer, got 1e+300"),
    ("names", {"model": {"hidden_size": "128"}}, "hidden_size must be an integer, got '128'"),
    ("names", {"model": {"hidden_size": True}}, "hidden_size must be an integer, got True"),
    ("names", {"model": {"hidden_size": -5}}, "hidden_size must be at least 1, got -5"),
    ("names", {"model": {"vocab_size": 10**12}}, "the input layer (vocab_size=1000000000000,"),
    ("names", {"model": {"vocab_size": 46}}, "its encoder gives vocab_size="),
    ("names", {"model": {"num_layers": 10**6}}, "num_layers must be at most 64, got 1000000"),
    ("names", {"model": {"ensemble": 10**6}}, "ensemble must be at most 64 networks, got 1000000"),
    ("names", {"model": {"embedding_dim": 10**9}}, "embedding_dim=1000000000"),
    ("names", {"model": {"num_labels": 10**9}}, "the head (num_labels=1000000000,"),
    ("names", {"model": {"dropout": float("nan")}}, "dropout must be a finite number, got nan"),
    ("names", {"encoder": {"max_length": 1e300}}, "max_length must be a positive integer, got 1e+300"),
    ("names", {"encoder": {"vocab": "abc"}}, "vocab must be a list of strings"),
    ("features", {"model": {"num_features": 10**12}}, "the input layer (num_features=1000000000000,"),
    ("features", {"encoder": {"patch": 10**12}}, "its encoder gives num_features=3000000000000"),
    ("features", {"encoder": {"mean": [0.0] * 2}}, "2 channel means but 3 deviations"),
    ("audio", {"encoder": {"frontend": {"n_fft": 10**9}}}, "n_fft=1000000000"),
    ("audio", {"encoder": {"frontend": {"n_mels": 10**6}}}, "n_mels must be at most 256, got 1,000,000"),
    ("audio", {"encoder": {"frontend": {"sampling_rate": 1e9}}}, "sampling_rate must be an integer"),
    ("audio", {"encoder": {"frontend": {"delta_width": 10**9}}}, "delta_width must be at most 99"),
    ("audio", {"encoder": {"frontend": {"hop_length": 1, "max_seconds": 600.0}}}, "hop_length=1"),
]


def _spoil(base: Path, folder: Path, changes: dict[str, Any]) -> Path:
    shutil.copytree(base, folder)
    config = json.loads((folder / "config.json").read_text())
    for section, values in changes.items():
        target = config[section]
        for key, value in values.items():
            if isinstance(value, dict):
                target[key].update(value)
            else:
                target[key] = value
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


LOAD_EACH = """
import json, sys, time
from seqclf.errors import SeqclfError
from seqclf.inference.predictor import Predictor

for folder in sys.argv[1:]:
    start = time.perf_counter()
    try:
        Predictor.from_pretrained(folder)
        error = message = None
    except SeqclfError as err:
        error, message = type(err).__name__, str(err)
    print(json.dumps({"error": error, "message": message, "seconds": time.perf_counter() - start}))
"""


def _child_env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1"}


@linux_only
def test_absurd_configs_are_refused_in_one_line_before_anything_is_allocated(bases, tmp_path: Path) -> None:
    folders = [str(bases[name]) for name in bases]  # untouched, as a control: they load under the cap
    folders += [
        str(_spoil(bases[base], tmp_path / f"case{i}", changes))
        for i, (base, changes, _) in enumerate(ABSURD)
    ]
    result = subprocess.run(
        [sys.executable, "-c", LOAD_EACH, *folders],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_capped,
        env=_child_env(),
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    outcomes = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(outcomes) == len(folders)
    assert [o["error"] for o in outcomes[: len(bases)]] == [None] * len(bases)
    for (base, changes, expected), outcome in zip(ABSURD, outcomes[len(bases) :], strict=True):
        case = f"{base} {changes}: {outcome}"
        assert outcome["error"] == ModelLoadError.__name__, case
        assert expected in outcome["message"] and "\n" not in outcome["message"], case
        assert outcome["seconds"] < QUICK, case


@pytest.mark.slow  # starts a process
@linux_only
def test_the_cli_prints_one_error_line_for_an_absurd_model(tiny_names, tmp_path: Path) -> None:
    folder = _spoil(tiny_names.folder, tmp_path / "huge", {"model": {"hidden_size": 10**9}})
    result = subprocess.run(
        [sys.executable, "-m", "seqclf", "predict", str(folder), "Nakamura"],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_capped,
        env=_child_env(),
    )
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert result.returncode == 2 and result.stdout == "", result.stderr
    assert len(errors) == 1 and "hidden_size=1000000000" in errors[0], result.stderr
    assert "Traceback" not in result.stderr


def test_an_oversized_config_file_is_not_parsed(tiny_names, tmp_path: Path, monkeypatch) -> None:
    folder = shutil.copytree(tiny_names.folder, tmp_path / "model")
    size = (folder / "config.json").stat().st_size
    monkeypatch.setattr(pretrained_module, "MAX_CONFIG_BYTES", size - 1)
    monkeypatch.setattr(json, "loads", lambda *a, **k: pytest.fail("an oversized config.json was parsed"))
    with pytest.raises(
        ModelLoadError, match=f"config.json is {size:,} bytes; seqclf reads configs of at most"
    ):
        PretrainedClassifier.from_folder(folder)
