"""``settle=True`` on Redis Streams (XACK, re-added retries, a dead-letter stream), and raw
redis-py entries read without a wrapper."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import redis.asyncio
from tests.support.brokers import EXPECTED, GROUP, RedisStream, fail_as, round_trip, settlements

import obskit
from obskit.errors import TransientError
from obskit.messaging import RedisStreamEntry, redis_entries
from obskit.testing import capture

pytestmark = pytest.mark.broker


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_stream_entries_settle_by_outcome(
    redis_stream: Callable[..., RedisStream], kind: str
) -> None:
    stream = redis_stream("settle-stream")
    client, name = stream.client, stream.name

    @obskit.traced.consumer(name, system="redis", settle=True, max_attempts=3, retry_delay=0)
    def handle(entry: RedisStreamEntry) -> None:
        fail_as(kind)

    with capture() as tel:
        _entry_id, fields = stream.publish()
        for _ in EXPECTED[kind]:
            (entry,) = stream.read(client=client)
            handle(entry)

    assert settlements(tel, name) == EXPECTED[kind]
    round_trip(tel, name)  # every attempt stays in the producer's trace
    assert client.xpending(name, GROUP)["pending"] == 0  # nothing left unsettled
    assert client.xreadgroup(GROUP, "worker-1", {name: ">"}, count=1) == []  # nor queued
    letters = client.xrange(f"{name}.dead-letter")
    if EXPECTED[kind][-1][1] == "dead_letter":
        ((_id, letter),) = letters
        assert letter[b"body"] == b"order-1"
        assert letter[b"traceparent"] == fields["traceparent"].encode()
        assert letter[b"obskit-error-kind"] == kind.encode()
        assert letter[b"obskit-attempt"] == str(len(EXPECTED[kind])).encode()
        assert letter[b"obskit-dead-letter-from"] == name.encode()
    else:
        assert letters == []


async def test_asyncio_client_settles(redis_stream: Callable[..., RedisStream]) -> None:
    name = redis_stream("settle-stream").name
    client = redis.asyncio.Redis(host="127.0.0.1", port=6379, socket_timeout=5)

    @obskit.traced.consumer(name, system="redis", settle=True, max_attempts=2, retry_delay=0)
    async def handle(entry: RedisStreamEntry) -> None:
        raise TransientError("down")

    try:
        with capture() as tel:
            await client.xadd(name, {"body": "order-1"})
            for _ in range(2):
                reply = await client.xreadgroup(GROUP, "w", {name: ">"}, count=1, block=2000)
                (entry,) = redis_entries(reply, group=GROUP, client=client)
                await handle(entry)
        assert (await client.xpending(name, GROUP))["pending"] == 0
        assert len(await client.xrange(f"{name}.dead-letter")) == 1
    finally:
        await client.aclose()
    assert settlements(tel, name) == [(1, "retry"), (2, "dead_letter")]


@pytest.mark.parametrize("decode", [False, True])
@pytest.mark.parametrize("command", ["xread", "xreadgroup"])
def test_raw_entries_are_read_without_a_wrapper(
    redis_stream: Callable[..., RedisStream], decode: bool, command: str
) -> None:
    stream = redis_stream("raw-stream", decode=decode)
    client, name = stream.client, stream.name

    @obskit.traced.consumer(name, system="redis")
    def handle(entry: Any) -> None: ...

    with capture() as tel:
        entry_id, _fields = stream.publish()
        if command == "xread":
            reply = client.xread({name: "0"}, count=1)
        else:
            reply = client.xreadgroup(GROUP, "w", {name: ">"}, count=1)
        for _stream, entries in reply:
            for entry in entries:
                handle(entry)  # the reply's own (entry_id, fields)
                handle(list(entry))  # and as a list, as RESP3 replies give it

    _producer, consumers = round_trip(tel, name)
    assert len(consumers) == 2
    for consumer in consumers:
        attributes = consumer.attributes or {}
        assert attributes["messaging.message.id"] == (entry_id if decode else entry_id.decode())
        assert attributes["messaging.message.body.size"] == len("order-1")
        assert "obskit.context.missing" not in attributes
