"""Shared fixtures: small synthetic data sets the tests write themselves."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from names_data import make_names_folder
from tiny_model import TrainedModel, train_tiny_names

# The tests train and run many tiny models, for which thread hand-offs cost more than
# they save; one thread is several times faster on a small shared machine. No test
# measures speed, and none depends on the thread count: set OMP_NUM_THREADS to run the
# suite (and the subprocesses it starts) on more.
if "OMP_NUM_THREADS" not in os.environ:
    torch.set_num_threads(1)
    os.environ["SEQCLF_TORCH_THREADS"] = "1"  # and so the commands the tests run (seqclf.threads)


@pytest.fixture(scope="session")
def names_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_names_folder(tmp_path_factory.mktemp("names"))


@pytest.fixture(scope="session")
def tiny_names(names_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> TrainedModel:
    """The suite's shared tiny names model (see :mod:`tiny_model`); copy it before changing it."""
    return train_tiny_names(names_folder, tmp_path_factory.mktemp("tiny") / "tiny")


@pytest.fixture
def one_torch_thread():
    """Tiny models train fastest on one thread, whatever OMP_NUM_THREADS says; restored after."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
