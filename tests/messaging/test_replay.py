"""``replay_dead_letters()``: dead letters go back where they failed, with a fresh attempt count
and their original trace, on RabbitMQ, JetStream and Redis."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aio_pika
import pytest
from nats.aio.msg import Msg
from tests.support.brokers import (
    GROUP,
    AioRabbit,
    JetStream,
    Rabbit,
    RedisStream,
    round_trip,
    settlements,
)

import obskit
from obskit.errors import PoisonMessage
from obskit.messaging import BROKER_DEAD_LETTER, RedisStreamEntry, replay_dead_letters
from obskit.testing import Captured, capture

pytestmark = pytest.mark.broker


def attempts(tel: Captured, name: str) -> list[tuple[int, str]]:
    round_trip(tel, name)  # the replay joins the original trace
    return settlements(tel, name)


@pytest.mark.parametrize("broker_dlx", [False, True])
def test_rabbitmq_replay(rabbit: Rabbit, broker_dlx: bool) -> None:
    queue = rabbit.queue("replay", dead_letter=True, broker_dead_letter=broker_dlx)
    dead_letter = f"{queue}.dead-letter"
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

    with capture() as tel:
        rabbit.publish(queue)
        on_message(rabbit.channel, *rabbit.get(queue))
        for _ in range(100):  # the broker's own dead-lettering is asynchronous
            if rabbit.count(dead_letter):
                break
            rabbit.channel.connection.sleep(0.02)
        broken[0] = False  # the fix is deployed
        assert replay_dead_letters(rabbit.channel, dead_letter) == 1
        on_message(rabbit.channel, *rabbit.get(queue))
    assert attempts(tel, queue) == [(1, "dead_letter"), (1, "ack")]
    assert rabbit.count(dead_letter) == 0
    assert rabbit.count(queue) == 0


def test_redis_replay(redis_stream: Callable[..., RedisStream]) -> None:
    stream = redis_stream("replay-stream")
    client, name = stream.client, stream.name
    broken = [True]

    @obskit.traced.consumer(name, system="redis", settle=True)
    def handle(entry: RedisStreamEntry) -> None:
        if broken[0]:
            raise PoisonMessage("bad")

    with capture() as tel:
        stream.publish()
        (entry,) = stream.read(client=client)
        handle(entry)
        broken[0] = False
        assert replay_dead_letters(client, f"{name}.dead-letter") == 1
        (entry,) = stream.read(client=client)
        handle(entry)
    assert attempts(tel, name) == [(1, "dead_letter"), (1, "ack")]
    assert client.xlen(f"{name}.dead-letter") == 0
    assert client.xpending(name, GROUP)["pending"] == 0


async def test_jetstream_replay(jetstream: JetStream) -> None:
    broken = [True]

    @obskit.traced.consumer(jetstream.subject, system="nats", settle=True)
    async def handle(msg: Msg) -> None:
        if broken[0]:
            raise PoisonMessage("bad")

    with capture() as tel:
        await jetstream.publish()
        subscription = await jetstream.subscribe("workers")
        (msg,) = await subscription.fetch(1, timeout=5)
        await handle(msg)
        broken[0] = False
        assert await replay_dead_letters(jetstream.js, jetstream.dead_letter) == 1
        (msg,) = await subscription.fetch(1, timeout=5)
        await handle(msg)
    assert attempts(tel, jetstream.subject) == [(1, "dead_letter"), (1, "ack")]
    assert await jetstream.dead_letters() == 0


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


async def test_aio_pika_replay(aio_rabbit: AioRabbit) -> None:
    queue = await aio_rabbit.queue("replay-aio", dead_letter=True)
    name = queue.name
    broken = [True]

    @obskit.traced.consumer(name, system="rabbitmq", settle=True)
    async def handle(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        if broken[0]:
            raise PoisonMessage("bad")

    with capture() as tel:
        await aio_rabbit.publish(name)
        await handle(await queue.get(timeout=5))
        broken[0] = False
        assert await replay_dead_letters(aio_rabbit.channel, f"{name}.dead-letter") == 1
        await handle(await queue.get(timeout=5))
    assert attempts(tel, name) == [(1, "dead_letter"), (1, "ack")]
