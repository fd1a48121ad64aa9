"""Naming models to load: the ``ID=PATH_OR_REPO[@REVISION]`` syntax shared by serve and the UI."""

from __future__ import annotations

from pathlib import Path

import pytest

from seqclf.errors import ConfigError
from seqclf.network.sources import ModelSpec, discover


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("names=models/names", ModelSpec("names", "models/names")),
        ("names=user/names-gru@v1.0", ModelSpec("names", "user/names-gru", "v1.0")),
        ("digits=user/digits@0123abc", ModelSpec("digits", "user/digits", "0123abc")),
    ],
)
def test_model_specs_parse(text: str, expected: ModelSpec) -> None:
    assert ModelSpec.parse(text) == expected


def test_an_existing_local_path_keeps_its_at_sign(tmp_path: Path) -> None:
    folder = tmp_path / "names@2"
    folder.mkdir()
    assert ModelSpec.parse(f"names={folder}") == ModelSpec("names", str(folder))


@pytest.mark.parametrize("text", ["names", "names=", "=models/names", "a/b=models/names", "names=user/repo@"])
def test_bad_model_specs_are_refused(text: str) -> None:
    with pytest.raises(ConfigError):
        ModelSpec.parse(text)


def test_a_spec_prints_as_its_source_and_revision() -> None:
    assert str(ModelSpec("names", "owner/repo", "v1")) == "owner/repo@v1"
    assert str(ModelSpec("names", "models/names")) == "models/names"


def test_model_folders_are_found_shipped_first_and_unfinished_ones_skipped(tmp_path: Path) -> None:
    for name in ["zeta", "vowels", "names", "digits"]:
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.json").write_text("{}")
    (tmp_path / "training-in-progress").mkdir()
    assert [spec.id for spec in discover(tmp_path)] == ["names", "digits", "vowels", "zeta"]
    assert discover(tmp_path / "missing") == []
