"""``Predictor`` inside Apache Spark: a column of inputs in, a column of predictions out.

    from seqclf.integrations.spark import predict_udf

    surnames = spark.read.parquet("hdfs:///data/surnames")
    surnames.withColumn("p", predict_udf("OWNER/names", top_k=3)("surname")).select("surname", "p.*")

:func:`predict_udf` makes a pandas UDF: Spark hands each Python worker its partitions in
Arrow batches, and the worker answers them with the same encoder checks and forward pass
as ``Predictor.predict`` (:mod:`seqclf.inference.requests`), ``batch_size`` inputs at a time.
The model is loaded once per Python worker process, on its first task (Spark keeps its
workers for later tasks, ``spark.python.worker.reuse``, on by default), and is found in
:func:`loaded` by every batch and task after that.

It is a plain iterator pandas UDF rather than ``pyspark.ml.functions.predict_batch_udf``,
which is built on the same thing: that one hands the model fixed-shape numpy tensors, so a
series of varying length cannot pass, and it requires the first row's answer to be
scalars, so an input refused first would fail the batch.

Each input gets a struct (:data:`PREDICTION`): ``label`` and ``score`` of the top class,
``predictions`` (the ``top_k`` ``{label, score}`` list ``Predictor.predict`` gives, best
first; every label with ``top_k=None``) and ``error``. An input the model cannot take (an
empty text, a null, an unreadable recording, ragged frames) gets its one-line reason in
``error`` and nulls elsewhere, and the job carries on, as ``seqclf predict --input`` does.
What each kind of model takes: a text model a string column; an audio model a column of
file paths (readable on every executor) or of WAV bytes (``spark.read.format("binaryFile")``'s
``content``); a feature model an ``array<array<double>>`` column, one ``(T, F)`` series per row.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import pandas as pd

from seqclf.errors import ConfigError
from seqclf.inference.predictor import Prediction, Predictor, check_top_k
from seqclf.inference.requests import NO_LIMITS, answer_each, encode_each
from seqclf.install import pip_install

#: each input's answer: its fields and their Spark SQL types
FIELDS = {
    "label": "string",
    "score": "double",
    "predictions": "array<struct<label: string, score: double>>",
    "error": "string",
}
#: the Spark type of each input's answer, as the DDL string ``pandas_udf`` takes
PREDICTION = ", ".join(f"{name} {kind}" for name, kind in FIELDS.items())


def shipped(model: str) -> str:
    """Where a model shipped with the job is on this executor: a folder that Spark unpacked or
    copied there (``--archives names.tar.gz#names``, ``SparkContext.addArchive`` or ``addFile``)
    lies in its ``SparkFiles`` directory, which is the executor's working directory on YARN and
    Kubernetes but not in local mode. Anything else is left for ``Predictor.from_pretrained``."""
    from pyspark import SparkFiles

    unpacked = Path(SparkFiles.getRootDirectory()) / model
    return str(unpacked) if not Path(model).exists() and unpacked.is_dir() else model


@functools.lru_cache(maxsize=4)
def loaded(model: str, revision: str | None, device: str | None) -> Predictor:
    """The model, loaded on a worker's first call and kept for the process's later batches and tasks.

    A few models at a time per worker; past that the least recently used is let go.
    ``loaded.cache_info()`` says how many loads (misses) and reuses (hits) this process made.
    """
    return Predictor.from_pretrained(shipped(model), revision=revision, device=device)


def _row(answer: Prediction | str) -> dict[str, Any]:
    if isinstance(answer, str):
        return {"label": None, "score": None, "predictions": None, "error": answer}
    return {"label": answer[0]["label"], "score": answer[0]["score"], "predictions": answer, "error": None}


def predict_batches(
    batches: Iterator[pd.Series],
    model: str,
    revision: str | None,
    device: str | None,
    top_k: int | None,
    batch_size: int,
) -> Iterator[pd.DataFrame]:
    """One task's Arrow batches of inputs -> a frame of :data:`PREDICTION` rows per batch, in order."""
    predictor = loaded(model, revision, device)
    for batch in batches:
        values = iter(batch)
        rows = []
        while chunk := list(islice(values, batch_size)):
            encoded = encode_each(predictor, chunk, NO_LIMITS, read=predictor.modality.from_cell)
            rows += [_row(answer) for answer in answer_each(predictor, encoded, top_k)]
        yield pd.DataFrame(rows, columns=list(FIELDS))


def predict_udf(
    model: str | Path,
    *,
    top_k: int | None = 1,
    revision: str | None = None,
    device: str | None = None,
    batch_size: int = 256,
) -> Any:
    """A Spark column function: ``predict_udf(model)(column)`` is a :data:`PREDICTION` struct per row.

    ``model`` is resolved on each executor: a folder at that path there (a shared file
    system), else a folder shipped with the job under that name (:func:`shipped`), else a
    Hub repo id (at ``revision``), downloaded into each executor's Hugging Face cache.
    ``device``: as ``Predictor.from_pretrained`` (CUDA when the executor has it). Arguments
    are checked here, on the driver, before any job starts; a model that cannot be loaded
    fails the job's tasks with seqclf's message.
    """
    try:
        from pyspark.sql.functions import pandas_udf
    except ImportError:
        raise ConfigError(f"running seqclf in Spark needs pyspark: {pip_install('spark')}") from None
    check_top_k(top_k)
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError(f"batch_size must be a positive integer, got {batch_size!r}")
    source = str(model)

    # Spark ships this closure to the executors by value; what it calls, it imports there
    # by name, so every task of a worker shares the module's one `loaded` cache.
    def predict(batches: Iterator[pd.Series]) -> Iterator[pd.DataFrame]:
        return predict_batches(batches, source, revision, device, top_k, batch_size)

    return pandas_udf(predict, PREDICTION)
