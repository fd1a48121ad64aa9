"""Dynamic batching: concurrent requests for one model share one forward pass.

Requests queue their encoded inputs; one worker task takes the oldest request and
waits until ``max_batch_size`` inputs have gathered or ``max_wait_s`` has passed
(counted from the oldest request's arrival, or from the end of the previous
forward pass if that is later, so requests still being read off the network get a
chance to join), then runs one padded forward pass on a dedicated thread, so the
event loop keeps accepting requests meanwhile. A full batch goes at once.

Padding does not change results (the model packs sequences), so a batched answer
equals the answer for the input alone, up to float rounding in the matrix products.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import torch

Forward = Callable[[Sequence[torch.Tensor]], torch.Tensor]


class QueueFullError(Exception):
    """The model's queue holds ``max_queue`` inputs already; the client should retry later."""


class BatcherStoppedError(Exception):
    """The service is shutting down and will not run this request."""


@dataclass
class _Request:
    inputs: Sequence[torch.Tensor]
    future: asyncio.Future[torch.Tensor]
    arrived: float = field(default_factory=time.monotonic)


class DynamicBatcher:
    """Coalesces :meth:`submit` calls into batched calls of ``forward`` on one worker thread.

    ``on_batch(size, seconds)`` is called after every forward pass (for metrics).
    """

    def __init__(
        self,
        forward: Forward,
        max_batch_size: int,
        max_wait_s: float,
        max_queue: int,
        name: str = "model",
        on_batch: Callable[[int, float], None] | None = None,
    ) -> None:
        self.forward = forward
        self.max_batch_size = max_batch_size
        self.max_wait_s = max_wait_s
        self.max_queue = max_queue
        self.name = name
        self.on_batch = on_batch
        self._queue: deque[_Request] = deque()
        self._depth = 0
        self._arrived: asyncio.Event | None = None
        self._worker: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._free_since = 0.0  # when the last forward pass ended

    @property
    def depth(self) -> int:
        """Inputs accepted and not yet in a forward pass."""
        return self._depth

    @property
    def running(self) -> bool:
        return self._worker is not None and not self._worker.done()

    async def start(self) -> None:
        self._arrived = asyncio.Event()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"seqclf-{self.name}")
        self._worker = asyncio.create_task(self._run(), name=f"batcher-{self.name}")

    async def stop(self) -> None:
        """Stop the worker and fail requests still queued, so no client hangs."""
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        while self._queue:
            request = self._queue.popleft()
            if not request.future.done():
                request.future.set_exception(BatcherStoppedError("the service is shutting down"))
        self._depth = 0
        if self._executor is not None:
            self._executor.shutdown(wait=True)

    async def submit(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        """Probabilities ``(len(inputs), num_labels)``, computed together with other requests."""
        if not self.running or self._arrived is None:
            raise BatcherStoppedError(f"model {self.name!r} is not accepting requests")
        if self._depth + len(inputs) > self.max_queue:
            raise QueueFullError(
                f"model {self.name!r} has {self._depth} inputs queued (limit {self.max_queue})"
            )
        request = _Request(inputs, asyncio.get_running_loop().create_future())
        self._queue.append(request)
        self._depth += len(inputs)
        self._arrived.set()
        return await request.future

    async def _run(self) -> None:
        while True:
            batch = await self._collect()
            self._depth -= sum(len(r.inputs) for r in batch)
            live = [r for r in batch if not r.future.done()]  # skip clients that went away
            try:
                if live:
                    await self._forward(live)
                    self._free_since = time.monotonic()
            finally:  # cancelled at shutdown mid-pass: answer rather than leave clients hanging
                for r in live:
                    if not r.future.done():
                        r.future.set_exception(BatcherStoppedError("the service is shutting down"))

    async def _forward(self, batch: list[_Request]) -> None:
        inputs = [x for r in batch for x in r.inputs]
        started = time.perf_counter()
        try:
            loop = asyncio.get_running_loop()
            probabilities = await loop.run_in_executor(self._executor, self.forward, inputs)
        except Exception as err:  # a failed pass fails its requests, never the worker
            for r in batch:
                if not r.future.done():
                    r.future.set_exception(err)
            return
        if self.on_batch is not None:
            self.on_batch(len(inputs), time.perf_counter() - started)
        start = 0
        for r in batch:
            if not r.future.done():
                r.future.set_result(probabilities[start : start + len(r.inputs)])
            start += len(r.inputs)

    def _next_batch_size(self) -> tuple[int, int]:
        """How many queued requests, oldest first, make the next batch (at least one), and their inputs."""
        count = size = 0
        for request in self._queue:
            if count and size + len(request.inputs) > self.max_batch_size:
                break
            count += 1
            size += len(request.inputs)
        return count, size

    async def _collect(self) -> list[_Request]:
        """Wait for a request, then for more until the batch is full or the oldest is due.

        Requests stay in the queue until taken, so :meth:`stop` can answer all of them.
        """
        assert self._arrived is not None
        while not self._queue:
            self._arrived.clear()
            await self._arrived.wait()
        deadline = max(self._queue[0].arrived, self._free_since) + self.max_wait_s
        while True:
            count, size = self._next_batch_size()
            remaining = deadline - time.monotonic()
            if size >= self.max_batch_size or count < len(self._queue) or remaining <= 0:
                return [self._queue.popleft() for _ in range(count)]
            self._arrived.clear()
            with contextlib.suppress(asyncio.TimeoutError):  # builtin TimeoutError only from 3.11
                await asyncio.wait_for(self._arrived.wait(), remaining)
