"""No silent context loss: a consumer span without incoming context says so, and a message
shape obskit cannot read is named once per consumer, with the fix."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from opentelemetry.trace import SpanKind
from tests.messaging.conftest import TRACEPARENT

import obskit
from obskit.testing import capture


class Envelope:
    """A message type obskit knows nothing about (no ``headers``)."""

    def __init__(self, meta: dict[str, str]) -> None:
        self.meta = meta


@pytest.mark.parametrize(
    ("message", "missing"),
    [
        ({"headers": {"traceparent": TRACEPARENT}}, False),
        ({"headers": {}}, True),
        ({"headers": {"traceparent": "00-garbage"}}, True),
        ({"body": b"x"}, True),
    ],
)
def test_consumer_span_says_when_it_started_a_trace(message: dict[str, Any], missing: bool) -> None:
    @obskit.traced.consumer("orders", system="rabbitmq")
    def handle(message: dict[str, Any]) -> None: ...

    with capture() as tel:
        handle(message)
    attributes = tel.span("process orders", SpanKind.CONSUMER).attributes or {}
    assert attributes.get("obskit.context.missing") is (True if missing else None)


def test_batch_without_any_context_says_so() -> None:
    @obskit.traced.batch_consumer("orders", system="kafka")
    def handle(messages: list[dict[str, Any]]) -> None: ...

    with capture() as tel:
        handle([{"headers": {}}, {"headers": {}}])
        handle([{"headers": {}}, {"headers": {"traceparent": TRACEPARENT}}])
    first, second = tel.find_spans("process orders", SpanKind.CONSUMER)
    assert (first.attributes or {})["obskit.context.missing"] is True
    assert "obskit.context.missing" not in (second.attributes or {})


def test_an_unreadable_shape_is_named_once_per_consumer(caplog: pytest.LogCaptureFixture) -> None:
    @obskit.traced.consumer("orders", system="rabbitmq")
    def orders(message: Envelope) -> None: ...

    @obskit.traced.consumer("refunds", system="rabbitmq")
    def refunds(message: Envelope) -> None: ...

    with caplog.at_level(logging.WARNING, logger="obskit.messaging"), capture() as tel:
        for _ in range(3):
            orders(Envelope({"traceparent": TRACEPARENT}))
        refunds(Envelope({}))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        f"obskit: consumer 'process {name}' cannot read trace context from a "
        f"{__name__}.Envelope message, so its trace starts here; pass headers=<callable "
        "returning the headers> to the decorator, or teach obskit the type with "
        "obskit.messaging.register_adapter()"
        for name in ("orders", "refunds")
    ]
    assert all(
        (s.attributes or {})["obskit.context.missing"] is True
        for s in tel.find_spans(kind=SpanKind.CONSUMER)
    )


def test_headers_callable_is_the_fix() -> None:
    @obskit.traced.consumer("orders", system="rabbitmq", headers=lambda m: m.meta)
    def handle(message: Envelope) -> None: ...

    with capture() as tel:
        handle(Envelope({"traceparent": TRACEPARENT}))
    attributes = tel.span("process orders", SpanKind.CONSUMER).attributes or {}
    assert "obskit.context.missing" not in attributes


def test_a_readable_shape_without_context_is_not_warned_about(
    caplog: pytest.LogCaptureFixture,
) -> None:
    @obskit.traced.consumer("orders", system="rabbitmq")
    def handle(message: dict[str, Any]) -> None: ...

    with caplog.at_level(logging.WARNING, logger="obskit.messaging"), capture():
        handle({"headers": {}})  # headers are there: the producer sent none
    assert caplog.records == []
