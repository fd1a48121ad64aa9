"""The hand-written MFCC front end against librosa, the reference it follows, and known values."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from speech_data import clip, tone

from seqclf.audio.mfcc import FrontEnd, MfccExtractor, dct_matrix, hz_to_mel, mel_filterbank, mel_to_hz
from seqclf.errors import ConfigError, InvalidInputError

librosa = pytest.importorskip("librosa")

SETTINGS = [
    FrontEnd(sampling_rate=8000, n_fft=256, hop_length=80, n_mels=40, n_mfcc=20),
    FrontEnd(sampling_rate=16000, n_fft=512, hop_length=160, n_mels=64, n_mfcc=13, fmin=50.0, fmax=7000.0),
]


def test_mel_scale_known_values():
    # Slaney's scale: linear at 200/3 Hz per mel up to 1 kHz (= 15 mel), then log steps.
    assert hz_to_mel(np.array([0.0, 200.0 / 3, 1000.0])).tolist() == pytest.approx([0.0, 1.0, 15.0])
    assert hz_to_mel(6400.0) == pytest.approx(15.0 + 27.0)
    hz = np.array([0.0, 440.0, 1000.0, 3999.0])
    assert mel_to_hz(hz_to_mel(hz)) == pytest.approx(hz)


@pytest.mark.parametrize("settings", SETTINGS)
def test_mel_filterbank_matches_librosa(settings):
    fmax = settings.fmax or settings.sampling_rate / 2
    ours = mel_filterbank(settings.sampling_rate, settings.n_fft, settings.n_mels, settings.fmin, fmax)
    reference = librosa.filters.mel(
        sr=settings.sampling_rate,
        n_fft=settings.n_fft,
        n_mels=settings.n_mels,
        fmin=settings.fmin,
        fmax=fmax,
    )
    np.testing.assert_allclose(ours, reference, rtol=1e-5, atol=1e-7)


def test_dct_matrix_is_orthonormal():
    basis = dct_matrix(32, 32)
    np.testing.assert_allclose(basis @ basis.T, np.eye(32), atol=1e-12)


@pytest.mark.parametrize("settings", SETTINGS)
@pytest.mark.slow
def test_mfcc_matches_librosa(settings):
    rng = np.random.default_rng(1)
    samples = clip("2", settings.sampling_rate, rng) + 0.05 * rng.standard_normal(1).astype(np.float32)
    ours = MfccExtractor(settings).mfcc(samples)
    reference = librosa.feature.mfcc(
        y=samples,
        sr=settings.sampling_rate,
        n_mfcc=settings.n_mfcc,
        n_fft=settings.n_fft,
        hop_length=settings.hop_length,
        n_mels=settings.n_mels,
        fmin=settings.fmin,
        fmax=settings.fmax or settings.sampling_rate / 2,
    ).T
    assert ours.shape == reference.shape
    np.testing.assert_allclose(ours, reference, atol=1e-3 * np.abs(reference).max())


@pytest.mark.slow  # librosa's first delta call compiles (numba); test_mfcc_matches_librosa stays in the edit loop
def test_frames_are_cmn_mfcc_plus_librosa_deltas():
    settings = SETTINGS[0]
    samples = clip("0", settings.sampling_rate, np.random.default_rng(2))
    frames, first = MfccExtractor(settings).frames(samples)
    assert first == 0 and frames.shape[1] == settings.num_features == 40
    mfcc = librosa.feature.mfcc(
        y=samples / np.abs(samples).max(), sr=8000, n_mfcc=20, n_fft=256, hop_length=80, n_mels=40, fmin=20.0
    ).T
    cmn = mfcc - mfcc.mean(axis=0)
    np.testing.assert_allclose(frames[:, :20], cmn, atol=1e-3 * np.abs(cmn).max())
    deltas = librosa.feature.delta(cmn.T, width=9, mode="nearest").T
    np.testing.assert_allclose(frames[:, 20:], deltas, atol=1e-3 * np.abs(deltas).max())


def test_variance_normalisation_scales_each_coefficient_to_unit_spread():
    settings = replace(SETTINGS[0], cvn=True, trim_db=None)
    samples = clip("4", settings.sampling_rate, np.random.default_rng(5))
    frames, _ = MfccExtractor(settings).frames(samples)
    plain = MfccExtractor(settings).mfcc(samples / np.abs(samples).max())  # checked against librosa above
    expected = (plain - plain.mean(axis=0)) / plain.std(axis=0)
    np.testing.assert_allclose(frames[:, :20], expected, atol=1e-4)
    np.testing.assert_allclose(frames[:, :20].std(axis=0), 1.0, atol=1e-4)
    # the same shape contract as without it, and the same answer twice
    assert frames.shape == MfccExtractor(replace(settings, cvn=False)).frames(samples)[0].shape
    np.testing.assert_array_equal(frames, MfccExtractor(settings).frames(samples)[0])
    with pytest.raises(ConfigError, match=r"cvn .* needs cmn"):
        FrontEnd(cmn=False, cvn=True)


def test_pure_tone_peaks_in_its_mel_band():
    settings = SETTINGS[0]
    extractor = MfccExtractor(settings)
    log_mel = extractor.log_mel(tone(1000.0, 0.5, 8000)).numpy()
    centres = mel_to_hz(np.linspace(hz_to_mel(settings.fmin), hz_to_mel(4000.0), settings.n_mels + 2))[1:-1]
    peak_band = int(np.argmax(log_mel[10]))
    assert abs(centres[peak_band] - 1000.0) < 60.0


def test_level_does_not_change_the_frames():
    extractor = MfccExtractor(SETTINGS[0])
    samples = clip("1", 8000, np.random.default_rng(3))
    loud, _ = extractor.frames(samples)
    quiet, _ = extractor.frames(samples * 0.01)
    np.testing.assert_allclose(loud, quiet, atol=1e-3)


def test_silent_edges_are_trimmed_and_the_offset_reported():
    settings = SETTINGS[0]
    extractor = MfccExtractor(settings)
    word = tone(600.0, 0.4, 8000)
    padded = np.concatenate([np.zeros(4000, np.float32), word, np.zeros(2400, np.float32)])
    frames, first = extractor.frames(padded)
    assert first * settings.frame_seconds == pytest.approx(0.5, abs=0.04)
    assert len(frames) * settings.frame_seconds == pytest.approx(0.4, abs=0.06)


def test_silence_and_too_little_sound_are_refused():
    extractor = MfccExtractor(SETTINGS[0])
    with pytest.raises(InvalidInputError, match="silent"):
        extractor.frames(np.zeros(8000, np.float32))
    click = np.zeros(8000, np.float32)
    click[4000:4040] = 0.5
    with pytest.raises(InvalidInputError, match=r"at least 0\.1 s"):
        extractor.frames(click)


def test_settings_are_checked_and_round_trip():
    assert FrontEnd.from_dict(SETTINGS[1].to_dict()) == SETTINGS[1]
    with pytest.raises(ConfigError, match="n_mfcc"):
        FrontEnd(n_mfcc=50, n_mels=40)
    with pytest.raises(ConfigError, match="fmax"):
        FrontEnd(sampling_rate=8000, fmax=6000.0)
    with pytest.raises(ConfigError, match="unknown"):
        FrontEnd.from_dict({**SETTINGS[0].to_dict(), "window": "hamming"})
