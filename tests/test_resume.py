"""Reproducible and resumable training: same seed, same weights; killed and resumed, same result.

These are the suite's bit-exact tests, on purpose: resuming promises the very weights an
uninterrupted run gives, and that promise holds only on one machine with one thread
count, where every step sums in the same order. So each comparison runs both sides in one
process, or in subprocesses pinned to one thread (``ONE_THREAD``), on this machine; across
machines or thread counts the weights would differ in their last bits, and no test
compares them there.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from tiny_model import TINY_FLAGS
from tolerances import SAME_METRIC
from typer.testing import CliRunner

from seqclf.cli import app
from seqclf.config import ModelConfig, TrainConfig
from seqclf.errors import ConfigError, DataError
from seqclf.evaluation.metrics import macro_f1
from seqclf.inference.batching import batched_logits
from seqclf.network.model import SequenceClassifier
from seqclf.training import checkpoint as ckpt
from seqclf.training import trainer
from seqclf.training.trainer import TrainState, train_model

# One thread per process: the condition that makes the killed and the whole run bit-exact
# (and on a small shared machine, more threads only add contention).
ONE_THREAD = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _data(n: int, seed: int) -> list[tuple[torch.Tensor, int]]:
    """Sequences whose label is their most frequent token class, so there is something to learn."""
    g = torch.Generator().manual_seed(seed)
    data = []
    for _ in range(n):
        seq = torch.randint(1, 10, (int(torch.randint(2, 9, (), generator=g)),), generator=g)
        data.append((seq, int((seq % 3).bincount(minlength=3).argmax())))
    return data


TRAIN, VALIDATION = _data(96, 0), _data(32, 1)
CONFIG = TrainConfig(epochs=4, batch_size=16, patience=4, seed=5)


def _fit(config: TrainConfig = CONFIG, **kw) -> SequenceClassifier:
    torch.manual_seed(123)
    model = SequenceClassifier(ModelConfig(num_labels=3, vocab_size=10, embedding_dim=8, hidden_size=8))
    train_model(model, TRAIN, VALIDATION, config, torch.device("cpu"), **{"log": lambda _: None, **kw})
    return model


def _same_weights(a: SequenceClassifier, b: SequenceClassifier) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_same_seed_gives_identical_weights_and_another_seed_does_not():
    first, second = _fit(), _fit()
    assert _same_weights(first, second)
    assert not _same_weights(first, _fit(TrainConfig(epochs=4, batch_size=16, patience=4, seed=6)))


def test_checkpointing_does_not_change_the_result_nor_does_resuming_a_finished_run(tmp_path):
    path = tmp_path / ckpt.CHECKPOINT_FILE
    plain, checkpointed = _fit(), _fit(checkpoint=path)
    assert _same_weights(plain, checkpointed)
    # Killed after the last epoch but before the model folder was written: nothing is retrained.
    assert ckpt.load(path)["finished"]
    lines: list[str] = []
    assert _same_weights(plain, _fit(checkpoint=path, resume=True, log=lines.append))
    assert not any(line.startswith("epoch") for line in lines)


def test_a_resumed_optimizer_keeps_this_runs_kernel_choice(tmp_path):
    """Saved param groups carry the writer's fused/foreach flags; the resumed run keeps its own.

    A CPU-written checkpoint resumed on CUDA (fused AdamW, and a GradScaler that passes
    ``found_inf``, which only the fused step accepts) must not fall back to the CPU's
    choice. CPU AdamW has a fused kernel too, so the CUDA side is played by it here.
    """
    path = tmp_path / ckpt.CHECKPOINT_FILE
    config = TrainConfig(epochs=1, batch_size=16, seed=5)
    _fit(config, checkpoint=path)
    saved = ckpt.load(path)
    assert saved["optimizer"]["param_groups"][0]["fused"] is None
    model = SequenceClassifier(ModelConfig(num_labels=3, vocab_size=10, embedding_dim=8, hidden_size=8))
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, fused=True)
    state = TrainState(
        model, optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, lambda _: 1.0), None, None
    )
    state.load_state_dict(saved)
    assert [g["fused"] for g in optimizer.param_groups] == [True]
    assert state.epoch == 1 and state.finished
    # the moments came from the checkpoint, and the fused step runs on them
    assert torch.equal(
        optimizer.state_dict()["state"][0]["exp_avg"], saved["optimizer"]["state"][0]["exp_avg"]
    )
    inputs, lengths = torch.tensor([[1, 2, 3]]), torch.tensor([3])
    torch.nn.functional.cross_entropy(model(inputs, lengths), torch.tensor([0])).backward()
    optimizer.step()


@pytest.mark.parametrize("capability", [(7, 5), (8, 0), (9, 0)])
def test_every_gpu_trains_in_fp16_with_a_scaler_and_the_cpu_in_fp32(monkeypatch, capability):
    """cuDNN's RNN runs in fp16 under any autocast dtype, so bf16 is never chosen (see precision)."""
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda *_: capability)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    gpu = trainer.precision(torch.device("cuda", 1))
    assert (gpu.dtype, gpu.scaled, gpu.label) == (torch.float16, True, "fp16 autocast + GradScaler")
    cpu = trainer.precision(torch.device("cpu"))
    assert (cpu.dtype, cpu.scaled, cpu.label) == (None, False, "fp32")
    assert trainer._grad_scaler(torch.device("cpu")) is None


def test_under_the_policys_autocast_the_step_runs_fp16_and_scores_the_loss_in_fp32():
    """The dtypes the policy claims, on the CPU's autocast: fp16 through the head, fp32 loss."""
    torch.manual_seed(0)
    config = ModelConfig(num_labels=3, vocab_size=9, embedding_dim=4, hidden_size=5)
    model = SequenceClassifier(config)
    seen: dict[str, torch.dtype] = {}
    model.head.register_forward_hook(lambda _m, _i, out: seen.update(head=out.dtype))
    inputs, lengths = torch.tensor([[1, 2, 3], [4, 5, 0]]), torch.tensor([3, 2])
    with torch.autocast("cpu", dtype=trainer.precision(torch.device("cuda")).dtype):
        loss = torch.nn.functional.cross_entropy(model(inputs, lengths).float(), torch.tensor([0, 1]))
    loss.backward()
    assert seen["head"] == torch.float16 and loss.dtype == torch.float32
    assert all(p.grad.dtype == torch.float32 for p in model.parameters())  # master weights stay fp32


class _Interrupt(Exception):
    pass


@pytest.mark.parametrize("config", [CONFIG, replace(CONFIG, ema_decay=0.9)], ids=["plain", "ema"])
def test_run_interrupted_mid_training_resumes_to_the_same_weights(tmp_path, config):
    path = tmp_path / ckpt.CHECKPOINT_FILE

    def stop_in_epoch_3(line: str) -> None:
        # The epoch-3 line is logged before epoch 3's checkpoint is written.
        if line.startswith("epoch   3"):
            raise _Interrupt

    with pytest.raises(_Interrupt):
        _fit(config, checkpoint=path, log=stop_in_epoch_3)
    assert ckpt.load(path)["epoch"] == 2
    assert _same_weights(_fit(config, checkpoint=path, resume=True), _fit(config))


@pytest.mark.parametrize("config", [CONFIG, replace(CONFIG, ema_decay=0.9)], ids=["plain", "ema"])
def test_run_interrupted_mid_epoch_resumes_at_the_next_step_to_the_same_weights(
    tmp_path, monkeypatch, config
):
    """96 examples in batches of 16: 6 steps an epoch, a checkpoint every 4th step. Stopped in
    epoch 2's 6th step, the checkpoint holds epoch 2's step 4; the resumed run takes epoch 2's
    steps 5 and 6 (no more, no fewer) and ends with the uninterrupted run's weights and history."""
    path, whole_path = tmp_path / ckpt.CHECKPOINT_FILE, tmp_path / "whole.pt"
    original = trainer._train_epoch

    def stop_in_epoch_2_step_6(state, *args):
        *args, on_step = args
        if state.epoch == 1:  # epoch 2
            return original(state, *args, lambda step, *sums: on_step(step, *sums) if step < 6 else _stop())
        return original(state, *args, on_step)

    def _stop() -> None:
        raise _Interrupt

    monkeypatch.setattr(trainer, "_train_epoch", stop_in_epoch_2_step_6)
    with pytest.raises(_Interrupt):
        _fit(config, checkpoint=path, checkpoint_steps=4)
    saved = ckpt.load(path)
    assert (saved["epoch"], saved["step"]) == (1, 4)

    started: list[tuple[int, int]] = []  # (epoch, the step it went on from)

    def recording(state, *args):
        started.append((state.epoch + 1, state.step))
        return original(state, *args)

    monkeypatch.setattr(trainer, "_train_epoch", recording)
    lines: list[str] = []
    resumed = _fit(config, checkpoint=path, resume=True, checkpoint_steps=4, log=lines.append)
    assert lines[0].endswith("at step 4 of epoch 2") and started[:2] == [(2, 4), (3, 0)]
    monkeypatch.setattr(trainer, "_train_epoch", original)
    whole = _fit(config, checkpoint=whole_path)
    assert _same_weights(resumed, whole)

    def history(p: Path) -> list[dict]:
        return [{k: v for k, v in e.items() if k != "seconds"} for e in ckpt.load(p)["history"]]

    assert history(path) == history(whole_path)


def test_a_checkpoint_of_the_previous_format_still_resumes(tmp_path):
    """Format 2 had no mid-epoch steps: written at an epoch's end, it resumes as it did."""
    path = tmp_path / ckpt.CHECKPOINT_FILE

    def stop_in_epoch_3(line: str) -> None:
        if line.startswith("epoch   3"):
            raise _Interrupt

    with pytest.raises(_Interrupt):
        _fit(checkpoint=path, log=stop_in_epoch_3)
    saved = ckpt.load(path)
    for key in ("step", "step_seconds", "step_sums"):
        del saved[key]
    ckpt.save_atomic({**saved, "format": "seqclf-checkpoint-2"}, path)
    assert _same_weights(_fit(checkpoint=path, resume=True), _fit())


def test_weight_averaging_validates_and_keeps_the_average_not_the_live_weights(tmp_path):
    path = tmp_path / ckpt.CHECKPOINT_FILE
    config = replace(CONFIG, ema_decay=0.9, lr=1e-2)
    lines: list[str] = []
    kept = _fit(config, checkpoint=path, log=lines.append)
    state = ckpt.load(path)
    assert state["best_epoch"] == config.epochs  # so the kept weights are the final average
    averaged = {k.removeprefix("module."): v for k, v in state["ema"].items() if k.startswith("module.")}
    live = state["model"]
    assert not all(torch.equal(averaged[k], live[k]) for k in live)
    assert all(torch.equal(kept.state_dict()[k], averaged[k]) for k in live)
    # The logged validation macro-F1 is the kept (averaged) model's.
    logits = batched_logits(kept, [seq for seq, _ in VALIDATION])
    f1 = macro_f1([y for _, y in VALIDATION], logits.argmax(-1).tolist(), 3)
    assert f1 == pytest.approx(state["best_val_macro_f1"], abs=SAME_METRIC)
    assert not _same_weights(kept, _fit(replace(config, ema_decay=0.0)))


def test_resuming_with_other_settings_or_data_is_refused(tmp_path):
    path = tmp_path / ckpt.CHECKPOINT_FILE
    _fit(TrainConfig(epochs=1, batch_size=16, seed=5), checkpoint=path)
    with pytest.raises(ConfigError, match=r"lr: 0\.003 then, 0\.001 now"):
        _fit(TrainConfig(epochs=1, batch_size=16, seed=5, lr=1e-3), checkpoint=path, resume=True)
    model = SequenceClassifier(ModelConfig(num_labels=3, vocab_size=10, embedding_dim=8, hidden_size=8))
    with pytest.raises(ConfigError, match="data:"):
        train_model(
            model,
            TRAIN[:-1],
            VALIDATION,
            TrainConfig(epochs=1, batch_size=16, seed=5),
            torch.device("cpu"),
            checkpoint=path,
            resume=True,
        )


class _Payload:
    """Stands for arbitrary code a tampered checkpoint might try to run on load."""


def test_checkpoint_loading_never_unpickles_objects(tmp_path):
    path = tmp_path / ckpt.CHECKPOINT_FILE
    torch.save({"format": ckpt.CHECKPOINT_FORMAT, "payload": _Payload()}, path)
    with pytest.raises(DataError, match="not a readable seqclf checkpoint"):
        ckpt.load(path)


def test_atomic_save_replaces_whole_files_and_clears_leftovers(tmp_path):
    path = tmp_path / ckpt.CHECKPOINT_FILE
    leftover = tmp_path / f".{path.name}.dead.tmp"
    leftover.write_bytes(b"half a checkpoint from a killed run")
    ckpt.save_atomic({"format": ckpt.CHECKPOINT_FORMAT, "x": torch.arange(3)}, path)
    ckpt.save_atomic({"format": ckpt.CHECKPOINT_FORMAT, "x": torch.arange(5)}, path)
    assert torch.equal(ckpt.load(path)["x"], torch.arange(5))
    assert sorted(p.name for p in tmp_path.iterdir()) == [ckpt.CHECKPOINT_FILE]


def test_rng_states_round_trip_through_a_weights_only_checkpoint(tmp_path):
    path = tmp_path / ckpt.CHECKPOINT_FILE
    ckpt.save_atomic({"format": ckpt.CHECKPOINT_FORMAT, "rng": ckpt.rng_state()}, path)
    expected = (random.random(), np.random.rand(), torch.rand(1))
    ckpt.set_rng_state(ckpt.load(path)["rng"])
    assert (random.random(), np.random.rand(), torch.rand(1)) == expected


def test_resume_without_a_checkpoint_is_a_clear_error(tmp_path, names_folder):
    result = CliRunner().invoke(
        app,
        [
            "train",
            "names",
            "--data",
            str(names_folder),
            "--out",
            str(tmp_path),
            "--resume",
            "--device",
            "cpu",
        ],
    )
    assert result.exit_code == 2
    assert "nothing to resume" in result.output


def _train_cli(data: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "seqclf",
        "train",
        "names",
        "--data",
        str(data),
        "--out",
        str(out),
        "--epochs",
        "8",
        "--patience",
        "8",
        "--seed",
        "2",
        "--device",
        "cpu",
        *TINY_FLAGS,
        *extra,
    ]


def _card_facts(folder: Path) -> dict:
    training = json.loads((folder / "config.json").read_text())["training"]
    history = [{k: v for k, v in e.items() if k != "seconds"} for e in training["history"]]
    return {"history": history, "metrics": training["metrics"]}


@pytest.mark.slow
@pytest.mark.parametrize("every", [[], ["--checkpoint-steps", "1"]], ids=["epochs", "steps"])
def test_killed_run_resumes_to_the_uninterrupted_result(tmp_path, names_folder, every):
    """Killed at its first checkpoint: after epoch 1, or (``--checkpoint-steps 1``) inside it."""
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    # The uninterrupted reference runs alongside, to save wall time.
    reference = subprocess.Popen(_train_cli(names_folder, whole), env=ONE_THREAD, stdout=subprocess.DEVNULL)
    run = subprocess.Popen(
        _train_cli(names_folder, killed, *every), env=ONE_THREAD, stderr=subprocess.DEVNULL
    )
    checkpoint = killed / ckpt.CHECKPOINT_FILE
    try:
        while not checkpoint.exists() and run.poll() is None:
            time.sleep(0.01)
        run.send_signal(signal.SIGKILL)
    finally:
        run.wait()
    assert run.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    assert not (killed / "model.safetensors").exists()
    saved = ckpt.load(checkpoint)
    assert saved["epoch"] < 8
    if every:
        assert saved["step"] > 0, "killed between epochs, not inside one"

    resumed = subprocess.run(
        _train_cli(names_folder, killed, "--resume", *every),
        env=ONE_THREAD,
        check=True,
        capture_output=True,
        text=True,
    )
    if every:
        assert f"at step {saved['step']} of epoch {saved['epoch'] + 1}" in resumed.stdout + resumed.stderr
    assert reference.wait() == 0

    assert (killed / "model.safetensors").read_bytes() == (whole / "model.safetensors").read_bytes()
    assert _card_facts(killed) == _card_facts(whole)
    command = json.loads((killed / "config.json").read_text())["training"]["command"]
    assert "--resume" not in command, "the card records the command that reproduces the model"
    assert not checkpoint.exists(), "the checkpoint is removed once the model folder is written"
