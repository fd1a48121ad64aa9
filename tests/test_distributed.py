"""Multi-process training: the distributed bucket sampler, and `seqclf train` under torchrun."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tiny_model import TINY_FLAGS
from tolerances import SAME_METRIC

from seqclf.data.batching import BucketBatchSampler
from seqclf.inference.predictor import Predictor
from seqclf.training.checkpoint import CHECKPOINT_FILE

#: processes, servers or a browser: left out of the edit loop (pytest -m "not slow")
pytestmark = pytest.mark.slow

LENGTHS = [(i * 7) % 13 + 1 for i in range(203)]


@pytest.mark.parametrize("replicas", [2, 3, 5])
def test_ranks_get_disjoint_shares_of_equal_length_covering_the_data(replicas):
    samplers = [
        BucketBatchSampler(LENGTHS, 8, seed=1, num_replicas=replicas, rank=r) for r in range(replicas)
    ]
    single = BucketBatchSampler(LENGTHS, 8, seed=1)
    for epoch in (1, 2):
        for sampler in [*samplers, single]:
            sampler.set_epoch(epoch)
        shares = [list(s) for s in samplers]
        assert {len(share) for share in shares} == {len(samplers[0])} == {-(-len(single) // replicas)}
        # Together the ranks take the single-process batches in the same order, round-robin,
        # with the first batches repeated to even out the last round.
        round_robin = [shares[i % replicas][i // replicas] for i in range(len(single))]
        assert round_robin == list(single)
        assert sorted(i for batch in round_robin for i in batch) == list(range(len(LENGTHS)))
        every_batch = [batch for share in shares for batch in share]
        assert len(every_batch) - len(single) < replicas
        assert all(batch in round_robin for batch in every_batch)


def test_rank_outside_the_world_is_refused():
    with pytest.raises(ValueError, match="rank 2"):
        BucketBatchSampler(LENGTHS, 8, num_replicas=2, rank=2)


def test_torchrun_two_cpu_processes_train_one_model(tmp_path, names_folder):
    out = tmp_path / "model"
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "seqclf",
        "train",
        "names",
        "--data",
        str(names_folder),
        "--out",
        str(out),
        "--epochs",
        "3",
        "--device",
        "cpu",
        *TINY_FLAGS,
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    # Only rank 0 logs and writes: one line per epoch, one "saved", no checkpoint left.
    assert run.stdout.count("saved ") == 1
    assert [line.split()[1] for line in run.stdout.splitlines() if line.startswith("epoch")] == [
        "1",
        "2",
        "3",
    ]
    assert sorted(p.name for p in out.iterdir()) == [
        "README.md",
        "config.json",
        "confusion_matrix.png",
        "model.safetensors",
        "training_curves.png",
    ]
    assert not (out / CHECKPOINT_FILE).exists()

    training = json.loads((out / "config.json").read_text())["training"]
    assert training["device"].startswith("2 processes x CPU")
    # Validation logits were gathered from both processes: the metrics logged for the
    # best epoch are those of the saved weights scored on the whole validation split.
    best = training["history"][training["best_epoch"] - 1]
    assert best["val_macro_f1"] == pytest.approx(
        training["metrics"]["validation"]["macro_f1"], abs=SAME_METRIC
    )
    assert best["val_accuracy"] == pytest.approx(
        training["metrics"]["validation"]["accuracy"], abs=SAME_METRIC
    )

    predictions = Predictor.from_pretrained(str(out)).predict(["Tanaka", "Ivanov"], top_k=1)
    assert len(predictions) == 2


@pytest.mark.parametrize("replicas", [1, 2, 3])
def test_a_resumed_epoch_skips_each_ranks_batches_already_done(replicas):
    for rank in range(replicas):
        sampler = BucketBatchSampler(LENGTHS, 8, seed=1, num_replicas=replicas, rank=rank)
        sampler.set_epoch(2)
        whole = list(sampler)
        for start in (0, 1, 5, len(whole) - 1):
            sampler.set_epoch(2, start=start)
            assert list(sampler) == whole[start:]


class _Stop(Exception):
    pass


def _two_process_run(rank: int, mode: str, folder: str, port: int) -> None:
    """One of two gloo processes training the tiny resume-test model; ``killed`` stops at epoch
    2's step 5 (checkpoints every 2 steps) and resumes; rank 0 keeps the weights and losses."""
    import torch
    import torch.distributed as dist
    from test_resume import TRAIN, VALIDATION

    from seqclf.config import ModelConfig, TrainConfig
    from seqclf.network.model import SequenceClassifier
    from seqclf.training import trainer

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=2)
    config = TrainConfig(epochs=3, batch_size=8, patience=4, seed=5)
    checkpoint = os.path.join(folder, f"{mode}.pt")

    def fit(**kw):
        torch.manual_seed(123)
        model = SequenceClassifier(ModelConfig(num_labels=3, vocab_size=10, embedding_dim=8, hidden_size=8))
        options = {"log": lambda _: None, "checkpoint": Path(checkpoint), "checkpoint_steps": 2, **kw}
        return model, trainer.train_model(model, TRAIN, VALIDATION, config, torch.device("cpu"), **options)

    if mode == "killed":
        original = trainer._train_epoch

        def stop_at_epoch_2_step_5(state, *args):
            *args, on_step = args
            if state.epoch != 1:
                return original(state, *args, on_step)
            return original(
                state, *args, lambda step, *sums: _raise(_Stop) if step >= 5 else on_step(step, *sums)
            )

        trainer._train_epoch = stop_at_epoch_2_step_5
        with contextlib.suppress(_Stop):
            fit()
        trainer._train_epoch = original
        model, state = fit(resume=True)
    else:
        model, state = fit()
    if rank == 0:
        torch.save(model.state_dict(), os.path.join(folder, f"{mode}.weights"))
        Path(folder, f"{mode}.json").write_text(json.dumps([h.train_loss for h in state.history]))
    dist.destroy_process_group()


def _raise(kind: type[Exception]) -> None:
    raise kind


def test_two_processes_resumed_mid_epoch_end_as_the_uninterrupted_run(tmp_path):
    """Each process keeps its own part-epoch loss: the resumed run's epoch losses (summed over
    both) and its weights are the uninterrupted run's."""
    import torch
    import torch.multiprocessing as mp

    for port, mode in ((29631, "whole"), (29632, "killed")):
        mp.spawn(_two_process_run, args=(mode, str(tmp_path), port), nprocs=2)
    whole, killed = (torch.load(tmp_path / f"{m}.weights") for m in ("whole", "killed"))
    assert all(torch.equal(whole[k], killed[k]) for k in whole)  # bit-exact: same machine, one thread
    assert json.loads((tmp_path / "killed.json").read_text()) == json.loads(
        (tmp_path / "whole.json").read_text()
    )


def _prepared_once_run(rank: int, folder: str, port: int) -> None:
    """One of two processes training `text` on a table read to disk, logging what it reads."""
    import torch
    import torch.distributed as dist

    from seqclf.data import ragged, tables
    from seqclf.training.run import run_training

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=2)
    tables.IN_MEMORY_BYTES = 0
    tables_read, rows_read = [], []
    read_table, row = tables.read_table, ragged.RaggedFile.row
    tables.read_table = lambda path: tables_read.append(str(path)) or read_table(path)
    ragged.RaggedFile.row = lambda self, i: rows_read.append([self.path.name, i]) or row(self, i)
    in_order = ragged.RaggedFile.rows_in_order

    def rows_in_order(self, first=0, last=None):
        for i, block in enumerate(in_order(self, first, last), first):
            rows_read.append([self.path.name, i])
            yield block

    ragged.RaggedFile.rows_in_order = rows_in_order
    batches = []
    set_epoch = BucketBatchSampler.set_epoch

    def remember_batches(sampler, epoch, start=0):
        set_epoch(sampler, epoch, start)
        batches.append(list(sampler))

    BucketBatchSampler.set_epoch = remember_batches
    run_training(
        "text",
        Path(folder, "reviews.csv"),
        Path(folder, "model"),
        model={"hidden_size": 8, "embedding_dim": 8, "num_layers": 1, "ensemble": 1},
        train={"epochs": 2, "batch_size": 16, "patience": 2},
        reader_options={"word_vectors": "none"},
        log=lambda _: None,
        baseline=False,
    )
    Path(folder, f"rank{rank}.json").write_text(
        json.dumps({"tables": tables_read, "rows": rows_read, "batches": batches})
    )
    dist.destroy_process_group()


def test_rank_zero_prepares_the_data_and_each_rank_reads_only_its_batches(tmp_path):
    """Under torchrun the table is read by rank 0 alone, which also reads what it wrote once
    (to hash the data for resuming) and scores it all at the end; rank 1 reads, from the
    encoded training file, exactly the rows of its own batches and every other validation row."""
    import torch.multiprocessing as mp
    from test_ondisk import _write_sentences

    _write_sentences(tmp_path / "reviews.csv", 300)
    mp.spawn(_prepared_once_run, args=(str(tmp_path), 29633), nprocs=2)
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    assert ranks[0]["tables"] == [str(tmp_path / "reviews.csv")] and ranks[1]["tables"] == []
    assert all(len(rank["batches"]) == 2 for rank in ranks)  # two epochs
    for epoch in range(2):
        shares = [{i for batch in r["batches"][epoch] for i in batch} for r in ranks]
        assert shares[0] | shares[1] == set(range(max(shares[0] | shares[1]) + 1))  # all rows
        assert len(shares[0] & shares[1]) <= 16  # disjoint but for one repeated batch padding the last round
    rank1 = {name for name, _ in ranks[1]["rows"]}
    assert rank1 == {"encoded-training-examples", "encoded-validation"}  # never the texts or the test part
    training = sorted(i for name, i in ranks[1]["rows"] if name == "encoded-training-examples")
    assert training == sorted(i for epoch in ranks[1]["batches"] for batch in epoch for i in batch)
    validation = sorted({i for name, i in ranks[1]["rows"] if name == "encoded-validation"})
    assert validation == list(range(1, 2 * len(validation), 2)) and len(validation) >= 10
    assert (tmp_path / "model" / "model.safetensors").exists()


def _waiting_run(rank: int, folder: str, port: int) -> None:
    """Rank 0 prepares for longer than the job's timeout, then fails in two ways."""
    import time
    from datetime import timedelta

    import torch.distributed as dist

    from seqclf.errors import DataError, SeqclfError
    from seqclf.training.distributed import made_by_main_process

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=2, timeout=timedelta(seconds=2))
    outcome = {"slow": made_by_main_process(lambda: time.sleep(4) or "made", lambda made: made + " and sent")}
    for name, error in (
        ("bad data", DataError("reviews.csv, line 3: no 'label' key")),
        ("bug", KeyError("x")),
    ):
        try:
            made_by_main_process(lambda error=error: (_ for _ in ()).throw(error))
        except (SeqclfError, KeyError) as err:
            outcome[name] = f"{type(err).__name__}: {err}"
    Path(folder, f"rank{rank}.json").write_text(json.dumps(outcome))
    dist.destroy_process_group()


def test_the_others_wait_for_rank_zero_past_the_jobs_timeout_and_share_its_failure(tmp_path):
    import torch.multiprocessing as mp

    mp.spawn(_waiting_run, args=(str(tmp_path), 29634), nprocs=2)
    zero, one = (json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2))
    assert zero["slow"] == "made" and one["slow"] == "made and sent"  # 4 s of preparing, 2 s timeout
    assert zero["bad data"] == one["bad data"] == "DataError: reviews.csv, line 3: no 'label' key"
    assert zero["bug"] == "KeyError: 'x'"
    assert one["bug"] == "ConfigError: rank 0 failed preparing the data: KeyError('x')"
