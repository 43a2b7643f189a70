"""``replay_dead_letters()``: dead letters go back where they failed, with a fresh attempt count
and their original trace, on RabbitMQ, JetStream and Redis."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import nats
import pika
import pytest
import redis
from nats.aio.msg import Msg
from opentelemetry.trace import SpanKind
from tests.conftest import require_broker
from tests.messaging.conftest import unique

import obskit
from obskit.errors import PoisonMessage
from obskit.messaging import (
    BROKER_DEAD_LETTER,
    RedisStreamEntry,
    pika_properties,
    redis_entries,
    replay_dead_letters,
)
from obskit.testing import Captured, assert_parent, capture

pytestmark = pytest.mark.broker


def attempts(tel: Captured, name: str) -> list[tuple[int, str]]:
    spans = sorted(
        tel.find_spans(f"process {name}", SpanKind.CONSUMER), key=lambda s: s.start_time or 0
    )
    producer = tel.span(f"send {name}", SpanKind.PRODUCER)
    for span in spans:
        assert_parent(producer, span)  # the replay joins the original trace
    return [
        (
            int((s.attributes or {})["obskit.message.attempt"]),  # type: ignore[arg-type]
            str((s.attributes or {})["obskit.message.settlement"]),
        )
        for s in spans
    ]


@pytest.fixture
def channel() -> Iterator[Any]:
    require_broker("rabbitmq")
    connection = pika.BlockingConnection(pika.URLParameters("amqp://guest:guest@127.0.0.1:5672/"))
    try:
        yield connection.channel()
    finally:
        connection.close()


@pytest.mark.parametrize("broker_dlx", [False, True])
def test_rabbitmq_replay(channel: Any, broker_dlx: bool) -> None:
    queue = unique("replay")
    dead_letter = f"{queue}.dead-letter"
    channel.queue_declare(dead_letter, durable=True)
    dlx = {"x-dead-letter-exchange": "", "x-dead-letter-routing-key": dead_letter}
    channel.queue_declare(queue, arguments=dlx if broker_dlx else None)
    broken = [True]

    @obskit.traced.consumer(
        queue,
        system="rabbitmq",
        settle=True,
        dead_letter=BROKER_DEAD_LETTER if broker_dlx else None,
    )
    def on_message(ch: Any, method: Any, properties: Any, body: bytes) -> None:
        if broken[0]:
            raise PoisonMessage("schema v2 not deployed yet")

    def receive() -> None:
        for _ in range(100):
            method, properties, body = channel.basic_get(queue)
            if method is not None:
                on_message(channel, method, properties, body)
                return
            channel.connection.sleep(0.02)
        raise AssertionError("nothing arrived")

    try:
        with capture() as tel:
            with obskit.publishing(queue, system="rabbitmq") as headers:
                channel.basic_publish("", queue, b"order-1", pika_properties(headers))
            receive()
            for _ in range(100):  # the broker's own dead-lettering is asynchronous
                if channel.queue_declare(dead_letter, passive=True).method.message_count:
                    break
                channel.connection.sleep(0.02)
            broken[0] = False  # the fix is deployed
            assert replay_dead_letters(channel, dead_letter) == 1
            receive()
        assert attempts(tel, queue) == [(1, "dead_letter"), (1, "ack")]
        assert channel.queue_declare(dead_letter, passive=True).method.message_count == 0
        assert channel.queue_declare(queue, passive=True).method.message_count == 0
    finally:
        channel.queue_delete(queue)
        channel.queue_delete(dead_letter)


def test_redis_replay() -> None:
    require_broker("redis")
    client = redis.Redis(host="127.0.0.1", port=6379, socket_timeout=5)
    name = unique("replay-stream")
    client.xgroup_create(name, "g", id="0", mkstream=True)
    broken = [True]

    @obskit.traced.consumer(name, system="redis", settle=True)
    def handle(entry: RedisStreamEntry) -> None:
        if broken[0]:
            raise PoisonMessage("bad")

    def receive() -> None:
        reply = client.xreadgroup("g", "w", {name: ">"}, count=1, block=2000)
        (entry,) = redis_entries(reply, group="g", client=client)
        handle(entry)

    try:
        with capture() as tel:
            with obskit.publishing(name, system="redis", headers={"body": "order-1"}) as fields:
                client.xadd(name, fields)
            receive()
            broken[0] = False
            assert replay_dead_letters(client, f"{name}.dead-letter") == 1
            receive()
        assert attempts(tel, name) == [(1, "dead_letter"), (1, "ack")]
        assert client.xlen(f"{name}.dead-letter") == 0
        assert client.xpending(name, "g")["pending"] == 0
    finally:
        client.delete(name, f"{name}.dead-letter")
        client.close()


async def test_jetstream_replay() -> None:
    require_broker("nats")
    nc = await nats.connect("nats://127.0.0.1:4222", connect_timeout=2, max_reconnect_attempts=0)
    js = nc.jetstream(timeout=5)
    stream = unique("replay").replace("-", "_").upper()
    subject = f"{stream.lower()}.orders"
    await js.add_stream(name=stream, subjects=[subject])
    await js.add_stream(name=f"{stream}_DL", subjects=[f"{subject}.dead-letter"])
    broken = [True]

    @obskit.traced.consumer(subject, system="nats", settle=True)
    async def handle(msg: Msg) -> None:
        if broken[0]:
            raise PoisonMessage("bad")

    try:
        with capture() as tel:
            with obskit.publishing(subject, system="nats") as headers:
                await js.publish(subject, b"order-1", headers=headers)
            subscription = await js.pull_subscribe(subject, durable="workers")
            (msg,) = await subscription.fetch(1, timeout=5)
            await handle(msg)
            broken[0] = False
            assert await replay_dead_letters(js, f"{subject}.dead-letter") == 1
            (msg,) = await subscription.fetch(1, timeout=5)
            await handle(msg)
        assert attempts(tel, subject) == [(1, "dead_letter"), (1, "ack")]
        assert (await js.stream_info(f"{stream}_DL")).state.messages == 0
    finally:
        for name in (stream, f"{stream}_DL"):
            await js.delete_stream(name)
        await nc.close()


def test_unknown_clients_and_origins_are_refused() -> None:
    with pytest.raises(TypeError, match="cannot replay dead letters through a object"):
        replay_dead_letters(object(), "x")
    from obskit.messaging._replay import replayed

    with pytest.raises(ValueError, match="needs to="):
        replayed({"traceparent": "t"}, None)
    assert replayed({"obskit-attempt": "3", "traceparent": "t"}, "orders") == (
        {"traceparent": "t"},
        "orders",
    )


async def test_aio_pika_replay() -> None:
    import aio_pika

    require_broker("rabbitmq")
    connection = await aio_pika.connect("amqp://guest:guest@127.0.0.1:5672/", timeout=5)
    async with connection:
        channel = await connection.channel()
        name = unique("replay-aio")
        queue = await channel.declare_queue(name)
        await channel.declare_queue(f"{name}.dead-letter", durable=True)
        broken = [True]

        @obskit.traced.consumer(name, system="rabbitmq", settle=True)
        async def handle(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            if broken[0]:
                raise PoisonMessage("bad")

        try:
            with capture() as tel:
                with obskit.publishing(name, system="rabbitmq") as headers:
                    await channel.default_exchange.publish(
                        aio_pika.Message(b"order-1", headers=headers), routing_key=name
                    )
                await handle(await queue.get(timeout=5))
                broken[0] = False
                assert await replay_dead_letters(channel, f"{name}.dead-letter") == 1
                await handle(await queue.get(timeout=5))
            assert attempts(tel, name) == [(1, "dead_letter"), (1, "ack")]
        finally:
            await queue.delete(if_unused=False, if_empty=False)
            await channel.queue_delete(f"{name}.dead-letter")
