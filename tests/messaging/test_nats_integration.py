"""NATS end to end: core pub/sub, JetStream redelivery after nak, and a batch consumer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import nats
import pytest
import structlog
from nats.aio.msg import Msg
from opentelemetry.trace import SpanKind
from structlog.typing import EventDict
from tests.conftest import require_broker
from tests.messaging.conftest import trace_hex, unique

import obskit
from obskit.messaging import settled
from obskit.testing import assert_linked, assert_parent, capture

pytestmark = pytest.mark.broker


@pytest.fixture
async def nc() -> AsyncIterator[Any]:
    require_broker("nats")
    client = await nats.connect(
        "nats://127.0.0.1:4222", connect_timeout=2, max_reconnect_attempts=0
    )
    try:
        yield client
    finally:
        await client.close()


async def test_core_subscriber_continues_the_producer_trace(
    nc: Any, handler_logs: list[EventDict]
) -> None:
    subject = unique("core").replace("-", "_")
    done = asyncio.Event()

    @obskit.traced.consumer(subject, system="nats")
    async def handle(msg: Msg) -> None:
        structlog.get_logger().info("reading_received")
        done.set()

    with capture() as tel:
        await nc.subscribe(subject, cb=handle)
        with obskit.publishing(subject, system="nats", headers={"Nats-Msg-Id": "r-1"}) as headers:
            await nc.publish(subject, b"21.5", headers=headers)
        await asyncio.wait_for(done.wait(), 5)

    producer = tel.span(f"send {subject}", SpanKind.PRODUCER)
    consumer = tel.span(f"process {subject}", SpanKind.CONSUMER)
    assert_parent(producer, consumer)
    attributes = dict(consumer.attributes or {})
    assert {k: v for k, v in attributes.items() if k.startswith("messaging.")} == {
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


@pytest.fixture
async def stream(nc: Any) -> AsyncIterator[tuple[Any, str, str]]:
    js = nc.jetstream(timeout=5)
    name = unique("stream").replace("-", "_").upper()
    subject = f"{name.lower()}.orders"
    await js.add_stream(name=name, subjects=[subject])
    try:
        yield js, name, subject
    finally:
        await js.delete_stream(name)


async def test_jetstream_nak_is_redelivered_with_its_delivery_count(
    stream: tuple[Any, str, str],
) -> None:
    js, name, subject = stream

    @obskit.traced.consumer("orders", system="nats")
    async def handle(msg: Msg) -> None:
        if msg.metadata.num_delivered == 1:
            await msg.nak()
            settled("nack", requeue=True)
        else:
            await msg.ack()
            settled("ack")

    with capture() as tel:
        with obskit.publishing("orders", system="nats") as headers:
            ack = await js.publish(subject, b"order-1", headers=headers)
        subscription = await js.pull_subscribe(subject, durable="workers")
        for _ in range(2):
            (msg,) = await subscription.fetch(1, timeout=5)
            await handle(msg)

    producer = tel.span("send orders", SpanKind.PRODUCER)
    first, second = sorted(
        tel.find_spans("process orders", SpanKind.CONSUMER), key=lambda s: s.start_time or 0
    )
    for span, attempt, settlement in ((first, 1, "requeue"), (second, 2, "ack")):
        assert_parent(producer, span)
        attributes = dict(span.attributes or {})
        assert attributes["messaging.destination.name"] == "orders"
        assert attributes["messaging.message.id"] == f"{name}:{ack.seq}"
        assert attributes["messaging.consumer.group.name"] == "workers"
        assert attributes["obskit.message.attempt"] == attempt
        assert attributes["obskit.message.redelivered"] is (attempt > 1)
        assert attributes["obskit.message.settlement"] == settlement
        assert 0 <= attributes["obskit.message.age"] < 5


async def test_batch_consumer_links_every_message(stream: tuple[Any, str, str]) -> None:
    js, _name, subject = stream

    @obskit.traced.batch_consumer("orders", system="nats")
    async def handle_batch(msgs: list[Msg]) -> None:
        for msg in msgs:
            await msg.ack()

    with capture() as tel:
        for number in range(3):
            with obskit.publishing("orders", system="nats") as headers:
                await js.publish(subject, f"order-{number}".encode(), headers=headers)
        subscription = await js.pull_subscribe(subject, durable="batch")
        msgs = await subscription.fetch(3, timeout=5)
        assert len(msgs) == 3
        await handle_batch(msgs)

    batch = tel.span("process orders", SpanKind.CONSUMER)
    assert (batch.attributes or {})["messaging.batch.message_count"] == 3
    producers = tel.find_spans("send orders", SpanKind.PRODUCER)
    assert len(producers) == len(batch.links) == 3
    for producer in producers:
        assert_linked(batch, producer)
