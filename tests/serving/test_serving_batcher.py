"""The DynamicBatcher on its own: batch limits, order, failures, shutdown."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence

import pytest
import torch

from seqclf.inference.batcher import BatcherStoppedError, DynamicBatcher, QueueFullError


class Recorder:
    """A fake forward pass: each input's 'probability' is its own value; records batch sizes."""

    def __init__(self, fail: bool = False) -> None:
        self.sizes: list[int] = []
        self.fail = fail

    def __call__(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        self.sizes.append(len(inputs))
        if self.fail:
            raise RuntimeError("boom")
        return torch.stack([x.float() for x in inputs])


async def run_requests(batcher: DynamicBatcher, requests: list[list[int]]) -> list[torch.Tensor]:
    await batcher.start()
    try:
        return await asyncio.gather(*(batcher.submit([torch.tensor([v]) for v in r]) for r in requests))
    finally:
        await batcher.stop()


def test_batches_respect_the_size_limit_and_answers_keep_their_order() -> None:
    forward = Recorder()
    batcher = DynamicBatcher(forward, max_batch_size=4, max_wait_s=0.05, max_queue=100)
    requests = [[1, 2], [3], [4, 5], [6], [7, 8, 9]]
    results = asyncio.run(run_requests(batcher, requests))
    assert [r.flatten().tolist() for r in results] == [[1, 2], [3], [4, 5], [6], [7, 8, 9]]
    assert max(forward.sizes) <= 4 and sum(forward.sizes) == 9 and len(forward.sizes) < len(requests)


def test_a_request_larger_than_a_batch_runs_alone() -> None:
    forward = Recorder()
    results = asyncio.run(run_requests(DynamicBatcher(forward, 2, 0.01, 100), [[1, 2, 3, 4, 5]]))
    assert results[0].flatten().tolist() == [1, 2, 3, 4, 5] and forward.sizes == [5]


def test_a_failed_forward_pass_fails_its_requests_and_the_worker_lives_on() -> None:
    forward = Recorder(fail=True)
    batcher = DynamicBatcher(forward, 8, 0.01, 100)

    async def scenario() -> None:
        await batcher.start()
        with pytest.raises(RuntimeError, match="boom"):
            await batcher.submit([torch.tensor([1])])
        forward.fail = False
        assert (await batcher.submit([torch.tensor([2])])).flatten().tolist() == [2]
        await batcher.stop()

    asyncio.run(scenario())


def test_the_queue_bound_and_shutdown_answer_every_request() -> None:
    async def scenario() -> None:
        batcher = DynamicBatcher(Recorder(), max_batch_size=8, max_wait_s=10.0, max_queue=3)
        await batcher.start()
        waiting = asyncio.gather(
            batcher.submit([torch.tensor([1]), torch.tensor([2])]),
            batcher.submit([torch.tensor([3])]),
            return_exceptions=True,
        )
        await asyncio.sleep(0.05)  # both are queued, waiting 10 s for company
        assert batcher.depth == 3
        with pytest.raises(QueueFullError):
            await batcher.submit([torch.tensor([4])])
        await batcher.stop()
        results = await waiting
        assert all(isinstance(r, BatcherStoppedError) for r in results)
        with pytest.raises(BatcherStoppedError):
            await batcher.submit([torch.tensor([5])])

    asyncio.run(scenario())


class Gate:
    """A fake forward pass that blocks until released, so a test controls when a pass ends."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.sizes: list[int] = []
        self.release = threading.Event()
        self.started = threading.Event()
        self.seconds = seconds

    def __call__(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        self.sizes.append(len(inputs))
        self.started.set()
        self.release.wait(10)
        time.sleep(self.seconds)
        return torch.stack([x.float() for x in inputs])


def test_a_lone_request_runs_at_once_without_waiting_for_company() -> None:
    async def scenario() -> float:
        batcher = DynamicBatcher(Recorder(), max_batch_size=32, max_wait_s=0.0, max_queue=100)
        await batcher.start()
        try:
            await batcher.submit([torch.tensor([0])])  # warm the thread up
            started = time.perf_counter()
            result = await batcher.submit([torch.tensor([7])])
            assert result.flatten().tolist() == [7]
            return time.perf_counter() - started
        finally:
            await batcher.stop()

    # the old default waited 2 ms for company; adaptive batching runs a lone input at once
    assert min(asyncio.run(scenario()) for _ in range(5)) < 0.002


def test_requests_arriving_during_a_pass_share_the_next_pass() -> None:
    forward = Gate()

    async def scenario() -> list[torch.Tensor]:
        batcher = DynamicBatcher(forward, max_batch_size=32, max_wait_s=0.0, max_queue=100)
        await batcher.start()
        try:
            first = asyncio.ensure_future(batcher.submit([torch.tensor([1])]))
            await asyncio.to_thread(forward.started.wait, 10)  # the first pass is running
            rest = [asyncio.ensure_future(batcher.submit([torch.tensor([v])])) for v in range(2, 12)]
            await asyncio.sleep(0.05)
            forward.release.set()
            return await asyncio.gather(first, *rest)
        finally:
            await batcher.stop()

    results = asyncio.run(scenario())
    assert [r.flatten().tolist() for r in results] == [[v] for v in range(1, 12)]
    assert forward.sizes == [1, 10]  # the lone first at once, the ten that came meanwhile together


def test_the_queue_is_bounded_by_the_wait_it_would_take() -> None:
    forward = Gate(seconds=0.1)  # every pass takes 0.1 s once released

    async def scenario() -> None:
        batcher = DynamicBatcher(
            forward, max_batch_size=2, max_wait_s=0.0, max_queue=1000, max_queue_wait_s=0.35
        )
        await batcher.start()
        try:
            forward.release.set()
            await batcher.submit([torch.tensor([0])])  # one timed pass: about 0.1 s per pass
            accepted = [asyncio.ensure_future(batcher.submit([torch.tensor([v])])) for v in range(1, 7)]
            await asyncio.sleep(0)
            # one pass running, five inputs queued: three more passes, about 0.4 s with this one
            assert 0.3 < batcher.expected_wait() < 0.5
            started = time.perf_counter()
            with pytest.raises(QueueFullError, match="ms of work"):
                await batcher.submit([torch.tensor([99])])
            assert time.perf_counter() - started < 0.01  # refused at once, not after waiting
            results = await asyncio.gather(*accepted)
            assert [r.flatten().tolist() for r in results] == [[v] for v in range(1, 7)]
            assert (await batcher.submit([torch.tensor([8])])).flatten().tolist() == [8]  # room again
        finally:
            await batcher.stop()

    asyncio.run(scenario())


def test_a_request_given_up_leaves_the_queue_and_takes_no_room_in_a_pass() -> None:
    forward = Gate()

    async def scenario() -> list[torch.Tensor]:
        batcher = DynamicBatcher(forward, max_batch_size=2, max_wait_s=0.0, max_queue=3)
        await batcher.start()
        try:
            first = asyncio.ensure_future(batcher.submit([torch.tensor([1])]))
            await asyncio.to_thread(forward.started.wait, 10)  # the first pass is running
            waiting = [asyncio.ensure_future(batcher.submit([torch.tensor([v])])) for v in (2, 3, 4)]
            await asyncio.sleep(0.01)
            assert batcher.depth == 3
            waiting[0].cancel()  # its client hung up
            await asyncio.sleep(0.01)
            assert batcher.depth == 2  # counted out at once: a new request fits again
            waiting.append(asyncio.ensure_future(batcher.submit([torch.tensor([5])])))
            await asyncio.sleep(0.01)
            forward.release.set()
            return await asyncio.gather(first, *waiting[1:])
        finally:
            await batcher.stop()

    results = asyncio.run(scenario())
    assert [r.flatten().tolist() for r in results] == [[1], [3], [4], [5]]
    # the cancelled input is in no pass, and did not shrink the pass it was queued for
    assert forward.sizes == [1, 2, 1]
