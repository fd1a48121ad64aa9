"""Synthetic speakers for the digits task: "zero".."nine" from the synthesisers Debian ships.

FSDD has six adult male speakers, so a model trained without one of them has heard five
voices (docs/speech.md). Text-to-speech gives many more: espeak-ng's English accents times
its voice variants at drawn speeds and pitches, Festival's English voices at several
durations, and flite's voices at several durations and pitches. Each clip is resampled to
8 kHz mono 16-bit WAV like FSDD's and named ``{digit}_{voice}_0.wav``, so
:func:`seqclf.data.fsdd.read_fsdd` reads the folder (the voice is the "speaker"):

    apt-get install espeak-ng festival flite festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts
    python benchmarks/synth_digits.py --out runs/synth

The voice list is fixed (the speeds and pitches are drawn from a generator seeded with 0),
so the same packages give the same folder; ``--list`` prints it without synthesising. A
missing synthesiser is reported in one line and its voices are skipped (``--require``
makes that an error). docs/speech-synthetic.md records the list and the counts.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from seqclf.audio.io import resample
from seqclf.errors import DataError

WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
RATE = 8000
TIMEOUT_S = 60

ESPEAK_ACCENTS = (
    "en-us",
    "en-us-nyc",
    "en-gb",
    "en-gb-x-rp",
    "en-gb-scotland",
    "en-gb-x-gbclan",
    "en-gb-x-gbcwmd",
    "en-029",
)
# espeak-ng's voice variants (espeak-ng-data/voices/!v) that sound like a person speaking,
# not an effect (whisper, robots and the like are left out); "" is the accent's own voice
ESPEAK_VARIANTS = (
    "",
    *(f"m{i}" for i in range(1, 8)),
    *(f"f{i}" for i in range(1, 6)),
    "klatt",
    "klatt2",
    "klatt3",
    "klatt4",
    "croak",
    "iven",
    "john",
    "max",
    "paul",
    "edward",
    "david",
    "benjamin",
)
ESPEAK_DRAWS = 2  # speed/pitch draws per accent and variant
FESTIVAL_VOICES = ("kal_diphone", "ked_diphone", "cmu_us_slt_arctic_hts")
FESTIVAL_STRETCHES = (0.8, 0.95, 1.1, 1.3)
FLITE_VOICES = ("kal", "kal16", "awb", "rms", "slt")
FLITE_SETTINGS = ((0.85, 95), (1.0, 120), (1.15, 150), (1.3, 180))  # duration stretch, mean F0 in Hz


@dataclass(frozen=True)
class Voice:
    """One synthetic speaker: the synthesiser and its settings, named without underscores."""

    engine: str
    name: str
    voice: str
    speed: float = 1.0  # espeak-ng: words per minute; festival and flite: duration stretch
    pitch: int = 0  # espeak-ng: 0-99; flite: mean F0 in Hz; festival: unused

    def command(self, word: str, wav: Path, text_file: Path) -> list[str]:
        """The synthesiser's argument list (no shell) that writes ``word`` to ``wav``.

        Festival's ``text2wave`` reads text from a file, so for it ``text_file`` is written here.
        """
        if self.engine == "espeak-ng":
            speed, pitch = str(int(self.speed)), str(self.pitch)
            return ["espeak-ng", "-v", self.voice, "-s", speed, "-p", pitch, "-z", "-w", str(wav), word]
        if self.engine == "flite":
            return [
                "flite",
                "-voice",
                self.voice,
                "--setf",
                f"duration_stretch={self.speed}",
                "--setf",
                f"int_f0_target_mean={self.pitch}",
                "-t",
                word,
                "-o",
                str(wav),
            ]
        text_file.write_text(word + "\n", encoding="utf-8")
        return [
            "text2wave",
            "-eval",
            f"(voice_{self.voice})",
            "-eval",
            f"(Parameter.set 'Duration_Stretch {self.speed})",
            "-o",
            str(wav),
            str(text_file),
        ]


def voices(seed: int = 0) -> list[Voice]:
    """The fixed voice list: espeak-ng accents x variants x drawn speed/pitch, Festival, flite."""
    rng = np.random.default_rng(seed)
    found: list[Voice] = []
    for accent in ESPEAK_ACCENTS:
        for variant in ESPEAK_VARIANTS:
            for _ in range(ESPEAK_DRAWS):
                speed, pitch = int(rng.integers(120, 221)), int(rng.integers(20, 81))
                voice = f"{accent}+{variant}" if variant else accent
                name = f"espeak-{accent}-{variant or 'base'}-s{speed}-p{pitch}"
                found.append(Voice("espeak-ng", name, voice, speed, pitch))
    for voice in FESTIVAL_VOICES:
        for stretch in FESTIVAL_STRETCHES:
            short = voice.split("_")[0] if voice.endswith("diphone") else "slt"
            found.append(Voice("festival", f"festival-{short}-d{round(stretch * 100)}", voice, stretch))
    for voice in FLITE_VOICES:
        for stretch, f0 in FLITE_SETTINGS:
            found.append(Voice("flite", f"flite-{voice}-d{round(stretch * 100)}-f{f0}", voice, stretch, f0))
    return found


BINARIES = ("espeak-ng", "text2wave", "flite")


def _engine_binary(engine: str) -> str:
    return "text2wave" if engine == "festival" else engine


def synthesise(voice: Voice, word: str) -> np.ndarray:
    """``word`` in ``voice`` as float32 samples at 8 kHz mono.

    Raises DataError in one line when the synthesiser is missing, fails, times out or
    writes no sound.
    """
    binary = _engine_binary(voice.engine)
    if shutil.which(binary) is None:
        raise DataError(f"{binary} is not installed: apt-get install {voice.engine}")
    with tempfile.TemporaryDirectory() as tmp:
        wav, text_file = Path(tmp) / "out.wav", Path(tmp) / "word.txt"
        try:
            done = subprocess.run(
                voice.command(word, wav, text_file),
                capture_output=True,
                text=True,
                timeout=TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise DataError(f"{binary} took over {TIMEOUT_S} s for {word!r} in {voice.name}") from None
        if done.returncode != 0 or not wav.is_file():
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise DataError(f"{binary} failed for {word!r} in {voice.name}: {last}")
        samples, rate = sf.read(wav, dtype="float32", always_2d=True)
    samples = samples.mean(axis=1)
    if samples.size == 0 or float(np.abs(samples).max()) == 0.0:
        raise DataError(f"{binary} wrote silence for {word!r} in {voice.name}")
    return resample(samples, rate, RATE)


def write_corpus(out: Path, chosen: list[Voice], log: Callable[[str], None] = print) -> dict[str, int]:
    """Every digit in every voice into ``out``; the number of voices written per engine."""
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    missing: set[str] = set()
    for voice in chosen:
        if voice.engine in missing:
            continue
        try:
            clips = [synthesise(voice, word) for word in WORDS]
        except DataError as err:
            if shutil.which(_engine_binary(voice.engine)) is None:
                missing.add(voice.engine)
            log(f"skipped: {err}")
            continue
        for digit, clip in enumerate(clips):
            peak = float(np.abs(clip).max())
            sf.write(out / f"{digit}_{voice.name}_0.wav", clip / peak * 0.9, RATE, subtype="PCM_16")
        written[voice.engine] = written.get(voice.engine, 0) + 1
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/synth"))
    parser.add_argument("--list", action="store_true", help="Print the voice list and stop.")
    parser.add_argument("--require", action="store_true", help="Fail if a synthesiser is missing.")
    args = parser.parse_args()
    chosen = voices()
    if args.list:
        for voice in chosen:
            print(voice.engine, voice.name, voice.voice, voice.speed, voice.pitch)
        return
    if args.require:
        absent = sorted({_engine_binary(v.engine) for v in chosen} - set(filter(shutil.which, BINARIES)))
        if absent:
            sys.exit(f"not installed: {', '.join(absent)}; apt-get install espeak-ng festival flite")
    written = write_corpus(args.out, chosen)
    total = sum(written.values())
    print(f"{total} voices x {len(WORDS)} digits = {total * len(WORDS)} clips in {args.out}: {written}")


if __name__ == "__main__":
    main()
