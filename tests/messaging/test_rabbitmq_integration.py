"""RabbitMQ end to end through pika and aio-pika: parent/child, attributes, logs, redelivery."""

from __future__ import annotations

import asyncio
from typing import Any

import aio_pika
import pytest
import structlog
from opentelemetry.trace import SpanKind
from structlog.typing import EventDict
from tests.support.brokers import (
    AioRabbit,
    Rabbit,
    messaging_attributes,
    round_trip,
    select_round_trip,
    trace_hex,
)

import obskit
from obskit.messaging import settled
from obskit.testing import assert_linked, assert_parent, capture

pytestmark = pytest.mark.broker


def test_pika_consumer_continues_the_producer_trace(
    rabbit: Rabbit, handler_logs: list[EventDict]
) -> None:
    queue = rabbit.queue("pika")

    @obskit.traced.consumer(queue, system="rabbitmq")
    def on_message(ch: Any, method: Any, properties: Any, body: bytes) -> None:
        structlog.get_logger().info("order_received", body=body.decode())
        ch.basic_ack(method.delivery_tag)
        settled("ack")

    with capture() as tel:
        rabbit.publish(queue, message_id="m-1", correlation_id="c-1")
        rabbit.consume(queue, on_message, calls=1)

    producer, (consumer,) = round_trip(tel, queue)
    assert_linked(consumer, producer)
    attributes = dict(consumer.attributes or {})
    assert messaging_attributes(consumer) == {
        "messaging.system": "rabbitmq",
        "messaging.operation.type": "process",
        "messaging.operation.name": "process",
        "messaging.destination.name": queue,
        "messaging.message.id": "m-1",
        "messaging.message.conversation_id": "c-1",
        "messaging.message.body.size": 7,
        "messaging.rabbitmq.destination.routing_key": queue,
        "messaging.rabbitmq.message.delivery_tag": 1,
    }
    assert attributes["obskit.message.attempt"] == 1
    assert attributes["obskit.message.redelivered"] is False
    assert attributes["obskit.message.settlement"] == "ack"
    assert 0 <= attributes["obskit.message.age"] < 5
    (event,) = [e for e in handler_logs if e["event"] == "order_received"]
    assert event["trace_id"] == trace_hex(producer)
    assert tel.metric_points("obskit.message.age")


def test_pika_nack_with_requeue_is_redelivered_as_attempt_two(rabbit: Rabbit) -> None:
    queue = rabbit.queue("pika-redeliver")

    @obskit.traced.consumer(queue, system="rabbitmq")
    def on_message(ch: Any, method: Any, properties: Any, body: bytes) -> None:
        if method.redelivered:
            ch.basic_ack(method.delivery_tag)
            settled("ack")
        else:
            ch.basic_nack(method.delivery_tag, requeue=True)
            settled("nack", requeue=True)

    with capture() as tel:
        rabbit.publish(queue, b"x", message_id="m-2")
        rabbit.consume(queue, on_message, calls=2)

    _producer, (first, second) = round_trip(tel, queue)
    assert (first.attributes or {})["obskit.message.attempt"] == 1
    assert (first.attributes or {})["obskit.message.settlement"] == "requeue"
    assert (second.attributes or {})["obskit.message.attempt"] == 2
    assert (second.attributes or {})["obskit.message.redelivered"] is True
    assert (second.attributes or {})["obskit.message.settlement"] == "ack"
    assert "obskit.message.duplicate" not in (second.attributes or {})
    assert [e.name for e in second.events] == ["obskit.message.redelivered"]


async def test_aio_pika_consume_and_iterator(
    aio_rabbit: AioRabbit, handler_logs: list[EventDict]
) -> None:
    queue = await aio_rabbit.queue("aio-pika")
    queue_name = queue.name
    done = asyncio.Event()

    @obskit.traced.consumer(queue_name, system="rabbitmq")
    async def handle(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        async with message.process():  # acks on exit: observed as the settlement
            structlog.get_logger().info("job_received", body=message.body.decode())
        done.set()

    with capture() as tel:
        await aio_rabbit.publish(queue_name, b"job-1", message_id="j-1")
        tag = await queue.consume(handle)  # the callback form
        await asyncio.wait_for(done.wait(), 5)
        await queue.cancel(tag)
        await aio_rabbit.publish(queue_name, b"job-2", message_id="j-2")
        async with queue.iterator(timeout=5) as messages:  # the iterator form
            async for incoming in messages:
                await handle(incoming)
                break

    producers = tel.find_spans(f"send {queue_name}", SpanKind.PRODUCER)
    consumers = tel.find_spans(f"process {queue_name}", SpanKind.CONSUMER)
    assert len(producers) == len(consumers) == 2
    by_id = {(c.attributes or {})["messaging.message.id"]: c for c in consumers}
    for number, producer in enumerate(sorted(producers, key=lambda s: s.start_time or 0), 1):
        consumer = by_id[f"j-{number}"]
        assert_parent(producer, consumer)
        attributes = dict(consumer.attributes or {})
        assert attributes["messaging.destination.name"] == queue_name
        assert attributes["messaging.rabbitmq.destination.routing_key"] == queue_name
        assert attributes["messaging.message.body.size"] == 5
        assert attributes["obskit.message.attempt"] == 1
        assert attributes["obskit.message.settlement"] == "ack"
    traces = {e["trace_id"] for e in handler_logs if e["event"] == "job_received"}
    assert traces == {trace_hex(p) for p in producers}


def test_pika_select_connection_callback(rabbit: Rabbit) -> None:
    queue = rabbit.queue("pika-select")

    @obskit.traced.consumer(queue, system="rabbitmq")
    def on_message(ch: Any, method: Any, properties: Any, body: bytes) -> None:
        ch.basic_ack(method.delivery_tag)
        ch.connection.close()

    with capture() as tel:
        select_round_trip(queue, on_message, b"select")

    _producer, (consumer,) = round_trip(tel, queue)
    assert (consumer.attributes or {})["messaging.rabbitmq.destination.routing_key"] == queue
    assert (consumer.attributes or {})["messaging.message.body.size"] == 6
