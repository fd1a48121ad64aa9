"""The feature encoder: per-channel standardisation, input shapes, and its error messages."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from speech_data import feature_sequence

from seqclf.data.frames import read_frames_csv
from seqclf.encoders import encoder_from_dict
from seqclf.encoders.features import FeatureEncoder
from seqclf.errors import InvalidInputError
from seqclf.modalities import FEATURES


@pytest.fixture(scope="module")
def sequences() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [feature_sequence(label % 3, rng, channels=4) * (1 + np.arange(4)) for label in range(30)]


@pytest.fixture(scope="module")
def encoder(sequences: list[np.ndarray]) -> FeatureEncoder:
    return FeatureEncoder.fit(sequences, max_length=50, step_seconds=0.01)


def test_training_frames_come_out_standardised(encoder, sequences):
    frames = torch.cat([encoder.encode(s) for s in sequences])
    assert frames.dtype == torch.float32
    assert frames.mean(0).abs().max() < 1e-4
    assert torch.allclose(frames.std(0, unbiased=False), torch.ones(4), atol=1e-4)


def test_constant_channel_is_left_unscaled():
    encoder = FeatureEncoder.fit([np.array([[1.0, 5.0], [3.0, 5.0]])])
    assert encoder.encode([[2.0, 5.0]]).tolist() == [[0.0, 0.0]]


def test_arrays_lists_and_tensors_encode_alike(encoder, sequences):
    seq = sequences[0]
    expected = encoder.encode(seq)
    assert torch.equal(encoder.encode(seq.tolist()), expected)
    assert torch.equal(encoder.encode(torch.from_numpy(seq)), expected)
    assert torch.equal(encoder.encode(seq.astype(np.float64)), expected)


def test_saved_json_restores_the_same_encoding(encoder, sequences):
    restored = encoder_from_dict(encoder.to_dict())
    assert isinstance(restored, FeatureEncoder)
    assert torch.equal(restored.encode(sequences[3]), encoder.encode(sequences[3]))
    assert restored.model_fields() == {"input_kind": "features", "num_features": 4}


def test_steps_are_frame_times(encoder):
    assert encoder.steps(np.zeros((3, 4))) == ["0.000s", "0.010s", "0.020s"]


@pytest.mark.parametrize(
    ("example", "message"),
    [
        (np.zeros((5, 3)), "has 3 channels; this model takes 4"),
        (np.zeros((0, 4)), "empty"),
        ([], "empty"),
        (np.zeros((51, 4)), "at most 50"),
        (np.array([[0.0, 1.0, np.nan, 0.0]]), "frame 0, channel 2 is nan"),
        (np.array([[0.0, 1.0, 0.0, 0.0], [0.0, np.inf, 0.0, 0.0]]), "frame 1, channel 1 is inf"),
        ([[1.0, 2.0, 3.0, 4.0], [1.0, 2.0]], "different lengths"),
        ([["a", "b", "c", "d"]], "must hold numbers"),
        (np.zeros(4), "2-D"),
        ("1,2,3,4", "expected a (frames, 4) array"),
        ({"frames": [[1, 2, 3, 4]]}, "expected a (frames, 4) array"),
    ],
)
def test_bad_inputs_get_clear_errors(encoder, example, message):
    with pytest.raises(InvalidInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        encoder.encode(example)


def test_csv_frames_for_the_command_line(tmp_path, encoder):
    path = tmp_path / "frames.csv"
    path.write_text("# one frame per line\n1,2,3,4\n5,6,7,8\n")
    frames = FEATURES.from_argument(str(path))
    assert frames.shape == (2, 4)
    assert torch.equal(encoder.encode(frames), encoder.encode([[1, 2, 3, 4], [5, 6, 7, 8]]))
    (tmp_path / "named.csv").write_text("# channels named\nc1,c2,c3,c4\n1,2,3,4\n5,6,7,8\n")
    assert np.array_equal(read_frames_csv(tmp_path / "named.csv"), frames)  # the names' row is skipped
    (tmp_path / "bad.csv").write_text("1,2,3,4\n1,2,root:x:0:0:hunter2,4\n")
    with pytest.raises(InvalidInputError, match="not a CSV of numbers") as refused:
        read_frames_csv(tmp_path / "bad.csv")
    # where, never what: the message goes to whoever sent the file, which may not be theirs
    assert str(refused.value).endswith("not a number at row 1, column 3")
    assert "hunter2" not in str(refused.value)
    with pytest.raises(InvalidInputError, match="no CSV file"):
        read_frames_csv(tmp_path / "missing.csv")
    (tmp_path / "ragged.csv").write_text("1,2,3\n1,2\n")
    with pytest.raises(InvalidInputError, match=r"columns changed from 3 to 2 at row 2$"):
        read_frames_csv(tmp_path / "ragged.csv")
    (tmp_path / "empty.csv").write_text("")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy warning leaks out; the encoder refuses the empty sequence
        assert read_frames_csv(tmp_path / "empty.csv").size == 0
