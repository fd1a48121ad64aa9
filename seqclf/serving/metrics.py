"""Prometheus metrics: requests by model, route and status; latency; batch sizes; queue depth.

Each app has its own registry, so several apps in one process (tests) never share
counters. Label values are bounded: the route is its template (``/v1/models/{model_id}/predict``)
and the model label is a served id or empty, never a client-chosen string.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from seqclf.serving.registry import ServedModel

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        self.requests = Counter(
            "seqclf_requests",
            "HTTP requests by model, route and status code.",
            ["model", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "seqclf_request_duration_seconds",
            "Time from request to response, by model and route.",
            ["model", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "seqclf_batch_size",
            "Inputs per forward pass; its _count is the number of forward passes.",
            ["model"],
            buckets=_BATCH_BUCKETS,
            registry=self.registry,
        )
        self.forward_seconds = Histogram(
            "seqclf_forward_duration_seconds",
            "Time of one batched forward pass.",
            ["model"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "seqclf_queue_depth", "Inputs waiting for a forward pass.", ["model"], registry=self.registry
        )
        self.model_ids: frozenset[str] = frozenset()
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def watch(self, models: Iterable[ServedModel]) -> None:
        """Record every batch of these models, and read their queue depth at each scrape."""
        models = list(models)
        self.model_ids = frozenset(m.id for m in models)
        for served in models:
            batch_size = self.batch_size.labels(served.id)
            forward_seconds = self.forward_seconds.labels(served.id)

            def on_batch(
                size: int, seconds: float, batch_size=batch_size, forward_seconds=forward_seconds
            ) -> None:
                batch_size.observe(size)
                forward_seconds.observe(seconds)

            served.batcher.on_batch = on_batch
            self.queue_depth.labels(served.id).set_function(lambda b=served.batcher: b.depth)

    def observe(self, scope: Scope, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        self.record(scope.get("path_params", {}).get("model_id", ""), route, status, seconds)

    def record(self, model: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request; ``route`` is a route template, ``model`` any string."""
        model = model if model in self.model_ids else ""
        key = (model, route, status)
        children = self._children.get(key)
        if children is None:  # label lookups take a lock and build tuples: once per label set
            children = (self.requests.labels(model, route, str(status)), self.latency.labels(model, route))
            if len(self._children) < 10_000:  # bounded anyway (templates, served ids, statuses)
                self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)


class MetricsMiddleware:
    """Pure ASGI (not BaseHTTPMiddleware) so it adds no task or copy per request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            self.metrics.observe(scope, status, time.perf_counter() - started)
