"""seqclf.integrations.spark against a real Spark in local mode: the answers are Predictor.predict's,
a bad input costs only its own row, and a Python worker loads the model once for all its batches.

The JVM takes seconds to start, so the tests that use it are slow and share one small session
(one core, 512 MiB, no UI, loopback only). Without Java they are skipped; .ci/run installs it.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from tolerances import assert_same_prediction_lists

from seqclf import Predictor
from seqclf.data.frames import read_frames_csv
from seqclf.errors import ConfigError, InvalidInputError

pytest.importorskip("pyspark", reason="pyspark is missing: pip install -e '.[spark]' (Python 3.11+)")
pd = pytest.importorskip("pandas")
from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql.functions import pandas_udf  # noqa: E402

from seqclf.integrations.spark import predict_udf  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WAVS = sorted((ROOT / "examples" / "digits").glob("*.wav"))
SPEAKERS = sorted((ROOT / "examples" / "vowels").glob("*.csv"))

# pyspark 4.3 warns that it "does not yet fully support pandas >= 3"; what these tests use works
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    if shutil.which("java") is None:
        pytest.skip("no Java runtime for Spark: apt-get install default-jre-headless (.ci/run does)")
    # Spark starts its Python workers with PYSPARK_PYTHON ("python3" on PATH otherwise), and
    # they must import this interpreter's torch and seqclf (PYTHONPATH is passed on)
    before = os.environ.get("PYSPARK_PYTHON")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[1]")
        .appName("seqclf-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "512m")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    if before is None:
        os.environ.pop("PYSPARK_PYTHON", None)
    else:
        os.environ["PYSPARK_PYTHON"] = before


def _workers(spark: SparkSession, partitions: int = 3) -> list[tuple[int, int, int]]:
    """Each task's Python worker: its process id, and its model cache's loads (misses) and reuses (hits)."""

    # defined here so that Spark ships it by value: the workers cannot import this test module
    def cache_info(batches: Iterator[pd.Series]) -> Iterator[pd.Series]:
        from seqclf.integrations.spark import loaded

        for batch in batches:
            info = loaded.cache_info()
            yield pd.Series([f"{os.getpid()} {info.misses} {info.hits}"] * len(batch))

    probe = pandas_udf(cache_info, "string")
    rows = spark.range(partitions, numPartitions=partitions).select(probe("id").alias("w")).collect()
    return [tuple(map(int, row.w.split())) for row in rows]


def _answers(rows: list) -> list:
    """Each row's ``predictions`` as Predictor.predict gives them: lists of label/score dicts."""
    return [[p.asDict() for p in row.p.predictions] for row in rows]


def test_predict_udf_refuses_bad_arguments_on_the_driver_in_one_line() -> None:
    with pytest.raises(InvalidInputError, match="top_k must be a positive integer"):
        predict_udf("models/names", top_k=0)
    with pytest.raises(ConfigError, match="batch_size must be a positive integer"):
        predict_udf("models/names", batch_size=0)


@pytest.mark.slow
def test_a_text_column_gets_predictor_predict_s_answers_and_bad_rows_get_their_error(
    spark: SparkSession, tiny_names, names_folder: Path
) -> None:
    names = [line for p in sorted(names_folder.glob("*.txt")) for line in p.read_text().split()][::5]
    bad = {
        "": "the input is empty: give a non-blank string",
        None: "the value is null: this model takes a string",
    }
    bad["x" * 100] = "the input has 100 characters; this model takes at most 64"
    texts = names[:20] + list(bad) + names[20:]
    # batches of 7 rows in 3 partitions, cut into model batches of 5: every boundary is crossed
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "7")
    frame = spark.createDataFrame(list(enumerate(texts)), "id long, text string").repartition(3)
    udf = predict_udf(str(tiny_names.folder), top_k=3, batch_size=5)
    rows = frame.select("id", "text", udf("text").alias("p")).orderBy("id").collect()

    assert [row.text for row in rows] == texts
    good = [row for row in rows if row.text not in bad]
    expected = Predictor.from_pretrained(tiny_names.folder, device="cpu").predict(names, top_k=3)
    assert_same_prediction_lists(_answers(good), expected)
    # label and score are the first prediction's, the same floats copied
    assert [(row.p.label, row.p.score) for row in good] == [
        (p[0]["label"], p[0]["score"]) for p in _answers(good)
    ]
    assert all(row.p.error is None for row in good)
    # a trained model, not a uniform one: the synthetic languages are told apart
    assert len({row.p.label for row in good}) == 4 and min(row.p.score for row in good) > 0.25
    refused = [row for row in rows if row.text in bad]
    assert [row.p.error for row in refused] == list(bad.values())
    assert all(row.p.label is None and row.p.score is None and row.p.predictions is None for row in refused)

    every = predict_udf(str(tiny_names.folder), top_k=None)
    row = frame.where("id = 0").select(every("text").alias("p")).collect()[0]
    assert_same_prediction_lists(
        _answers([row]), [Predictor.from_pretrained(tiny_names.folder).predict(texts[0], top_k=None)]
    )
    assert len(row.p.predictions) == 4


@pytest.mark.slow
def test_a_python_worker_loads_the_model_once_for_all_its_tasks_and_batches(
    spark: SparkSession, tiny_names, tmp_path: Path
) -> None:
    # a copy under a new path is a model no earlier test loaded in this worker
    model = shutil.copytree(tiny_names.folder, tmp_path / "copy")
    before = _workers(spark)
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "4")
    tasks = 5
    frame = spark.range(60, numPartitions=tasks).selectExpr("concat('Kamura', id) as text")
    rows = frame.select(predict_udf(str(model), batch_size=3)("text").alias("p")).collect()
    assert len(rows) == 60 and all(row.p.error is None for row in rows)  # 15 Arrow batches, 30 model batches
    after = _workers(spark)

    # local[1]: one Python worker, kept for every task (spark.python.worker.reuse, the default)
    assert len({pid for pid, _, _ in before + after}) == 1
    (_, misses_before, hits_before), (_, misses, hits) = before[-1], after[0]
    assert misses - misses_before == 1, "the model was loaded more than once"
    assert hits - hits_before == tasks - 1, "a task did not find the worker's model"


@pytest.mark.slow
def test_a_model_shipped_with_the_job_as_an_archive_is_found_by_its_name(
    spark: SparkSession, tiny_names, tmp_path: Path
) -> None:
    """As ``spark-submit --archives tiny.tar.gz#shipped-tiny`` ships it (docs/cluster.md)."""
    archive = shutil.make_archive(str(tmp_path / "tiny"), "gztar", root_dir=tiny_names.folder)
    spark.sparkContext.addArchive(f"{archive}#shipped-tiny")
    assert not Path("shipped-tiny").exists()  # not a folder here: Spark unpacked it elsewhere
    texts = ["Kamuramoto", "Ivanenko", "Gonzalez", "Anderson"]
    frame = spark.createDataFrame([(t,) for t in texts], "text string")
    rows = frame.select(predict_udf("shipped-tiny", top_k=2)("text").alias("p")).collect()
    expected = Predictor.from_pretrained(tiny_names.folder, device="cpu").predict(texts, top_k=2)
    assert_same_prediction_lists(_answers(rows), expected)


@pytest.mark.slow
def test_an_audio_model_takes_paths_and_the_bytes_spark_reads_as_predictor_predict_does(
    spark: SparkSession, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF not really a wav")
    model = str(ROOT / "models" / "digits")
    udf = predict_udf(model, top_k=3)
    files = spark.read.format("binaryFile").load([str(p) for p in [*WAVS, broken]])
    rows = files.select("path", udf("content").alias("p"), udf(files.path.substr(6, 1000)).alias("q"))
    rows = sorted(rows.collect(), key=lambda row: row.path)  # path: file:/... ; q: the plain path
    by_name = {Path(row.path).name: row for row in rows}

    expected = Predictor.from_pretrained(model, device="cpu").predict([str(p) for p in WAVS], top_k=3)
    good = [by_name[p.name] for p in WAVS]
    assert_same_prediction_lists(_answers(good), expected)
    assert_same_prediction_lists([[p.asDict() for p in row.q.predictions] for row in good], expected)
    assert [row.p.label for row in good] == [p.name[0] for p in WAVS]  # each file name says its digit
    broken_row = by_name["broken.wav"]
    assert (
        broken_row.p.error.startswith("the audio bytes could not be decoded") and broken_row.p.label is None
    )
    assert "broken.wav could not be decoded" in broken_row.q.error and broken_row.q.label is None


@pytest.mark.slow
def test_a_series_model_takes_an_array_of_frames_per_row(spark: SparkSession) -> None:
    model = str(ROOT / "models" / "vowels")
    series = [read_frames_csv(p) for p in SPEAKERS]
    ragged = [[1.0] * 12, [2.0] * 11]
    rows = [(i, s.tolist()) for i, s in enumerate(series)] + [(len(series), ragged)]
    frame = spark.createDataFrame(rows, "id long, frames array<array<double>>")
    got = frame.select("id", predict_udf(model, top_k=2)("frames").alias("p")).orderBy("id").collect()

    expected = Predictor.from_pretrained(model, device="cpu").predict(series, top_k=2)
    assert_same_prediction_lists(_answers(got[:-1]), expected)
    assert len({row.p.label for row in got[:-1]}) >= 7  # the shipped model tells the speakers apart
    assert "different lengths" in got[-1].p.error and got[-1].p.label is None
    assert np.isfinite([row.p.score for row in got[:-1]]).all()
