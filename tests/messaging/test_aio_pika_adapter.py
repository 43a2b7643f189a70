"""aio-pika incoming messages, read through the real ``IncomingMessage`` class."""

from __future__ import annotations

import datetime

import aiormq.abc
from aio_pika.abc import AbstractIncomingMessage
from aio_pika.message import IncomingMessage
from opentelemetry.trace import SpanKind
from pamqp import commands, header
from tests.messaging.conftest import PRODUCER_SPAN_ID, TRACEPARENT

import obskit
from obskit.testing import capture


def incoming(redelivered: bool = False, **headers: object) -> IncomingMessage:
    deliver = commands.Basic.Deliver(
        consumer_tag="ct", delivery_tag=5, redelivered=redelivered, exchange="", routing_key="jobs"
    )
    properties = commands.Basic.Properties(
        headers={"traceparent": TRACEPARENT, **headers},
        message_id="m-9",
        correlation_id="c-9",
        timestamp=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    )
    content = header.ContentHeader(0, 4, properties)
    return IncomingMessage(
        aiormq.abc.DeliveredMessage(delivery=deliver, header=content, body=b"work", channel=None)
    )


async def test_incoming_message_attributes() -> None:
    @obskit.traced.consumer("jobs", system="rabbitmq")
    async def handle(message: AbstractIncomingMessage) -> None:
        pass

    with capture() as tel:
        await handle(incoming(redelivered=True, **{"x-delivery-count": 1}))
    span = tel.span("process jobs", SpanKind.CONSUMER)
    assert span.parent is not None and span.parent.span_id == PRODUCER_SPAN_ID
    attributes = dict(span.attributes or {})
    assert attributes["messaging.message.id"] == "m-9"
    assert attributes["messaging.message.conversation_id"] == "c-9"
    assert attributes["messaging.message.body.size"] == 4
    assert attributes["messaging.rabbitmq.destination.routing_key"] == "jobs"
    assert attributes["messaging.rabbitmq.message.delivery_tag"] == 5
    assert attributes["obskit.message.attempt"] == 2
    assert attributes["obskit.message.redelivered"] is True
    assert attributes["obskit.message.age"] > 3600  # broker timestamp from 2024
