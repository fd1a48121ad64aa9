"""Decoding, resampling and the audio encoder: every accepted input and every refusal."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch
from speech_data import clip, tone, wav_bytes

from seqclf.audio.augment import change_speed, perturb
from seqclf.audio.io import load_audio, resample
from seqclf.audio.mfcc import FrontEnd
from seqclf.encoders import encoder_from_dict
from seqclf.encoders.audio import AudioEncoder
from seqclf.errors import InvalidInputError

RATE = 8000
FRONTEND = FrontEnd(sampling_rate=RATE, max_seconds=2.0)


def dominant_frequency(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[np.argmax(spectrum)])


@pytest.mark.parametrize("source_rate", [16000, 22050, 44100, 48000])
def test_resampling_keeps_pitch_and_duration(source_rate):
    out = resample(tone(440.0, 1.0, source_rate), source_rate, RATE)
    assert len(out) == RATE
    assert dominant_frequency(out, RATE) == pytest.approx(440.0, abs=2.0)


def test_resampling_removes_what_the_new_rate_cannot_hold():
    # 6 kHz is above the 4 kHz Nyquist limit of 8 kHz audio: it must be filtered, not aliased to 2 kHz.
    out = resample(tone(6000.0, 0.5, 48000), 48000, RATE)
    assert np.sqrt(np.mean(out**2)) < 0.01


@pytest.fixture(scope="module")
def samples() -> np.ndarray:
    return clip("0", 16000, np.random.default_rng(0))


def test_every_input_form_gives_the_same_samples(tmp_path, samples):
    path = tmp_path / "clip.wav"
    sf.write(path, samples, 16000, subtype="FLOAT")
    expected = resample(samples, 16000, RATE)
    from_path = load_audio(str(path), RATE, 10.0)
    np.testing.assert_allclose(from_path, expected, atol=1e-6)
    np.testing.assert_allclose(load_audio(path, RATE, 10.0), expected, atol=1e-6)
    np.testing.assert_allclose(load_audio(path.read_bytes(), RATE, 10.0), expected, atol=1e-6)
    np.testing.assert_allclose(load_audio({"array": samples, "sampling_rate": 16000}, RATE, 10.0), expected)
    np.testing.assert_allclose(load_audio({"raw": samples, "sampling_rate": 16000}, RATE, 10.0), expected)
    at_rate = resample(samples, 16000, RATE)
    np.testing.assert_allclose(load_audio(at_rate, RATE, 10.0), at_rate)
    np.testing.assert_allclose(load_audio(torch.from_numpy(at_rate), RATE, 10.0), at_rate)


def test_stereo_is_mixed_to_mono_and_int16_scaled(samples):
    stereo = np.stack([samples, 0.5 * samples], axis=1)
    mono = load_audio(wav_bytes(stereo, 16000, "FLOAT"), 16000, 10.0)
    np.testing.assert_allclose(mono, 0.75 * samples, atol=1e-6)
    pcm = (samples * 32767).astype(np.int16)
    np.testing.assert_allclose(load_audio(pcm, 16000, 10.0), samples, atol=1e-4)


@pytest.mark.parametrize(
    ("example", "message"),
    [
        (b"RIFF\x00\x00 not really a wav", "could not be decoded"),
        (b"", "empty"),
        ("/no/such/recording.wav", "no audio file"),
        (np.zeros(0, np.float32), "empty"),
        (np.array([0.1, np.nan, 0.2], np.float32), "non-finite"),
        (np.array([0.1, np.inf], np.float32), "non-finite"),
        (np.zeros(3 * RATE, np.float32), "at most 2 s"),
        (np.zeros((100, 2), np.float32), "must be 1-D"),
        (np.array(["a", "b"]), "must hold numbers"),
        ({"array": [0.1, 0.2]}, '"array" and "sampling_rate"'),
        ({"array": [0.1, 0.2], "sampling_rate": 0}, "positive integer"),
        (3.5, "expected a WAV file path"),
    ],
)
def test_bad_audio_gets_clear_errors(example, message):
    with pytest.raises(InvalidInputError, match=message) as caught:
        load_audio(example, RATE, 2.0)
    assert "object at 0x" not in str(caught.value)  # no Python object reprs in a user's message


def test_long_files_are_refused_before_decoding():
    with pytest.raises(InvalidInputError, match=r"lasts 3\.0 s"):
        load_audio(wav_bytes(np.zeros(3 * RATE, np.float32), RATE), RATE, 2.0)


@pytest.fixture(scope="module")
def encoder() -> AudioEncoder:
    rng = np.random.default_rng(1)
    return AudioEncoder.fit([clip(str(i % 3), RATE, rng) for i in range(12)], frontend=FRONTEND)


def test_encoder_standardises_and_round_trips(encoder):
    example = {"array": clip("1", 44100, np.random.default_rng(2)), "sampling_rate": 44100}
    encoded = encoder.encode(example)
    assert encoded.dtype == torch.float32 and encoded.shape[1] == 40
    restored = encoder_from_dict(encoder.to_dict())
    assert isinstance(restored, AudioEncoder) and restored.frontend == FRONTEND
    assert torch.equal(restored.encode(example), encoded)
    assert encoder.model_fields() == {"input_kind": "features", "num_features": 40}


def test_encoder_refuses_silence(encoder):
    with pytest.raises(InvalidInputError, match="silent"):
        encoder.encode(np.zeros(RATE, np.float32))


def test_steps_are_times_from_the_start_of_the_recording(encoder):
    padded = np.concatenate([np.zeros(RATE // 2, np.float32), tone(500.0, 0.3, RATE)])
    steps = encoder.steps(padded)
    assert len(steps) == len(encoder.encode(padded))
    assert steps[0] in ("0.48s", "0.49s", "0.50s")
    assert all(s.endswith("s") for s in steps)


def test_perturbations_vary_speed_padding_and_noise():
    word = tone(500.0, 0.5, RATE)
    faster = change_speed(word, 1.25)
    assert len(faster) == pytest.approx(len(word) / 1.25, abs=2)
    assert dominant_frequency(faster, RATE) == pytest.approx(625.0, abs=10.0)
    variants = [perturb(word, RATE, np.random.default_rng(seed)) for seed in range(3)]
    assert len({len(v) for v in variants}) == 3
    assert all(np.isfinite(v).all() and v.dtype == np.float32 for v in variants)
