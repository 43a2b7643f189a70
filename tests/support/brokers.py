"""One broker round trip for every broker test.

Per broker, a fixture gives a fresh, uniquely named queue, subject or stream, publishes with the
producer's trace context (``obskit.publishing``), receives in the client's own shapes (pika's
``(channel, method, properties, body)``, an aio-pika message, a nats-py ``Msg``, a redis-py
stream entry, a paho-mqtt message) and deletes what the test created. A missing broker fails
under ``CI=true`` and skips locally (``require_broker``). Registered as a plugin by
``tests/conftest.py``, so every test directory can ask for these fixtures.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

import obskit
from obskit.errors import BusinessRuleViolation, PoisonMessage, TransientError
from obskit.messaging import pika_properties, redis_entries
from obskit.testing import Captured, assert_parent
from tests.conftest import require_broker

AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
NATS_URL = "nats://127.0.0.1:4222"
GROUP = "billing"

#: the exception each outcome kind is raised with (``ok``: none)
FAILURES: dict[str, type[Exception] | None] = {
    "ok": None,
    "business": BusinessRuleViolation,
    "poison": PoisonMessage,
    "transient": TransientError,
    "unexpected": KeyError,
}
#: ``(attempt, settlement)`` of each delivery with ``max_attempts=3``, by outcome kind
EXPECTED: dict[str, list[tuple[int, str]]] = {
    "ok": [(1, "ack")],
    "business": [(1, "ack")],
    "poison": [(1, "dead_letter")],
    "transient": [(1, "retry"), (2, "retry"), (3, "dead_letter")],
    "unexpected": [(1, "retry"), (2, "retry"), (3, "dead_letter")],
}


def unique(prefix: str) -> str:
    return f"obskit-test-{prefix}-{uuid.uuid4().hex[:12]}"


def trace_hex(span: ReadableSpan) -> str:
    assert span.context is not None
    return f"{span.context.trace_id:032x}"


def fail_as(kind: str) -> None:
    """Raise the exception of outcome ``kind`` (nothing for ``ok``)."""
    error = FAILURES[kind]
    if error is not None:
        raise error(kind)


def round_trip(tel: Captured, destination: str) -> tuple[ReadableSpan, list[ReadableSpan]]:
    """The one producer span of ``destination`` and its consumer spans in order, each checked to
    be the producer's child (every delivery, retries too, stays in the producer's trace)."""
    producer = tel.span(f"send {destination}", SpanKind.PRODUCER)
    consumers = sorted(
        tel.find_spans(f"process {destination}", SpanKind.CONSUMER),
        key=lambda s: s.start_time or 0,
    )
    for consumer in consumers:
        assert_parent(producer, consumer)
    return producer, consumers


def messaging_attributes(span: ReadableSpan) -> dict[str, Any]:
    """The span's ``messaging.*`` attributes."""
    return {k: v for k, v in (span.attributes or {}).items() if k.startswith("messaging.")}


def settlements(tel: Captured, destination: str) -> list[tuple[int, str]]:
    """``(attempt, settlement)`` of each consumer span of ``destination``, in order."""
    spans = sorted(
        tel.find_spans(f"process {destination}", SpanKind.CONSUMER),
        key=lambda s: s.start_time or 0,
    )
    return [
        (
            int((s.attributes or {})["obskit.message.attempt"]),  # type: ignore[arg-type]
            str((s.attributes or {})["obskit.message.settlement"]),
        )
        for s in spans
    ]


# -- RabbitMQ through pika ---------------------------------------------------------------------


@dataclass
class Rabbit:
    """A pika ``BlockingConnection`` channel and the queues a test declared on it."""

    channel: Any
    declared: list[str] = field(default_factory=list)

    def queue(
        self,
        prefix: str,
        *,
        dead_letter: bool = False,
        broker_dead_letter: bool = False,
        **arguments: Any,
    ) -> str:
        """A fresh queue (durable when quorum); ``dead_letter``: its ``.dead-letter`` queue too,
        so a test can look into it at once; ``broker_dead_letter``: and RabbitMQ dead-letters
        rejected messages into it (``x-dead-letter-exchange``)."""
        queue = unique(prefix)
        self.declared.append(queue)
        if dead_letter or broker_dead_letter:
            self.channel.queue_declare(f"{queue}.dead-letter", durable=True)
        if broker_dead_letter:
            arguments.update(
                {"x-dead-letter-exchange": "", "x-dead-letter-routing-key": f"{queue}.dead-letter"}
            )
        quorum = arguments.get("x-queue-type") == "quorum"
        self.channel.queue_declare(queue, durable=quorum, arguments=arguments or None)
        return queue

    def publish(self, queue: str, body: bytes = b"order-1", **properties: Any) -> dict[str, str]:
        """Publish with trace context; the producer's headers."""
        with obskit.publishing(queue, system="rabbitmq") as headers:
            self.channel.basic_publish("", queue, body, pika_properties(headers, **properties))
        return dict(headers)

    def consume(self, queue: str, handler: Callable[..., Any], calls: int) -> None:
        """``basic_consume`` until ``handler`` ran ``calls`` times (or 5 s), then stop."""
        count = [0]

        def counting(*args: Any) -> None:
            handler(*args)
            count[0] += 1
            if count[0] >= calls:
                args[0].stop_consuming()

        self.channel.basic_consume(queue, counting)
        self.channel.connection.call_later(5, self.channel.stop_consuming)
        self.channel.start_consuming()
        assert count[0] == calls

    def get(self, queue: str) -> tuple[Any, Any, bytes]:
        """``basic_get`` once a message is there (a quorum queue or the broker's own
        dead-lettering commits it a moment later)."""
        for _ in range(100):
            method, properties, body = self.channel.basic_get(queue)
            if method is not None:
                return method, properties, body
            self.channel.connection.sleep(0.05)
        raise AssertionError(f"nothing arrived in {queue}")

    def remaining(self, queue: str) -> list[tuple[bytes, dict[str, Any]]]:
        """What is left in ``queue`` (bodies and headers), consumed with acks."""
        found = []
        while True:
            method, properties, body = self.channel.basic_get(queue, auto_ack=True)
            if method is None:
                return found
            found.append((body, dict(properties.headers or {})))

    def count(self, queue: str) -> int:
        return int(self.channel.queue_declare(queue, passive=True).method.message_count)


@pytest.fixture
def rabbit() -> Iterator[Rabbit]:
    require_broker("rabbitmq")
    import pika

    parameters = pika.URLParameters(AMQP_URL + "?socket_timeout=5&blocked_connection_timeout=5")
    connection = pika.BlockingConnection(parameters)
    broker = Rabbit(connection.channel())
    try:
        yield broker
    finally:
        for name in broker.declared:  # with its dead letters and settle's delay queues
            for suffix in ("", ".dead-letter", ".retry.100ms", ".retry.200ms"):
                broker.channel.queue_delete(name + suffix)
        connection.close()


def select_round_trip(queue: str, on_message: Callable[..., Any], body: bytes) -> None:
    """Publish to the declared ``queue`` and consume it through a pika ``SelectConnection`` (its
    callback shape) until ``on_message`` closes the connection (or 5 s)."""
    import pika

    def on_channel(channel: Any) -> None:
        with obskit.publishing(queue, system="rabbitmq") as headers:
            channel.basic_publish("", queue, body, pika_properties(headers))
        channel.basic_consume(queue, on_message)

    connection = pika.SelectConnection(
        pika.URLParameters(AMQP_URL),
        on_open_callback=lambda conn: conn.channel(on_open_callback=on_channel),
        on_close_callback=lambda conn, reason: conn.ioloop.stop(),
    )
    connection.ioloop.call_later(5, connection.ioloop.stop)
    try:
        connection.ioloop.start()
    finally:
        connection.ioloop.close()


# -- RabbitMQ through aio-pika -----------------------------------------------------------------


@dataclass
class AioRabbit:
    """An aio-pika channel and the queues a test declared on it."""

    channel: Any
    declared: list[str] = field(default_factory=list)

    async def queue(self, prefix: str, *, dead_letter: bool = False) -> Any:
        name = unique(prefix)
        self.declared.append(name)
        if dead_letter:
            await self.channel.declare_queue(f"{name}.dead-letter", durable=True)
        return await self.channel.declare_queue(name)

    async def publish(self, queue: str, body: bytes = b"order-1", **message: Any) -> dict[str, str]:
        """Publish with trace context; the producer's headers."""
        import aio_pika

        with obskit.publishing(queue, system="rabbitmq") as headers:
            await self.channel.default_exchange.publish(
                aio_pika.Message(body, headers=headers, **message), routing_key=queue
            )
        return dict(headers)

    async def count(self, queue: str) -> int:
        declared = await self.channel.declare_queue(queue, passive=True)
        return int(declared.declaration_result.message_count)


@pytest.fixture
async def aio_rabbit() -> AsyncIterator[AioRabbit]:
    require_broker("rabbitmq")
    import aio_pika

    connection = await aio_pika.connect(AMQP_URL, timeout=5)
    async with connection:
        broker = AioRabbit(await connection.channel())
        try:
            yield broker
        finally:
            for name in broker.declared:
                await broker.channel.queue_delete(name)
                await broker.channel.queue_delete(f"{name}.dead-letter")


# -- NATS --------------------------------------------------------------------------------------


@pytest.fixture
async def nats_client() -> AsyncIterator[Any]:
    require_broker("nats")
    import nats

    client = await nats.connect(NATS_URL, connect_timeout=2, max_reconnect_attempts=0)
    try:
        yield client
    finally:
        await client.close()


@dataclass
class JetStream:
    """A fresh stream on ``subject`` and one for its dead letters (``{subject}.dead-letter``)."""

    js: Any
    name: str
    subject: str

    @property
    def dead_letter(self) -> str:
        return f"{self.subject}.dead-letter"

    @property
    def dead_letter_stream(self) -> str:
        return f"{self.name}_DL"

    async def publish(
        self, body: bytes = b"order-1", *, destination: str | None = None
    ) -> tuple[Any, dict[str, str]]:
        """Publish with trace context (span named after ``destination``, else the subject);
        the stream's ``PubAck`` and the producer's headers."""
        with obskit.publishing(destination or self.subject, system="nats") as headers:
            ack = await self.js.publish(self.subject, body, headers=headers)
        return ack, dict(headers)

    async def subscribe(self, durable: str, **options: Any) -> Any:
        """A durable pull subscription: ``await subscription.fetch(n)`` gives nats-py ``Msg``s."""
        return await self.js.pull_subscribe(self.subject, durable=durable, **options)

    async def pending(self, durable: str) -> tuple[int, int]:
        """(messages not yet delivered, delivered but not settled) for the consumer."""
        import asyncio

        await asyncio.sleep(0.1)  # acks are fire-and-forget publishes
        info = await self.js.consumer_info(self.name, durable)
        return info.num_pending, info.num_ack_pending

    async def dead_letters(self) -> int:
        return int((await self.js.stream_info(self.dead_letter_stream)).state.messages)


@pytest.fixture
async def jetstream(nats_client: Any) -> AsyncIterator[JetStream]:
    js = nats_client.jetstream(timeout=5)
    name = unique("stream").replace("-", "_").upper()
    stream = JetStream(js, name, f"{name.lower()}.orders")
    await js.add_stream(name=name, subjects=[stream.subject])
    await js.add_stream(name=stream.dead_letter_stream, subjects=[stream.dead_letter])
    try:
        yield stream
    finally:
        for each in (name, stream.dead_letter_stream):
            await js.delete_stream(each)


# -- Redis Streams -----------------------------------------------------------------------------


@dataclass
class RedisStream:
    """A fresh stream with the consumer group ``billing``, and the client that made it."""

    client: Any
    name: str

    def publish(self, body: str = "order-1") -> tuple[Any, dict[str, str]]:
        """XADD with trace context in the fields; the entry id and the fields."""
        with obskit.publishing(self.name, system="redis", headers={"body": body}) as fields:
            entry_id = self.client.xadd(self.name, fields)
        return entry_id, dict(fields)

    def read(self, consumer: str = "worker-1", client: Any = None) -> list[Any]:
        """XREADGROUP of new entries as obskit's ``RedisStreamEntry``; ``client``: settle through
        it (``settle=True``)."""
        reply = self.client.xreadgroup(GROUP, consumer, {self.name: ">"}, count=1, block=2000)
        return redis_entries(reply, group=GROUP, consumer=consumer, client=client)


@pytest.fixture
def redis_stream() -> Iterator[Callable[..., RedisStream]]:
    """``redis_stream(prefix, decode=False)``: a fresh stream (and group), deleted after."""
    require_broker("redis")
    import redis

    made: list[RedisStream] = []

    def make(prefix: str = "stream", *, decode: bool = False) -> RedisStream:
        client = redis.Redis(host="127.0.0.1", port=6379, socket_timeout=5, decode_responses=decode)
        stream = RedisStream(client, unique(prefix))
        made.append(stream)
        client.xgroup_create(stream.name, GROUP, id="0", mkstream=True)
        return stream

    try:
        yield make
    finally:
        for stream in made:
            stream.client.delete(stream.name, f"{stream.name}.dead-letter")
            stream.client.close()


# -- MQTT v5 through paho ----------------------------------------------------------------------


@contextmanager
def mqtt_subscriber(on_message: Callable[..., Any]) -> Iterator[tuple[Any, str]]:
    """A paho MQTT v5 client subscribed (QoS 1) to a fresh topic: ``(client, topic)``."""
    require_broker("mqtt")
    import paho.mqtt.client as mqtt

    topic = f"obskit/test/{unique('mqtt')}"
    subscribed = threading.Event()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.on_message = on_message
    client.on_subscribe = lambda *args: subscribed.set()
    client.connect("127.0.0.1", 1883, keepalive=10)
    client.loop_start()
    try:
        client.subscribe(topic, qos=1)
        assert subscribed.wait(5)
        yield client, topic
    finally:
        client.loop_stop()
        client.disconnect()
