"""Requests generated from the OpenAPI schema, valid and invalid: none gets a 5xx.

Runs each operation's Hypothesis strategy directly rather than through
schemathesis' pytest plugin, whose lazy-fixture loader does not work with pytest 9.
"""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from serving_support import LiveServer

EXAMPLES_PER_OPERATION = 10


@pytest.mark.slow  # schemathesis generates and sends requests for every operation
def test_no_generated_request_gets_a_server_error(server: LiveServer) -> None:
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    served = [m["id"] for m in httpx.get(f"{server.url}/v1/models").json()["models"]]
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
        def no_server_error(case) -> None:
            case.call_and_validate(checks=[not_a_server_error])

        no_server_error()
