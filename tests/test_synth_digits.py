"""benchmarks/synth_digits.py: synthetic digit voices that FSDD's reader and the front end take.

The corpus is only worth training on if each clip really is a spoken word at 8 kHz, named
so that :func:`seqclf.data.fsdd.read_fsdd` reads its digit and voice. Two words with
espeak-ng (milliseconds each) check that; the full corpus takes minutes.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import benchmarks.synth_digits as synth
from seqclf.data.fsdd import read_fsdd
from seqclf.errors import DataError

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is not installed: apt-get install espeak-ng"
)
VOICE = synth.Voice("espeak-ng", "espeak-en-gb-m3-s160-p40", "en-gb+m3", 160, 40)


def _periodicity(samples: np.ndarray, rate: int) -> float:
    """The highest normalised autocorrelation at a 60-400 Hz pitch lag over the 32 ms frames
    within 10 dB of the loudest: near 1 for a voiced sound, low for noise."""
    width, hop = int(0.032 * rate), int(0.008 * rate)
    frames = [samples[i : i + width] for i in range(0, samples.size - width, hop)]
    loudest = max(float(np.sum(f**2)) for f in frames)
    lags = np.arange(rate // 400, rate // 60)
    best = 0.0
    for frame in frames:
        if np.sum(frame**2) < 0.1 * loudest:
            continue
        frame = frame - frame.mean()
        for lag in lags:
            a, b = frame[: width - lag], frame[lag:]
            best = max(best, float(np.dot(a, b) / np.sqrt(np.dot(a, a) * np.dot(b, b))))
    return best


@pytest.mark.slow
@needs_espeak
def test_two_words_are_voiced_speech_at_8_khz_of_a_words_length(tmp_path: Path) -> None:
    for word in ("two", "seven"):
        clip = synth.synthesise(VOICE, word)
        # espeak-ng's own rate is 22,050 Hz; the clip must last as long at 8 kHz
        raw = tmp_path / f"{word}.wav"
        subprocess.run(VOICE.command(word, raw, tmp_path / "text"), check=True, timeout=60)
        native, native_rate = sf.read(raw)
        assert native_rate != synth.RATE
        assert clip.size / synth.RATE == pytest.approx(native.size / native_rate, abs=0.002)
        assert 0.2 < clip.size / synth.RATE < 1.5, f"{word!r} lasts {clip.size / synth.RATE:.2f} s"
        assert _periodicity(clip, synth.RATE) > 0.9, f"{word!r} has no voiced sound"
    noise = np.random.default_rng(0).standard_normal(synth.RATE)
    assert _periodicity(noise, synth.RATE) < 0.5  # the check itself tells speech from noise


@pytest.mark.slow
@needs_espeak
def test_the_corpus_is_named_and_stored_as_fsdd_is(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(synth, "WORDS", ("zero", "one"))
    written = synth.write_corpus(tmp_path, [VOICE], log=lambda line: None)

    assert written == {"espeak-ng": 1}
    rows = read_fsdd(tmp_path)
    assert [(label, speaker) for _, label, speaker, _ in rows] == [("0", VOICE.name), ("1", VOICE.name)]
    for path, *_ in rows:
        info = sf.info(path)
        assert (info.samplerate, info.channels, info.subtype) == (8000, 1, "PCM_16")


def test_a_missing_synthesiser_is_one_line_naming_the_package(monkeypatch) -> None:
    monkeypatch.setattr(synth.shutil, "which", lambda name: None)
    flite = synth.Voice("flite", "flite-slt-d100-f120", "slt", 1.0, 120)

    with pytest.raises(DataError, match=r"^flite is not installed: apt-get install flite$"):
        synth.synthesise(flite, "two")


def test_the_voice_list_is_fixed_and_names_are_distinct_fsdd_speakers() -> None:
    listed = synth.voices()
    assert [v.name for v in listed] == [v.name for v in synth.voices()]
    assert len({v.name for v in listed}) == len(listed) == 432
    assert all("_" not in v.name for v in listed)
