"""``seqclf predict``: a few inputs on the command line, or a whole file of them.

With inputs as arguments it prints one JSON array (as it always has). With ``--input``
(a file, folder, glob or ``-`` for stdin; see :mod:`seqclf.modalities.files`) it reads every
input there and writes one line per input, in order, as JSON Lines or CSV, to stdout or
``--output``. Inputs go through the checks every door applies (:mod:`seqclf.inference.requests`;
on the user's own machine, without a server's limits) and the model in batches; an input that cannot be read or
encoded gets its error on its own line and the rest carry on (``--fail-fast`` stops at
the first). The exit code is 0 when every input was classified, 1 when some were not,
and 2 for a mistake in the command itself.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import chain, islice
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Literal

import typer

from seqclf.cli.support import fail, start_compute
from seqclf.errors import ConfigError, SeqclfError

if TYPE_CHECKING:
    from seqclf.modalities.files import Item

Format = Literal["jsonl", "csv"]


class _Writer:
    """One output line per input: JSON Lines, or CSV with a label and score column per rank."""

    def __init__(self, handle: IO[str], fmt: Format, top_k: int) -> None:
        self.handle, self.fmt = handle, fmt
        self.json = json.JSONEncoder(ensure_ascii=False).encode  # one encoder for every line
        if fmt == "csv":
            ranks = [("label", "score")] + [(f"label_{r}", f"score_{r}") for r in range(2, top_k + 1)]
            self.csv = csv.writer(handle)
            self.csv.writerow(["input", *[c for pair in ranks for c in pair], "error"])
            self.width = top_k

    def write(self, name: str, predictions: list[dict] | None, error: str | None) -> None:
        if self.fmt == "jsonl":
            line = (
                {"input": name, "predictions": predictions}
                if error is None
                else {"input": name, "error": error}
            )
            self.handle.write(self.json(line) + "\n")
            return
        cells: list[object] = []
        for p in (predictions or [])[: self.width]:
            cells += [p["label"], f"{p['score']:.6g}"]
        cells += [""] * (2 * self.width - len(cells))
        self.csv.writerow([name, *cells, error or ""])


@contextmanager
def _opened(output: Path | None, overwrite: bool) -> Iterator[IO[str]]:
    if output is None:
        yield sys.stdout
        return
    if output.exists() and not overwrite:
        raise ConfigError(f"{output} exists: give another --output, or --overwrite to replace it")
    try:
        handle = output.open("w", encoding="utf-8", newline="")
    except OSError as err:
        raise ConfigError(f"cannot write {output}: {err.strerror or err}") from None
    with handle:
        yield handle


def _chunks(items: Iterator[Item], size: int) -> Iterator[tuple[list[Item], SeqclfError | None]]:
    """``items`` in lists of ``size``; when the source fails part-way (a byte that is not UTF-8,
    a broken JSON line), the inputs read before it, with the failure, so they are still answered."""
    chunk: list[Item] = []
    try:
        for item in items:
            chunk.append(item)
            if len(chunk) == size:
                yield chunk, None
                chunk = []
    except SeqclfError as err:
        yield chunk, err
        return
    if chunk:
        yield chunk, None


def _predict_file(
    predictor,
    source: str,
    column: str,
    output: Path | None,
    fmt: Format,
    top_k: int,
    batch_size: int,
    fail_fast: bool,
    overwrite: bool,
) -> int:
    """Classify every input in ``source`` as it is read; the number that could not be classified.

    Inputs stream through in chunks of the modality's ``read_ahead_batches`` batches (16 for
    texts, 1 for recordings and series): each chunk is encoded, run in length-sorted batches
    (:func:`~seqclf.inference.batching.batched_logits`) and written in input order before the
    next is read, so memory does not grow with the file. A failure of the source itself part-way
    stops the command after the inputs before it are written, and says how many those were.
    """
    from tqdm.auto import tqdm

    from seqclf.inference.requests import NO_LIMITS, answer_each, encode_each
    from seqclf.modalities.files import Item

    items = iter(predictor.modality.read_items(source, column))
    # the first read raises the source's own problems (no such file, no column) before any output
    items = chain(list(islice(items, 1)), items)
    predictor.batch_size = batch_size
    size = batch_size * predictor.modality.read_ahead_batches
    failed = written = 0
    with _opened(output, overwrite) as handle:
        writer = _Writer(handle, fmt, top_k)
        # on stderr and only on a terminal, so piped output stays clean
        with tqdm(unit="input", disable=None, file=sys.stderr) as bar:
            for chunk, failure in _chunks(items, size):
                # the request path's checks, one input at a time
                encoded = encode_each(predictor, chunk, NO_LIMITS, read=Item.read)
                refused = [i for i, e in enumerate(encoded) if isinstance(e, str)]
                if refused and fail_fast:  # the lines before the bad one are still written
                    chunk, encoded = chunk[: refused[0] + 1], encoded[: refused[0] + 1]
                for item, answer in zip(chunk, answer_each(predictor, encoded, top_k), strict=True):
                    if not isinstance(answer, str):
                        writer.write(item.name, answer, None)
                    elif fail_fast:
                        raise ConfigError(f"{item.name}: {answer} (stopped: --fail-fast)")
                    else:
                        writer.write(item.name, None, answer)
                    written += 1
                handle.flush()  # a reader at the other end of a pipe gets each chunk as it is done
                failed += len(refused)
                bar.update(len(chunk))
                if failure is not None:
                    where = f" in {output}" if output is not None else ""
                    raise type(failure)(
                        f"{failure} (stopped; the {written} input(s) before it are answered{where})"
                    ) from None
    return failed


def predict(
    model: Annotated[str, typer.Argument(help="Model folder or Hub repo id.")],
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Inputs to classify: texts, audio files (audio models), CSV files of frames. "
            "For a file of many inputs use --input."
        ),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--input",
            "-i",
            help="Classify every input in a file: lines of a text file, a column of CSV/TSV/JSONL/"
            "Parquet, a folder or glob of audio files, a .ts/.arff/.npz of series; '-' reads stdin.",
        ),
    ] = None,
    column: Annotated[str, typer.Option(help="With --input: the text column of a table.")] = "text",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="With --input: write here, not to stdout.")
    ] = None,
    output_format: Annotated[
        Format | None,
        typer.Option(
            "--format", help="With --input: jsonl or csv (default: from --output's suffix, else jsonl)."
        ),
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="With --input: inputs per forward pass.")] = 64,
    fail_fast: Annotated[bool, typer.Option(help="With --input: stop at the first bad input.")] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing --output file.")] = False,
    top_k: Annotated[int, typer.Option(min=1, help="How many labels to show per input.")] = 3,
    revision: Annotated[str | None, typer.Option(help="Hub revision (branch, tag or commit).")] = None,
) -> None:
    """Predict labels for inputs on the command line (prints JSON) or in a file (--input)."""
    from seqclf.inference.predictor import Predictor
    from seqclf.inference.requests import NO_LIMITS, answer

    if inputs == ["-"] and source is None:  # `seqclf predict MODEL -` reads stdin, as --input - does
        inputs, source = None, "-"
    if bool(inputs) == (source is not None):
        raise fail(ConfigError("give inputs as arguments or one --input source, not both and not neither"))
    if output is not None and source is None:
        raise fail(
            ConfigError("--output writes the results of --input; inputs given as arguments print JSON")
        )
    fmt: Format = output_format or (
        "csv" if output is not None and output.suffix.lower() == ".csv" else "jsonl"
    )
    try:
        start_compute()
        predictor = Predictor.from_pretrained(model, revision=revision)
        if source is not None:
            failed = _predict_file(
                predictor, source, column, output, fmt, top_k, batch_size, fail_fast, overwrite
            )
        else:
            modality = predictor.modality
            for warning in filter(None, map(modality.argument_warning, inputs)):
                typer.secho(f"warning: {warning}", err=True, fg=typer.colors.YELLOW)
            results = answer(predictor, [modality.from_argument(x) for x in inputs], top_k, NO_LIMITS)
    except SeqclfError as err:
        raise fail(err) from None
    if source is not None:
        if failed:
            typer.secho(f"{failed} input(s) could not be classified; see their lines", err=True)
            raise typer.Exit(code=1)
        return
    typer.echo(
        json.dumps(
            [{"input": x, "predictions": p} for x, p in zip(inputs, results, strict=True)],
            indent=2,
            ensure_ascii=False,
        )
    )
