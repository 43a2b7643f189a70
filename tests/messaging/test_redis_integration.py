"""Redis Streams end to end: XADD with context in the fields, XREADGROUP, pending re-reads."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import structlog
from structlog.typing import EventDict
from tests.support.brokers import GROUP, RedisStream, messaging_attributes, round_trip, trace_hex

import obskit
from obskit.messaging import RedisStreamEntry, redis_delivery_counts, redis_entries, settled
from obskit.testing import capture

pytestmark = pytest.mark.broker


def test_stream_consumer_continues_the_producer_trace(
    redis_stream: Callable[..., RedisStream], handler_logs: list[EventDict]
) -> None:
    stream = redis_stream()
    client, name = stream.client, stream.name

    @obskit.traced.consumer(name, system="redis", consumer_group=GROUP)
    def handle(entry: RedisStreamEntry) -> None:
        structlog.get_logger().info("invoice_requested", entry_id=entry.entry_id)
        client.xack(entry.stream, GROUP, entry.entry_id)
        settled("ack")

    with capture() as tel:
        entry_id = stream.publish()[0].decode()
        for entry in stream.read():
            handle(entry)

    producer, (consumer,) = round_trip(tel, name)
    attributes = dict(consumer.attributes or {})
    assert messaging_attributes(consumer) == {
        "messaging.system": "redis",
        "messaging.operation.type": "process",
        "messaging.operation.name": "process",
        "messaging.destination.name": name,
        "messaging.consumer.group.name": GROUP,
        "messaging.client.id": "worker-1",
        "messaging.message.id": entry_id,
        "messaging.message.body.size": 7,
    }
    assert attributes["obskit.message.attempt"] == 1
    assert attributes["obskit.message.redelivered"] is False
    assert attributes["obskit.message.settlement"] == "ack"
    assert 0 <= attributes["obskit.message.age"] < 5
    (event,) = [e for e in handler_logs if e["event"] == "invoice_requested"]
    assert event["trace_id"] == trace_hex(producer)


def test_pending_entry_read_again_shows_its_delivery_count(
    redis_stream: Callable[..., RedisStream],
) -> None:
    stream = redis_stream()
    client, name = stream.client, stream.name

    @obskit.traced.consumer(name, system="redis", consumer_group=GROUP)
    def handle(entry: RedisStreamEntry) -> None:
        pass  # no XACK: the entry stays pending

    with capture() as tel:
        stream.publish("x")
        for entry in stream.read():
            handle(entry)
        again = client.xreadgroup(GROUP, "worker-1", {name: "0"}, count=1)  # pending list
        ids = [entry_id for _stream, items in again for entry_id, _fields in items]
        counts = redis_delivery_counts(client, name, GROUP, ids)
        for entry in redis_entries(again, group=GROUP, delivery_counts=counts):
            handle(entry)

    _producer, spans = round_trip(tel, name)
    assert [(s.attributes or {})["obskit.message.attempt"] for s in spans] == [1, 2]
    assert (spans[1].attributes or {})["obskit.message.redelivered"] is True
