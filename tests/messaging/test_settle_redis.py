"""``settle=True`` on Redis Streams (XACK, re-added retries, a dead-letter stream), and raw
redis-py entries read without a wrapper."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis
import redis.asyncio
from opentelemetry.trace import SpanKind
from tests.conftest import require_broker
from tests.messaging.conftest import unique

import obskit
from obskit.errors import BusinessRuleViolation, PoisonMessage, TransientError
from obskit.messaging import RedisStreamEntry, redis_entries
from obskit.testing import Captured, assert_parent, capture

pytestmark = pytest.mark.broker

GROUP = "billing"
FAILURES: dict[str, type[Exception] | None] = {
    "ok": None,
    "business": BusinessRuleViolation,
    "poison": PoisonMessage,
    "transient": TransientError,
}
EXPECTED = {
    "ok": [(1, "ack")],
    "business": [(1, "ack")],
    "poison": [(1, "dead_letter")],
    "transient": [(1, "retry"), (2, "retry"), (3, "dead_letter")],
}


@pytest.fixture
def stream() -> Iterator[tuple[Any, str]]:
    require_broker("redis")
    client = redis.Redis(host="127.0.0.1", port=6379, socket_timeout=5)
    name = unique("settle-stream")
    client.xgroup_create(name, GROUP, id="0", mkstream=True)
    try:
        yield client, name
    finally:
        client.delete(name, f"{name}.dead-letter")
        client.close()


def deliveries(tel: Captured, name: str) -> list[tuple[int, str]]:
    spans = sorted(
        tel.find_spans(f"process {name}", SpanKind.CONSUMER), key=lambda s: s.start_time or 0
    )
    return [
        (
            int((s.attributes or {})["obskit.message.attempt"]),  # type: ignore[arg-type]
            str((s.attributes or {})["obskit.message.settlement"]),
        )
        for s in spans
    ]


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_stream_entries_settle_by_outcome(stream: tuple[Any, str], kind: str) -> None:
    client, name = stream
    error = FAILURES[kind]

    @obskit.traced.consumer(name, system="redis", settle=True, max_attempts=3, retry_delay=0)
    def handle(entry: RedisStreamEntry) -> None:
        if error is not None:
            raise error(kind)

    with capture() as tel:
        with obskit.publishing(name, system="redis", headers={"body": "order-1"}) as fields:
            client.xadd(name, fields)
        for _ in EXPECTED[kind]:
            reply = client.xreadgroup(GROUP, "worker-1", {name: ">"}, count=1, block=2000)
            (entry,) = redis_entries(reply, group=GROUP, consumer="worker-1", client=client)
            handle(entry)

    assert deliveries(tel, name) == EXPECTED[kind]
    producer = tel.span(f"send {name}", SpanKind.PRODUCER)
    for span in tel.find_spans(f"process {name}", SpanKind.CONSUMER):
        assert_parent(producer, span)
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


async def test_asyncio_client_settles(stream: tuple[Any, str]) -> None:
    _client, name = stream
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
    assert deliveries(tel, name) == [(1, "retry"), (2, "dead_letter")]


@pytest.mark.parametrize("decode", [False, True])
@pytest.mark.parametrize("command", ["xread", "xreadgroup"])
def test_raw_entries_are_read_without_a_wrapper(decode: bool, command: str) -> None:
    require_broker("redis")
    client = redis.Redis(host="127.0.0.1", port=6379, socket_timeout=5, decode_responses=decode)
    name = unique("raw-stream")
    client.xgroup_create(name, GROUP, id="0", mkstream=True)

    @obskit.traced.consumer(name, system="redis")
    def handle(entry: Any) -> None: ...

    try:
        with capture() as tel:
            with obskit.publishing(name, system="redis", headers={"body": "order-1"}) as fields:
                entry_id = client.xadd(name, fields)
            if command == "xread":
                reply = client.xread({name: "0"}, count=1)
            else:
                reply = client.xreadgroup(GROUP, "w", {name: ">"}, count=1)
            for _stream, entries in reply:
                for entry in entries:
                    handle(entry)  # the reply's own (entry_id, fields)
                    handle(list(entry))  # and as a list, as RESP3 replies give it
    finally:
        client.delete(name)
        client.close()

    producer = tel.span(f"send {name}", SpanKind.PRODUCER)
    consumers = tel.find_spans(f"process {name}", SpanKind.CONSUMER)
    assert len(consumers) == 2
    for consumer in consumers:
        assert_parent(producer, consumer)
        attributes = consumer.attributes or {}
        assert attributes["messaging.message.id"] == (entry_id if decode else entry_id.decode())
        assert attributes["messaging.message.body.size"] == len("order-1")
        assert "obskit.context.missing" not in attributes
