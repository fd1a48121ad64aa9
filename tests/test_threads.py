"""The thread choice every command starts with: asked, OMP_NUM_THREADS, or the CPUs that are free."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from tolerances import assert_same_predictions
from typer.testing import CliRunner

from seqclf.cli import app
from seqclf.errors import ConfigError
from seqclf.threads import ENV, choose_threads, quota_cpus, usable_cpus


def test_an_idle_machine_gets_every_cpu_and_a_busy_one_what_is_left() -> None:
    assert choose_threads(environ={}, cpus=2, load=0.1).threads == 2
    busy = choose_threads(environ={}, cpus=2, load=1.1)  # one other busy process
    assert busy.threads == 1 and "other work keeps about 1.1 of them busy" in busy.reason
    assert choose_threads(environ={}, cpus=64, load=10.0).threads == 54
    assert choose_threads(environ={}, cpus=2, load=7.5).threads == 1  # never none


def test_asked_threads_win_then_omp_num_threads() -> None:
    assert choose_threads(3, environ={ENV: "1", "OMP_NUM_THREADS": "2"}, cpus=2, load=5).threads == 3
    assert choose_threads(environ={ENV: "4"}, cpus=2, load=5).threads == 4
    left = choose_threads(environ={"OMP_NUM_THREADS": "2"}, cpus=8, load=0)
    assert left.threads is None and left.reason == "OMP_NUM_THREADS"  # torch already read it
    with pytest.raises(ConfigError, match="SEQCLF_TORCH_THREADS='two': give a whole number"):
        choose_threads(environ={ENV: "two"})
    with pytest.raises(ConfigError, match="give at least 1"):
        choose_threads(0, environ={})


def test_a_container_quota_caps_the_cpus(tmp_path: Path) -> None:
    cpu_max = tmp_path / "cpu.max"
    cpu_max.write_text("150000 100000\n")  # docker run --cpus 1.5
    assert quota_cpus(cpu_max) == 1.5 and usable_cpus(cpu_max) == 1
    cpu_max.write_text("max 100000\n")
    assert quota_cpus(cpu_max) is None
    assert quota_cpus(tmp_path / "absent") is None


def test_a_command_says_a_choice_it_made_once_and_applies_an_asked_one_silently(
    tiny_names, monkeypatch
) -> None:
    before = torch.get_num_threads()
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    try:
        monkeypatch.delenv(ENV, raising=False)
        chosen = CliRunner().invoke(app, ["predict", str(tiny_names.folder), "Kamuramoto"])
        assert chosen.exit_code == 0, chosen.output
        assert (
            chosen.stderr.count("torch: ") == 1
            and "--threads or SEQCLF_TORCH_THREADS to change" in chosen.stderr
        )
        monkeypatch.setenv(ENV, "2")
        asked = CliRunner().invoke(app, ["predict", str(tiny_names.folder), "Kamuramoto"])
        assert "torch:" not in asked.stderr and torch.get_num_threads() == 2
        flag = CliRunner().invoke(app, ["--threads", "1", "predict", str(tiny_names.folder), "Kamuramoto"])
        assert flag.exit_code == 0 and torch.get_num_threads() == 1
        # the same answer on one thread as on two, within float32 rounding
        assert_same_predictions(
            json.loads(flag.stdout)[0]["predictions"], json.loads(asked.stdout)[0]["predictions"]
        )
        monkeypatch.setenv(ENV, "lots")
        bad = CliRunner().invoke(app, ["predict", str(tiny_names.folder), "Kamuramoto"])
        assert bad.exit_code == 2 and "SEQCLF_TORCH_THREADS='lots'" in bad.stderr
        assert "Traceback" not in bad.output
    finally:
        torch.set_num_threads(before)
