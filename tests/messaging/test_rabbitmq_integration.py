"""RabbitMQ end to end through pika and aio-pika: parent/child, attributes, logs, redelivery."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import aio_pika
import pika
import pytest
import structlog
from opentelemetry.trace import SpanKind
from structlog.typing import EventDict
from tests.conftest import require_broker
from tests.messaging.conftest import trace_hex, unique

import obskit
from obskit.messaging import pika_properties, settled
from obskit.testing import assert_linked, assert_parent, capture

pytestmark = pytest.mark.broker

URL = "amqp://guest:guest@127.0.0.1:5672/"


@pytest.fixture
def channel() -> Iterator[Any]:
    require_broker("rabbitmq")
    parameters = pika.URLParameters(URL + "?socket_timeout=5&blocked_connection_timeout=5")
    connection = pika.BlockingConnection(parameters)
    try:
        yield connection.channel()
    finally:
        connection.close()


def consume(channel: Any, queue: str, handler: Any, expected: int) -> None:
    """Run ``handler`` on deliveries until ``expected`` messages were handled (or 5 s)."""
    handled = [0]

    def counting(ch: Any, method: Any, properties: Any, body: bytes) -> None:
        handler(ch, method, properties, body)
        handled[0] += 1
        if handled[0] >= expected:
            ch.stop_consuming()

    channel.basic_consume(queue, counting)
    channel.connection.call_later(5, channel.stop_consuming)
    channel.start_consuming()
    assert handled[0] == expected


def test_pika_consumer_continues_the_producer_trace(
    channel: Any, handler_logs: list[EventDict]
) -> None:
    queue = unique("pika")
    channel.queue_declare(queue)
    try:

        @obskit.traced.consumer(queue, system="rabbitmq")
        def on_message(ch: Any, method: Any, properties: Any, body: bytes) -> None:
            structlog.get_logger().info("order_received", body=body.decode())
            ch.basic_ack(method.delivery_tag)
            settled("ack")

        with capture() as tel:
            with obskit.publishing(queue, system="rabbitmq") as headers:
                properties = pika_properties(headers, message_id="m-1", correlation_id="c-1")
                channel.basic_publish("", queue, b"order-1", properties)
            consume(channel, queue, on_message, expected=1)

        producer = tel.span(f"send {queue}", SpanKind.PRODUCER)
        consumer = tel.span(f"process {queue}", SpanKind.CONSUMER)
        assert_parent(producer, consumer)
        assert_linked(consumer, producer)
        attributes = dict(consumer.attributes or {})
        assert {k: v for k, v in attributes.items() if k.startswith("messaging.")} == {
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
    finally:
        channel.queue_delete(queue)


def test_pika_nack_with_requeue_is_redelivered_as_attempt_two(channel: Any) -> None:
    queue = unique("pika-redeliver")
    channel.queue_declare(queue)
    try:

        @obskit.traced.consumer(queue, system="rabbitmq")
        def on_message(ch: Any, method: Any, properties: Any, body: bytes) -> None:
            if method.redelivered:
                ch.basic_ack(method.delivery_tag)
                settled("ack")
            else:
                ch.basic_nack(method.delivery_tag, requeue=True)
                settled("nack", requeue=True)

        with capture() as tel:
            with obskit.publishing(queue, system="rabbitmq") as headers:
                channel.basic_publish("", queue, b"x", pika_properties(headers, message_id="m-2"))
            consume(channel, queue, on_message, expected=2)

        producer = tel.span(f"send {queue}", SpanKind.PRODUCER)
        first, second = sorted(
            tel.find_spans(f"process {queue}", SpanKind.CONSUMER), key=lambda s: s.start_time or 0
        )
        for span in (first, second):
            assert_parent(producer, span)
        assert (first.attributes or {})["obskit.message.attempt"] == 1
        assert (first.attributes or {})["obskit.message.settlement"] == "requeue"
        assert (second.attributes or {})["obskit.message.attempt"] == 2
        assert (second.attributes or {})["obskit.message.redelivered"] is True
        assert (second.attributes or {})["obskit.message.settlement"] == "ack"
        assert "obskit.message.duplicate" not in (second.attributes or {})
        assert [e.name for e in second.events] == ["obskit.message.redelivered"]
    finally:
        channel.queue_delete(queue)


async def test_aio_pika_consume_and_iterator(handler_logs: list[EventDict]) -> None:
    require_broker("rabbitmq")
    connection = await aio_pika.connect(URL, timeout=5)
    async with connection:
        channel = await connection.channel()
        queue_name = unique("aio-pika")
        queue = await channel.declare_queue(queue_name)
        done = asyncio.Event()

        @obskit.traced.consumer(queue_name, system="rabbitmq")
        async def handle(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            async with message.process():  # acks on exit: observed as the settlement
                structlog.get_logger().info("job_received", body=message.body.decode())
            done.set()

        try:

            async def publish(number: int) -> None:
                with obskit.publishing(queue_name, system="rabbitmq") as headers:
                    message = aio_pika.Message(
                        f"job-{number}".encode(), headers=headers, message_id=f"j-{number}"
                    )
                    await channel.default_exchange.publish(message, routing_key=queue_name)

            with capture() as tel:
                await publish(1)
                tag = await queue.consume(handle)  # the callback form
                await asyncio.wait_for(done.wait(), 5)
                await queue.cancel(tag)
                await publish(2)
                async with queue.iterator(timeout=5) as messages:  # the iterator form
                    async for incoming in messages:
                        await handle(incoming)
                        break
        finally:
            await queue.delete(if_unused=False, if_empty=False)

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


def test_pika_select_connection_callback() -> None:
    require_broker("rabbitmq")
    queue = unique("pika-select")
    state: dict[str, Any] = {}

    @obskit.traced.consumer(queue, system="rabbitmq")
    def on_message(ch: Any, method: Any, properties: Any, body: bytes) -> None:
        ch.basic_ack(method.delivery_tag)
        ch.queue_delete(queue, callback=lambda _frame: ch.connection.close())

    def on_declared(_frame: Any) -> None:
        channel = state["channel"]
        with obskit.publishing(queue, system="rabbitmq") as headers:
            channel.basic_publish("", queue, b"select", pika_properties(headers))
        channel.basic_consume(queue, on_message)

    def on_channel(channel: Any) -> None:
        state["channel"] = channel
        channel.queue_declare(queue, callback=on_declared)

    connection = pika.SelectConnection(
        pika.URLParameters(URL),
        on_open_callback=lambda conn: conn.channel(on_open_callback=on_channel),
        on_close_callback=lambda conn, reason: conn.ioloop.stop(),
    )
    connection.ioloop.call_later(5, connection.ioloop.stop)
    with capture() as tel:
        try:
            connection.ioloop.start()
        finally:
            connection.ioloop.close()

    producer = tel.span(f"send {queue}", SpanKind.PRODUCER)
    consumer = tel.span(f"process {queue}", SpanKind.CONSUMER)
    assert_parent(producer, consumer)
    assert (consumer.attributes or {})["messaging.rabbitmq.destination.routing_key"] == queue
    assert (consumer.attributes or {})["messaging.message.body.size"] == 6
