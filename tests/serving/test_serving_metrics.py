"""Prometheus metrics: requests by model, route and status; latency; batches; queue depth."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families


def samples(http: httpx.Client) -> dict[tuple[str, frozenset], float]:
    response = http.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def label_set(**labels: str) -> frozenset:
    return frozenset(labels.items())


def test_requests_are_counted_by_model_route_and_status(client: httpx.Client) -> None:
    route = "/v1/models/{model_id}/predict"
    ok = label_set(model="names", route=route, status="200")
    bad = label_set(model="names", route=route, status="422")
    unknown = label_set(model="", route=route, status="404")
    before = samples(client)
    client.post("/v1/models/names/predict", json={"inputs": ["Ito", "Sato"]})
    client.post("/v1/models/names/predict", json={"inputs": [""]})
    client.post("/v1/models/not-a-model-id-anyone-chose/predict", json={"inputs": ["Ito"]})
    after = samples(client)

    def delta(name: str, labels: frozenset) -> float:
        return after.get((name, labels), 0) - before.get((name, labels), 0)

    assert delta("seqclf_requests_total", ok) == 1
    assert delta("seqclf_requests_total", bad) == 1
    assert delta("seqclf_requests_total", unknown) == 1  # a client's made-up id never becomes a label
    assert delta("seqclf_request_duration_seconds_count", label_set(model="names", route=route)) == 2
    assert delta("seqclf_batch_size_sum", label_set(model="names")) == 2  # the 422 never reached the model
    assert delta("seqclf_forward_duration_seconds_count", label_set(model="names")) == 1
    assert after[("seqclf_queue_depth", label_set(model="names"))] == 0
    assert not any("not-a-model-id" in str(key) for key in after)


def test_unmatched_paths_share_one_label(client: httpx.Client) -> None:
    client.get("/no/such/path/12345")
    after = samples(client)
    assert ("seqclf_requests_total", label_set(model="", route="unmatched", status="404")) in after
    assert not any("12345" in str(key) for key in after)
