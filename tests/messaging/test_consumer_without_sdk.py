"""Without an SDK (the plugin resets the OpenTelemetry globals around each test), a consumer still
applies the error policy, logs the outcome line and passes the incoming context on."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

import obskit
from obskit._providers import sdk_tracer
from obskit.errors import BusinessRuleViolation, ErrorPolicy, TransientError
from obskit.logging import configure_logging

PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.fixture
def lines() -> io.StringIO:
    assert sdk_tracer() is None  # no SDK in this test
    stream = io.StringIO()
    configure_logging(stream=stream, format="json", timestamps=False)
    return stream


def _events(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_the_policy_decides_and_the_outcome_is_logged(lines: io.StringIO) -> None:
    @obskit.traced.consumer("orders", system="rabbitmq")
    def handle(message: dict[str, Any]) -> str:
        raise message["error"]

    assert handle({"headers": {}, "error": BusinessRuleViolation("no stock")}) is None
    with pytest.raises(TransientError):
        handle({"headers": {}, "error": TransientError("busy")})
    assert [
        (e["event"], e["level"], e["obskit_error_kind"], e["messaging_destination_name"])
        for e in _events(lines)
    ] == [
        ("message_refused", "warning", "business", "orders"),
        ("message_failed", "warning", "transient", "orders"),
    ]


def test_a_policy_per_decorator_is_used(lines: io.StringIO) -> None:
    @obskit.traced.consumer(
        "orders", system="rabbitmq", errors=ErrorPolicy.extend(reraise=["business"])
    )
    def handle(message: dict[str, Any]) -> None:
        raise BusinessRuleViolation("no stock")

    with pytest.raises(BusinessRuleViolation):
        handle({"headers": {}})


def test_the_incoming_context_reaches_what_the_handler_sends(lines: io.StringIO) -> None:
    @obskit.traced.consumer("orders", system="rabbitmq", message="envelope")
    def handle(other: str, *, envelope: dict[str, Any]) -> dict[str, str]:
        return obskit.inject({})

    assert handle("x", envelope={"headers": {"traceparent": PARENT}}) == {"traceparent": PARENT}
    assert _events(lines) == []
