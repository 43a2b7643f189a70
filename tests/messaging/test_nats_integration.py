"""NATS end to end: core pub/sub, JetStream redelivery after nak, and a batch consumer."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import structlog
from nats.aio.msg import Msg
from opentelemetry.trace import SpanKind
from structlog.typing import EventDict
from tests.support.brokers import JetStream, messaging_attributes, round_trip, trace_hex, unique

import obskit
from obskit.messaging import settled
from obskit.testing import assert_linked, capture

pytestmark = pytest.mark.broker


async def test_core_subscriber_continues_the_producer_trace(
    nats_client: Any, handler_logs: list[EventDict]
) -> None:
    subject = unique("core").replace("-", "_")
    done = asyncio.Event()

    @obskit.traced.consumer(subject, system="nats")
    async def handle(msg: Msg) -> None:
        structlog.get_logger().info("reading_received")
        done.set()

    with capture() as tel:
        await nats_client.subscribe(subject, cb=handle)
        with obskit.publishing(subject, system="nats", headers={"Nats-Msg-Id": "r-1"}) as headers:
            await nats_client.publish(subject, b"21.5", headers=headers)
        await asyncio.wait_for(done.wait(), 5)

    producer, (consumer,) = round_trip(tel, subject)
    attributes = dict(consumer.attributes or {})
    assert messaging_attributes(consumer) == {
        "messaging.system": "nats",
        "messaging.operation.type": "process",
        "messaging.operation.name": "process",
        "messaging.destination.name": subject,
        "messaging.message.id": "r-1",
        "messaging.message.body.size": 4,
    }
    assert 0 <= attributes["obskit.message.age"] < 5
    (event,) = [e for e in handler_logs if e["event"] == "reading_received"]
    assert event["trace_id"] == trace_hex(producer)


async def test_jetstream_nak_is_redelivered_with_its_delivery_count(jetstream: JetStream) -> None:
    @obskit.traced.consumer("orders", system="nats")
    async def handle(msg: Msg) -> None:
        if msg.metadata.num_delivered == 1:
            await msg.nak()
            settled("nack", requeue=True)
        else:
            await msg.ack()
            settled("ack")

    with capture() as tel:
        ack, _headers = await jetstream.publish(destination="orders")
        subscription = await jetstream.subscribe("workers")
        for _ in range(2):
            (msg,) = await subscription.fetch(1, timeout=5)
            await handle(msg)

    _producer, (first, second) = round_trip(tel, "orders")
    for span, attempt, settlement in ((first, 1, "requeue"), (second, 2, "ack")):
        attributes = dict(span.attributes or {})
        assert attributes["messaging.destination.name"] == "orders"
        assert attributes["messaging.message.id"] == f"{jetstream.name}:{ack.seq}"
        assert attributes["messaging.consumer.group.name"] == "workers"
        assert attributes["obskit.message.attempt"] == attempt
        assert attributes["obskit.message.redelivered"] is (attempt > 1)
        assert attributes["obskit.message.settlement"] == settlement
        assert 0 <= attributes["obskit.message.age"] < 5


async def test_batch_consumer_links_every_message(jetstream: JetStream) -> None:
    @obskit.traced.batch_consumer("orders", system="nats")
    async def handle_batch(msgs: list[Msg]) -> None:
        for msg in msgs:
            await msg.ack()

    with capture() as tel:
        for number in range(3):
            await jetstream.publish(f"order-{number}".encode(), destination="orders")
        subscription = await jetstream.subscribe("batch")
        msgs = await subscription.fetch(3, timeout=5)
        assert len(msgs) == 3
        await handle_batch(msgs)

    batch = tel.span("process orders", SpanKind.CONSUMER)
    assert (batch.attributes or {})["messaging.batch.message_count"] == 3
    producers = tel.find_spans("send orders", SpanKind.PRODUCER)
    assert len(producers) == len(batch.links) == 3
    for producer in producers:
        assert_linked(batch, producer)
