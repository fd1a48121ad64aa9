"""Each modality: one place for how its inputs arrive (JSON, bytes, arguments, files, the UI)."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from seqclf.encoders.base import _REGISTRY
from seqclf.errors import ConfigError, InvalidInputError
from seqclf.modalities import AUDIO, FEATURES, TEXT, modalities, modality_named

WAV = b"RIFF\x24\x00\x00\x00WAVEfmt "  # only its bytes matter here: the audio encoder decodes


def test_every_encoder_names_a_registered_modality():
    assert {TEXT, FEATURES, AUDIO} <= set(modalities())  # made, so registered
    for encoder in _REGISTRY.values():
        assert modality_named(encoder.modality_name).name == encoder.modality_name
    with pytest.raises(ConfigError, match="unknown input modality 'video'"):
        modality_named("video")


def test_single_texts_and_batches_are_told_apart():
    assert TEXT.is_single("Nakamura")
    assert not TEXT.is_single(["Nakamura", "Schmidt"])
    assert not TEXT.is_single([])


def test_single_frame_matrices_and_batches_are_told_apart():
    frames = np.zeros((5, 3))
    assert FEATURES.is_single(frames) and FEATURES.is_single(frames.tolist())
    assert FEATURES.is_single(torch.zeros(5, 3))
    assert not FEATURES.is_single([frames, frames]) and not FEATURES.is_single([frames.tolist()] * 2)
    assert not FEATURES.is_single(np.zeros((2, 5, 3)))


def test_single_recordings_and_batches_are_told_apart():
    samples = np.zeros(800, np.float32)
    assert AUDIO.is_single("a.wav") and AUDIO.is_single(b"RIFF")
    assert AUDIO.is_single(samples) and AUDIO.is_single(
        samples.tolist()
    )  # a list of samples, as transformers
    assert AUDIO.is_single({"array": samples, "sampling_rate": 16000})
    assert not AUDIO.is_single(["a.wav", "b.wav"])
    assert not AUDIO.is_single([samples, samples])
    assert not AUDIO.is_single([])


@pytest.mark.parametrize(
    ("modality", "item", "message"),
    [
        (TEXT, [[1.0, 2.0]], "input 3: this model takes a string per input"),
        (FEATURES, "Nakamura", r"input 3: this model takes a \(T, F\) matrix of numbers per input"),
        (AUDIO, [[1.0]], "input 3: this model takes a base64-encoded WAV string per input"),
    ],
)
def test_a_json_input_of_the_wrong_type_says_what_the_model_takes(modality, item, message):
    with pytest.raises(InvalidInputError, match=message):
        modality.from_json(item, 3)


def test_json_text_and_frames_reach_the_encoder_as_sent():
    assert TEXT.from_json("Nakamura", 0) == "Nakamura"
    assert FEATURES.from_json([[1.0, 2.0]], 0) == [[1.0, 2.0]]


@pytest.mark.parametrize(
    "encode",
    [
        base64.b64encode,
        base64.urlsafe_b64encode,
        lambda data: b"data:audio/wav;base64," + base64.b64encode(data),
        lambda data: base64.b64encode(data) + b"\n",
    ],
    ids=["standard", "url-safe", "data-url", "trailing-newline"],
)
def test_json_audio_is_base64_in_every_spelling_clients_send(encode):
    data = bytes(range(256)) + WAV  # every byte value: both alphabets' differing characters occur
    assert AUDIO.from_json(encode(data).decode("ascii"), 0) == data


def test_bad_or_empty_audio_is_refused_with_its_position():
    with pytest.raises(InvalidInputError, match="input 2: not valid base64"):
        AUDIO.from_json("not base64!", 2)
    with pytest.raises(InvalidInputError, match="input 1: the audio is empty"):
        AUDIO.from_json("", 1)
    with pytest.raises(InvalidInputError, match="input 4: the audio is empty"):
        AUDIO.from_bytes(b"", 4)


def test_only_audio_takes_files():
    assert AUDIO.accepts_files and AUDIO.from_bytes(WAV) == WAV
    for modality in (TEXT, FEATURES):
        assert not modality.accepts_files
        with pytest.raises(
            InvalidInputError,
            match=f"takes {modality.json_type.replace('(', '.').replace(')', '.')} per input, not a file",
        ):
            modality.from_bytes(WAV)


def test_command_line_arguments(tmp_path: Path):
    frames = tmp_path / "frames.csv"
    frames.write_text("1,2\n3,4\n5,6\n")
    np.testing.assert_array_equal(FEATURES.from_argument(str(frames)), [[1, 2], [3, 4], [5, 6]])
    assert TEXT.from_argument(str(frames)) == str(frames) and AUDIO.from_argument("a.wav") == "a.wav"
    # a text model given a file's name classifies the name; the warning says how to read its lines
    assert f"use --input {frames}" in TEXT.argument_warning(str(frames))
    assert TEXT.argument_warning("Nakamura") is None and FEATURES.argument_warning(str(frames)) is None


def test_files_of_many_inputs_are_read_by_each_modality_s_reader(tmp_path: Path):
    lines = tmp_path / "names.txt"
    lines.write_text("Nakamura\n\nSchmidt\n")
    read = list(TEXT.read_items(str(lines), "text"))
    assert [(item.value, item.error) for item in read] == [
        ("Nakamura", None),
        (None, "line 2: the line is blank"),  # kept: one output line per input line
        ("Schmidt", None),
    ]
    (tmp_path / "clips").mkdir()
    for name in ("b.wav", "a.WAV", "notes.txt"):
        (tmp_path / "clips" / name).write_bytes(WAV)
    assert [Path(item.value).name for item in AUDIO.read_items(str(tmp_path / "clips"), "text")] == [
        "a.WAV",
        "b.wav",
    ]
    (tmp_path / "frames").mkdir()
    (tmp_path / "frames" / "one.csv").write_text("1,2\n3,4\n")
    (items,) = FEATURES.read_items(str(tmp_path / "frames"), "text")
    np.testing.assert_array_equal(items.value, [[1, 2], [3, 4]])


@pytest.mark.parametrize("modality", [AUDIO, FEATURES])
def test_a_blank_line_in_a_list_of_paths_on_stdin_keeps_its_place(modality, tmp_path: Path, monkeypatch):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    for path in (first, second):
        path.write_text("1,2\n")
    # standard input as Python opens it: text over a byte buffer, which seqclf reads line by line
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(f"{first}\n\n{second}\n".encode())))
    items = list(modality.read_items("-", "text"))
    assert [item.name for item in items] == [str(first), "stdin:2", str(second)]
    assert items[1].error == "line 2: the line is blank"
    assert items[0].error is None and items[2].error is None


def test_a_ui_visitor_who_gave_nothing_is_told_what_to_give(tmp_path: Path):
    for modality, hint in (
        (TEXT, "type a text"),
        (AUDIO, "record or upload a WAV"),
        (FEATURES, "upload a CSV"),
    ):
        with pytest.raises(InvalidInputError, match=f"Give an input first: {hint}"):
            modality.from_widget(None)
    for blank in ("", "  \n\t"):  # an empty box is no input, not a REST-worded "input 0" error
        with pytest.raises(InvalidInputError, match=r"^Give an input first: type a text"):
            TEXT.from_widget(blank)
    assert TEXT.from_widget(" Kim ") == " Kim "  # what is there goes on as typed
    upload = tmp_path / "upload.csv"
    upload.write_text("0.5,1.5\n")
    np.testing.assert_array_equal(FEATURES.from_widget(str(upload)), [[0.5, 1.5]])
    assert AUDIO.from_widget("/tmp/recording.wav") == "/tmp/recording.wav"


def test_bundled_examples(tmp_path: Path):
    (tmp_path / "names.txt").write_text("Nakamura\n\n  Schmidt \nDvořák\n", encoding="utf-8")
    assert TEXT.examples(tmp_path, "names", 2) == ["Nakamura", "Schmidt"]
    assert TEXT.examples(tmp_path, "sentiment", 5) == []
    (tmp_path / "digits").mkdir()
    for name in ("2.wav", "1.wav", "read-me.md"):
        (tmp_path / "digits" / name).write_bytes(WAV)
    assert [Path(p).name for p in AUDIO.examples(tmp_path, "digits", 5)] == ["1.wav", "2.wav"]
    assert FEATURES.examples(tmp_path, "digits", 5) == []  # a frames tab wants CSVs, not WAVs
    assert AUDIO.examples(tmp_path, "vowels", 5) == []


def test_model_cards_show_a_request_body_each_kind_can_send():
    body = TEXT.curl_data('"Nakamura"')
    assert json.loads(body.strip("'")) == {"inputs": ["Nakamura"], "parameters": {"top_k": 3}}
    assert json.loads(FEATURES.curl_data("[[0.1, 0.2]]").strip("'"))["inputs"] == [[[0.1, 0.2]]]
    assert "$(base64 -w0 recording.wav)" in AUDIO.curl_data('"recording.wav"')
    assert (TEXT.hf_client_method, AUDIO.hf_client_method, FEATURES.hf_client_method) == (
        "text_classification",
        "audio_classification",
        "",  # InferenceClient has no task that sends a matrix
    )


def test_a_dataframe_cell_is_one_input_and_a_null_cell_is_refused_in_one_line():
    """Cells as a Spark column reaches pandas through Arrow (seqclf.integrations.spark)."""
    from seqclf.encoders.features import as_frames

    assert TEXT.from_cell("Nakamura") == "Nakamura"
    assert AUDIO.from_cell(WAV) == WAV
    for kind in (TEXT, AUDIO, FEATURES):
        for null in (None, float("nan")):
            with pytest.raises(
                InvalidInputError, match=re.escape(f"the value is null: this model takes {kind.json_type}")
            ):
                kind.from_cell(null)
    # array<array<double>>: an object array holding one float array per frame
    cell = np.empty(3, dtype=object)
    cell[:] = [np.array([0.5, 1.0]), np.array([1.5, 2.0]), np.array([2.5, 3.0])]
    assert as_frames(FEATURES.from_cell(cell), 2, 10).tolist() == [[0.5, 1.0], [1.5, 2.0], [2.5, 3.0]]
    cell[2] = np.array([2.5])
    with pytest.raises(InvalidInputError, match="the rows have different lengths"):
        as_frames(FEATURES.from_cell(cell), 2, 10)
