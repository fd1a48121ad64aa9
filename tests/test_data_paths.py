"""Data that names files reads only files inside its folder (seqclf.data.paths).

An audiofolder's ``metadata.csv``, its class subfolders, a ``--test`` folder and an index
of frame CSVs may come from anyone: a path in them that leads out of the data's folder
(an absolute one, a ``..`` that climbs out, a link to a file elsewhere) is refused in one
line naming the row, and nothing is decoded. The file outside is always a good recording,
which the readers would otherwise take. Links that stay inside are read, and so are the
links huggingface_hub's cache makes from a snapshot into its repo's blobs.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import huggingface_hub.constants
import numpy as np
import pytest
import soundfile as sf
from hub_server import HubServer, Repo
from speech_data import clip
from test_hub import TOKEN, hub_env
from test_own_data import write_audiofolder
from test_series_tables import waves, write_frame_files
from typer.testing import CliRunner

from seqclf.cli import app
from seqclf.data import hub_data
from seqclf.data.audiofolder import read_audiofolder
from seqclf.data.fsdd import read_fsdd
from seqclf.data.hub_data import local_data
from seqclf.data.names import read_names
from seqclf.data.series import read_series
from seqclf.data.tables import read_texts
from seqclf.errors import DataError
from seqclf.tasks import get_task

#: how a refusal ends: for a path that climbs out with "..", and for a link to a file outside
CLIMBS = "; name a file inside it"
LINKS = " through a link; copy the file in rather than link to it"


def outside_recording(tmp_path: Path) -> Path:
    """A good recording beside the data folder, in a folder of its own."""
    path = tmp_path / "elsewhere" / "secret.wav"
    path.parent.mkdir()
    sf.write(path, clip("1", 16000, np.random.default_rng(5)), 16000)
    return path


def add_row(metadata: Path, name: str, label: str = "class-1") -> int:
    """Append a row to ``metadata``; the line it is on."""
    with metadata.open("a", newline="") as handle:
        csv.writer(handle).writerow((name, label))
    return len(metadata.read_text().splitlines())


@pytest.mark.parametrize(
    ("name", "refusal"),
    [
        ("{outside}", "is an absolute path; give paths relative to the folder {data}"),
        ("../elsewhere/secret.wav", "leads out of the folder {data}" + CLIMBS),
        ("deeper/../../elsewhere/secret.wav", "leads out of the folder {data}" + CLIMBS),
        ("link.wav", "leads out of the folder {data}" + LINKS),  # a link to the file outside
        ("linked/secret.wav", "leads out of the folder {data}" + LINKS),  # through a linked folder
    ],
)
def test_a_metadata_row_that_leads_out_of_the_folder_is_refused(
    tmp_path: Path, name: str, refusal: str
) -> None:
    outside = outside_recording(tmp_path)
    data = write_audiofolder(tmp_path / "data", with_metadata=True, per_class=2)
    os.symlink(outside, data / "link.wav")
    os.symlink(outside.parent, data / "linked")
    name = name.format(outside=outside)
    line = add_row(data / "metadata.csv", name)
    expected = f"{data / 'metadata.csv'}, line {line}: {name!r} " + refusal.format(data=data)
    for read in (read_audiofolder, get_task("audio").read):
        with pytest.raises(DataError) as refused:
            read(data)
        assert str(refused.value) == expected


def test_links_and_dots_that_stay_inside_the_folder_are_read(tmp_path: Path) -> None:
    data = write_audiofolder(tmp_path / "data", with_metadata=True, per_class=2)
    (data / "kept").mkdir()
    shutil.move(data / "1_0.wav", data / "kept" / "1_0.wav")
    os.symlink(data / "kept" / "1_0.wav", data / "link.wav")
    add_row(data / "metadata.csv", "link.wav")
    add_row(data / "metadata.csv", "kept/../kept/1_0.wav")
    rows = (data / "metadata.csv").read_text().replace("\n1_0.wav,", "\nkept/1_0.wav,")
    (data / "metadata.csv").write_text(rows)
    examples = get_task("audio").read(data)
    assert examples.inputs[-2:] == [str(data / "link.wav"), str(data / "kept/../kept/1_0.wav")]
    assert examples.labels == ["class-0"] * 2 + ["class-1"] * 2 + ["class-2"] * 2 + ["class-1"] * 2
    assert examples.skipped == []


def test_a_metadata_csv_that_links_elsewhere_is_refused_unread(tmp_path: Path) -> None:
    secret = tmp_path / "elsewhere" / "secret.csv"
    secret.parent.mkdir()
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    data = write_audiofolder(tmp_path / "data", with_metadata=False, per_class=2)
    os.symlink(secret, data / "metadata.csv")
    for given in (data, data / "metadata.csv"):
        with pytest.raises(DataError) as refused:
            read_audiofolder(given)
        assert str(refused.value) == f"{data}: 'metadata.csv' leads out of the folder {data}{LINKS}"


@pytest.mark.parametrize("linked", ["a file", "a class folder"])
def test_a_class_subfolder_that_leads_out_of_the_folder_is_refused(tmp_path: Path, linked: str) -> None:
    outside = outside_recording(tmp_path)
    data = write_audiofolder(tmp_path / "data", with_metadata=False, per_class=2)
    if linked == "a file":
        os.symlink(outside, data / "1" / "secret.wav")
        where, name = "'1'", "1/secret.wav"
    else:
        os.symlink(outside.parent, data / "3")
        where, name = "'3'", "3/secret.wav"
    with pytest.raises(DataError) as refused:
        read_audiofolder(data)
    assert str(refused.value) == (
        f"{data}, class subfolder {where}: {name!r} leads out of the folder {data}{LINKS}"
    )


def test_a_label_file_that_links_out_of_a_text_folder_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "elsewhere" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("a line of someone's secrets\n")
    data = tmp_path / "texts"
    data.mkdir()
    (data / "en.txt").write_text("Smith\nJones\n")
    (data / "de.txt").write_text("Schmidt\nMüller\n")
    os.symlink(data / "en.txt", data / "english.txt")  # a link inside the folder is read
    assert read_texts(data).labels == ["de", "de", "en", "en", "english", "english"]
    os.symlink(secret, data / "secret.txt")
    for read in (read_texts, read_names):
        with pytest.raises(DataError) as refused:
            read(data)
        assert (
            str(refused.value)
            == f"{data}, label 'secret': 'secret.txt' leads out of the folder {data}{LINKS}"
        )


def test_a_test_folder_is_held_to_its_own_folder(tmp_path: Path) -> None:
    outside = outside_recording(tmp_path)
    data = write_audiofolder(tmp_path / "data", with_metadata=False, per_class=2)
    test = write_audiofolder(tmp_path / "test", with_metadata=True, per_class=2)
    line = add_row(test / "metadata.csv", str(outside))
    for given in (test, test / "metadata.csv"):  # the folder, or its list
        with pytest.raises(
            DataError, match=re.escape(f"{test / 'metadata.csv'}, line {line}: '{outside}' is")
        ):
            get_task("audio").load_splits(data, {"test_file": str(given)})


def test_the_command_refuses_the_row_in_one_line_and_writes_nothing(tmp_path: Path) -> None:
    outside = outside_recording(tmp_path)
    data = write_audiofolder(tmp_path / "data", with_metadata=True, per_class=2)
    line = add_row(data / "metadata.csv", "../elsewhere/secret.wav")
    out = tmp_path / "model"
    result = CliRunner().invoke(app, ["train", "audio", "--data", str(data), "--out", str(out)])
    assert result.exit_code == 2
    assert result.output == (
        f"error: {data / 'metadata.csv'}, line {line}: '../elsewhere/secret.wav' leads out of the folder "
        f"{data}{CLIMBS}\n"
    )
    assert not out.exists() and outside.is_file()


def as_hub_snapshot(folder: Path, cache: Path, repo_folder: str) -> Path:
    """``folder`` laid out as huggingface_hub caches a repo: each file a link from
    ``snapshots/<sha>/`` to its content in ``blobs/``. The snapshot folder."""
    snapshot = cache / repo_folder / "snapshots" / ("0" * 40)
    blobs = cache / repo_folder / "blobs"
    blobs.mkdir(parents=True)
    for i, path in enumerate(sorted(p for p in folder.rglob("*") if p.is_file())):
        linked = snapshot / path.relative_to(folder)
        linked.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, blobs / f"blob{i}")
        os.symlink(os.path.relpath(blobs / f"blob{i}", linked.parent), linked)
    return snapshot


def test_the_links_of_the_hub_cache_are_read_and_lead_nowhere_else(tmp_path: Path, monkeypatch) -> None:
    cache = tmp_path / "hub"
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    audio = as_hub_snapshot(
        write_audiofolder(tmp_path / "a", with_metadata=True, per_class=2), cache, "datasets--carol--audio"
    )
    assert read_audiofolder(audio).labels == ["class-0"] * 2 + ["class-1"] * 2 + ["class-2"] * 2
    series, labels = waves(2)
    index = as_hub_snapshot(
        write_frame_files(tmp_path / "s", series, labels).parent, cache, "datasets--carol--s"
    )
    for case, expected in zip(read_series(index / "index.csv").inputs, series, strict=True):
        np.testing.assert_allclose(case, expected, atol=1e-6)
    # a snapshot's link into another repo's cache leads out all the same
    os.symlink(cache / "datasets--carol--audio" / "blobs" / "blob0", index / "frames" / "other.csv")
    line = add_row(index / "index.csv", "frames/other.csv", "sine")
    with pytest.raises(DataError, match=re.escape(f"row {line - 1}: 'frames/other.csv' leads out of")):
        read_series(index / "index.csv")


def test_a_path_in_a_hub_reference_stays_in_its_repo(tmp_path: Path, monkeypatch) -> None:
    cache = tmp_path / "hub"
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    snapshot = as_hub_snapshot(write_audiofolder(tmp_path / "a", with_metadata=True, per_class=2), cache, "r")
    outside_recording(tmp_path)
    monkeypatch.setattr(hub_data, "download_dataset", lambda *_: (snapshot, "0" * 40))
    assert local_data("hf://datasets/carol/audio/metadata.csv")[0] == snapshot / "metadata.csv"
    escape = "hf://datasets/carol/audio/../../../../elsewhere"
    with pytest.raises(DataError) as refused:
        local_data(escape)
    assert (
        str(refused.value) == f"{escape}: '../../../../elsewhere' leads out of the folder {snapshot}{CLIMBS}"
    )


@pytest.mark.slow  # a fresh process, as huggingface_hub reads its endpoint at import
def test_data_fetched_from_the_hub_reads_its_listed_files(tmp_path: Path) -> None:
    series, labels = waves(2)
    index = write_frame_files(tmp_path / "series", series, labels)
    audio = write_audiofolder(tmp_path / "audio", with_metadata=True, per_class=2)
    files = {f"series/{p.relative_to(index.parent)}": p.read_bytes() for p in index.parent.rglob("*.csv")}
    files |= {f"audio/{p.relative_to(audio)}": p.read_bytes() for p in audio.iterdir()}
    read = (
        "import json; from seqclf.data.hub_data import local_data; from seqclf.data.series import read_series;"
        "from seqclf.data.audiofolder import read_audiofolder;"
        "s = read_series(local_data('hf://datasets/carol/mixed/series/index.csv')[0]);"
        "a = read_audiofolder(local_data('hf://datasets/carol/mixed/audio')[0]);"
        "print(json.dumps([s.labels, [c.tolist() for c in s.inputs], a.labels]))"
    )
    with HubServer(TOKEN) as server:
        server.hub.commit(
            server.hub.repos.setdefault("datasets/carol/mixed", Repo(private=False)), "main", "d", files
        )
        done = subprocess.run(
            [sys.executable, "-c", read],
            env=hub_env(server.url, tmp_path / "home"),
            capture_output=True,
            text=True,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    read_labels, cases, audio_labels = json.loads(done.stdout)
    assert read_labels == labels
    for case, expected in zip(cases, series, strict=True):
        np.testing.assert_allclose(case, expected, atol=1e-6)
    assert audio_labels == ["class-0"] * 2 + ["class-1"] * 2 + ["class-2"] * 2


def test_an_fsdd_recording_that_links_elsewhere_is_refused(tmp_path: Path) -> None:
    outside = outside_recording(tmp_path)
    data = tmp_path / "fsdd"
    data.mkdir()
    sf.write(data / "1_theo_0.wav", clip("1", 8000, np.random.default_rng(1)), 8000)
    os.symlink(outside, data / "2_theo_0.wav")
    with pytest.raises(DataError) as refused:
        read_fsdd(data)
    assert str(refused.value) == f"{data}: '2_theo_0.wav' leads out of the folder {data}{LINKS}"
