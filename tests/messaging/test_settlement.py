"""``settled()`` records the handler's decision on the consumer span, never raising."""

from __future__ import annotations

import logging

import pytest
from opentelemetry.trace import SpanKind

import obskit
from obskit.messaging import settled
from obskit.testing import capture


@pytest.mark.parametrize(
    ("outcome", "requeue", "recorded"),
    [
        ("ack", None, "ack"),
        ("nack", False, "nack"),
        ("nack", True, "requeue"),
        ("reject", True, "requeue"),
        ("reject", None, "reject"),
        ("dead_letter", None, "dead_letter"),
    ],
)
def test_settlement_lands_on_the_consumer_span(
    outcome: str, requeue: bool | None, recorded: str
) -> None:
    @obskit.traced
    def inner() -> None:
        settled(outcome, requeue=requeue)  # type: ignore[arg-type]

    @obskit.traced.consumer("orders", system="rabbitmq")
    def handle(message: dict[str, object]) -> None:
        inner()  # from inside a child span, still the consumer span

    with capture() as tel:
        handle({"headers": {}})
    consumer = tel.span("process orders", SpanKind.CONSUMER)
    assert (consumer.attributes or {})["obskit.message.settlement"] == recorded
    (inner_span,) = tel.find_spans(kind=SpanKind.INTERNAL)
    assert "obskit.message.settlement" not in (inner_span.attributes or {})


def test_unknown_outcome_and_no_span_never_raise(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="obskit.messaging"):
        settled("shred")  # type: ignore[arg-type]
    assert "unknown settlement" in caplog.text
    settled("ack")  # no span at all
