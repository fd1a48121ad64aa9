"""Requests generated from the OpenAPI schema, valid and invalid: every check schemathesis has.

No request gets a 5xx, every answer matches the schema (status, content type, body,
headers), invalid requests are refused, and the API asks for a key only when the server
has one. ``schemathesis.toml`` at the repository root says which checks are told more
than OpenAPI can say, and why; the CLI reads the same file.

Runs each operation's Hypothesis strategy directly rather than through
schemathesis' pytest plugin, whose lazy-fixture loader does not work with pytest 9.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from serving_support import TEST_LIMITS, LiveServer, start_server

from seqclf.serving.settings import ServiceSettings

EXAMPLES_PER_OPERATION = 10
CONFIG = Path(__file__).resolve().parents[2] / "schemathesis.toml"


KEY = "schema-test-key"


@pytest.fixture(scope="module")
def keyed_server(models_dir: Path) -> Iterator[LiveServer]:
    live = start_server(ServiceSettings(models_dir=models_dir, api_key=KEY, **TEST_LIMITS))
    yield live
    live.stop()


def check_every_operation(server: LiveServer, headers: dict[str, str]) -> None:
    """Generated requests, valid and invalid, for every operation, under every enabled check."""
    config = schemathesis.config.SchemathesisConfig.from_path(CONFIG)
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json", config=config, headers=headers)
    served = [m["id"] for m in httpx.get(f"{server.url}/v1/models", headers=headers).json()["models"]]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 7

    for operation in operations:
        # Aim at served models too, so generated bodies reach the encoders, not just the 404.
        targets = (
            [{"model_id": m} for m in [*served, "unknown"]] if "{model_id}" in operation.path else [None]
        )
        cases = st.one_of(
            operation.as_strategy(mode, path_parameters=target)
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
            for target in targets
        )

        @given(case=cases)
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def passes_every_check(case) -> None:
            case.call_and_validate(headers=headers)  # every check the configuration leaves on

        passes_every_check()


@pytest.mark.slow  # schemathesis generates and sends requests for every operation
def test_generated_requests_pass_every_check(server: LiveServer) -> None:
    check_every_operation(server, {})


@pytest.mark.slow
def test_generated_requests_pass_every_check_with_a_key(keyed_server: LiveServer) -> None:
    """With a key the schema asks for it, and requests without it (schemathesis tries) get 401."""
    check_every_operation(keyed_server, {"Authorization": f"Bearer {KEY}"})
