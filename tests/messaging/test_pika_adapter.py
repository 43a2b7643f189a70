"""pika deliveries: destination, ids, size, attempts (redelivery, x-death, x-delivery-count)."""

from __future__ import annotations

import pika
from opentelemetry.trace import SpanKind
from pika.spec import Basic
from tests.messaging.conftest import PRODUCER_SPAN_ID, PRODUCER_TRACE_ID, TRACEPARENT

import obskit
from obskit.messaging import PikaDelivery, adapter_for
from obskit.messaging._pika import read_delivery
from obskit.testing import capture


def deliver(
    exchange: str = "orders", routing_key: str = "eu.created", **kw: object
) -> Basic.Deliver:
    return Basic.Deliver(
        consumer_tag="ctag", delivery_tag=7, exchange=exchange, routing_key=routing_key, **kw
    )


def test_the_callback_is_recognised_and_read() -> None:
    properties = pika.BasicProperties(
        headers={"traceparent": TRACEPARENT.encode(), "nested": {"a": 1}, "n": 3},
        message_id="m-1",
        correlation_id="c-1",
        timestamp=1_700_000_000,
    )

    @obskit.traced.consumer("orders", system="rabbitmq")
    def on_message(channel: object, method: object, props: object, body: bytes) -> None:
        pass

    with capture() as tel:
        on_message(None, deliver(), properties, b"hello")
    span = tel.span("process orders", SpanKind.CONSUMER)
    assert span.parent is not None and span.parent.span_id == PRODUCER_SPAN_ID
    assert span.context.trace_id == PRODUCER_TRACE_ID
    attributes = dict(span.attributes or {})
    assert attributes["messaging.system"] == "rabbitmq"
    assert attributes["messaging.message.id"] == "m-1"
    assert attributes["messaging.message.conversation_id"] == "c-1"
    assert attributes["messaging.message.body.size"] == 5
    assert attributes["messaging.rabbitmq.destination.routing_key"] == "eu.created"
    assert attributes["messaging.rabbitmq.message.delivery_tag"] == 7
    assert attributes["obskit.message.attempt"] == 1
    assert attributes["obskit.message.redelivered"] is False
    assert attributes["obskit.message.age"] > 0


def test_destination_names_follow_the_conventions() -> None:
    props = pika.BasicProperties()
    assert read_delivery(PikaDelivery(None, deliver(), props, b"")).destination == (
        "orders:eu.created"
    )
    assert read_delivery(PikaDelivery(None, deliver("", "q"), props, b"")).destination == "q"
    assert read_delivery(PikaDelivery(None, deliver("ex", ""), props, b"")).destination == "ex"
    assert read_delivery(PikaDelivery(None, deliver("", ""), props, b"")).destination == (
        "amq.default"
    )


def test_attempts_count_redelivery_dead_letters_and_quorum_deliveries() -> None:
    def attempt(headers: dict[str, object] | None, redelivered: bool) -> int | None:
        props = pika.BasicProperties(headers=headers)
        method = deliver(redelivered=redelivered)
        return read_delivery(PikaDelivery(None, method, props, b"")).attempt

    assert attempt(None, False) == 1
    assert attempt(None, True) == 2
    assert attempt({"x-death": [{"count": 2, "queue": "q"}]}, False) == 3
    assert attempt({"x-delivery-count": 3}, True) == 4
    assert attempt({"x-death": "garbage"}, False) == 1


def test_the_adapter_is_chosen_by_type_name() -> None:
    assert adapter_for(PikaDelivery) is read_delivery
