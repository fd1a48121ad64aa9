"""Dynamic batching: concurrent requests for one model share one forward pass.

Requests queue their encoded inputs; one worker task runs padded forward passes on a
dedicated thread, so the event loop keeps accepting requests meanwhile. Batching is
adaptive: when the model is idle, a request goes to it at once (no waiting for company
that may not come); requests that arrive while a pass is running wait for it to end
and then share the next pass, up to ``max_batch_size`` inputs. The busier the service,
the larger the batches. ``max_wait_s`` above zero adds a wait for company before each
pass (counted from the oldest request's arrival, or from the end of the previous pass if
that is later), for devices where a bigger batch costs next to nothing; a full batch
still goes at once.

The queue is bounded twice: by count (``max_queue`` inputs) and by time. A request
whose inputs would wait longer than ``max_queue_wait_s`` for their forward pass, going
by the passes already queued ahead of it and the measured time of recent passes, is
refused at once (:class:`QueueFullError`, a 503 with Retry-After), so under overload
the service keeps running full batches at its best rate, the latency of what it
accepts stays bounded, and the excess is told to come back instead of piling up.

A request cancelled while it waits (its client went away: a timeout, a closed tab)
leaves the queue's count at once and takes no room in a pass. Without that, clients
that give up and retry under overload fill the queue with work nobody will read.

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
    """The model's queue is full (by count or by expected wait); the client should retry later."""


class BatcherStoppedError(Exception):
    """The service is shutting down and will not run this request."""


@dataclass
class _Request:
    inputs: Sequence[torch.Tensor]
    future: asyncio.Future[torch.Tensor]
    arrived: float = field(default_factory=time.monotonic)
    queued: bool = True  # counted in the depth: not yet taken for a pass nor cancelled


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
        max_queue_wait_s: float | None = None,
    ) -> None:
        self.forward = forward
        self.max_batch_size = max_batch_size
        self.max_wait_s = max_wait_s
        self.max_queue = max_queue
        self.max_queue_wait_s = max_queue_wait_s
        self.name = name
        self.on_batch = on_batch
        self._queue: deque[_Request] = deque()
        self._depth = 0
        self._arrived: asyncio.Event | None = None
        self._worker: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._free_since = 0.0  # when the last forward pass ended
        self._pass_started: float | None = None  # when the running forward pass began
        self._pass_seconds: float | None = None  # moving average of recent passes' time

    def expected_wait(self, count: int = 1) -> float:
        """Seconds until ``count`` more inputs would be answered: the rest of the running pass,
        then one pass per ``max_batch_size`` inputs queued ahead and these (0 until a pass has run)."""
        if self._pass_seconds is None:
            return 0.0
        passes = -(-(self._depth + count) // self.max_batch_size)
        wait = passes * self._pass_seconds
        if self._pass_started is not None:
            wait += max(0.0, self._pass_seconds - (time.monotonic() - self._pass_started))
        return wait

    def check_room(self, count: int = 1) -> None:
        """Raise :class:`QueueFullError` unless ``count`` more inputs fit by count and by time."""
        if self._depth + count > self.max_queue:
            raise QueueFullError(
                f"model {self.name!r} has {self._depth} inputs queued (limit {self.max_queue})"
            )
        if self.max_queue_wait_s is not None:
            wait = self.expected_wait(count)
            if wait > self.max_queue_wait_s:
                raise QueueFullError(
                    f"model {self.name!r} has {self._depth} inputs queued, about {wait * 1000:.0f} ms "
                    f"of work (limit {self.max_queue_wait_s * 1000:.0f} ms)"
                )

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
            self._dequeue(request)
            if not request.future.done():
                request.future.set_exception(BatcherStoppedError("the service is shutting down"))
        if self._executor is not None:
            self._executor.shutdown(wait=True)

    async def submit(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        """Probabilities ``(len(inputs), num_labels)``, computed together with other requests."""
        if not self.running or self._arrived is None:
            raise BatcherStoppedError(f"model {self.name!r} is not accepting requests")
        self.check_room(len(inputs))
        request = _Request(inputs, asyncio.get_running_loop().create_future())
        self._queue.append(request)
        self._depth += len(inputs)
        self._arrived.set()
        try:
            return await request.future
        except asyncio.CancelledError:  # the caller gave up: its inputs stop counting, the pass skips them
            self._dequeue(request)
            raise

    def _dequeue(self, request: _Request) -> None:
        if request.queued:
            request.queued = False
            self._depth -= len(request.inputs)

    async def _run(self) -> None:
        while True:
            batch = await self._collect()
            for request in batch:
                self._dequeue(request)
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
        self._pass_started = time.monotonic()
        try:
            loop = asyncio.get_running_loop()
            probabilities = await loop.run_in_executor(self._executor, self.forward, inputs)
        except Exception as err:  # a failed pass fails its requests, never the worker
            for r in batch:
                if not r.future.done():
                    r.future.set_exception(err)
            return
        finally:
            self._pass_started = None
        seconds = time.perf_counter() - started
        # the time bound needs the cost of a pass now: a short moving average (a fifth per pass)
        self._pass_seconds = (
            seconds if self._pass_seconds is None else 0.8 * self._pass_seconds + 0.2 * seconds
        )
        if self.on_batch is not None:
            self.on_batch(len(inputs), seconds)
        start = 0
        for r in batch:
            if not r.future.done():
                r.future.set_result(probabilities[start : start + len(r.inputs)])
            start += len(r.inputs)

    def _next_batch_size(self) -> tuple[int, int]:
        """How many queued requests, oldest first, make the next batch (at least one), and their inputs."""
        count = size = 0
        for request in self._queue:
            if request.future.done():  # cancelled: taken along, to be dropped, but takes no room
                count += 1
                continue
            if size and size + len(request.inputs) > self.max_batch_size:
                break
            count += 1
            size += len(request.inputs)
        return count, size

    async def _collect(self) -> list[_Request]:
        """Wait for a request; take it and whatever else is queued, up to a full batch.

        With ``max_wait_s`` above zero, first wait for more until the batch is full or the
        oldest is due. Requests stay in the queue until taken, so :meth:`stop` can answer all.
        """
        assert self._arrived is not None
        while not self._queue:
            self._arrived.clear()
            await self._arrived.wait()
        if self.max_wait_s <= 0:  # adaptive: what gathered while the last pass ran, no more
            count, _ = self._next_batch_size()
            return [self._queue.popleft() for _ in range(count)]
        deadline = max(self._queue[0].arrived, self._free_since) + self.max_wait_s
        while True:
            count, size = self._next_batch_size()
            remaining = deadline - time.monotonic()
            if size >= self.max_batch_size or count < len(self._queue) or remaining <= 0:
                return [self._queue.popleft() for _ in range(count)]
            self._arrived.clear()
            with contextlib.suppress(asyncio.TimeoutError):  # builtin TimeoutError only from 3.11
                await asyncio.wait_for(self._arrived.wait(), remaining)
