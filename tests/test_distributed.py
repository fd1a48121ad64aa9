"""Multi-process training: the distributed bucket sampler, and `seqclf train` under torchrun."""

from __future__ import annotations

import json
import os
import subprocess
import sys

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
