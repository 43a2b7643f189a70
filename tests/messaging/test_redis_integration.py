"""Redis Streams end to end: XADD with context in the fields, XREADGROUP, pending re-reads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis
import structlog
from opentelemetry.trace import SpanKind
from structlog.typing import EventDict
from tests.conftest import require_broker
from tests.messaging.conftest import trace_hex, unique

import obskit
from obskit.messaging import RedisStreamEntry, redis_delivery_counts, redis_entries, settled
from obskit.testing import assert_parent, capture

pytestmark = pytest.mark.broker

GROUP = "billing"


@pytest.fixture
def stream() -> Iterator[tuple[Any, str]]:
    require_broker("redis")
    client = redis.Redis(host="127.0.0.1", port=6379, socket_timeout=5)
    name = unique("stream")
    client.xgroup_create(name, GROUP, id="0", mkstream=True)
    try:
        yield client, name
    finally:
        client.delete(name)
        client.close()


def test_stream_consumer_continues_the_producer_trace(
    stream: tuple[Any, str], handler_logs: list[EventDict]
) -> None:
    client, name = stream

    @obskit.traced.consumer(name, system="redis", consumer_group=GROUP)
    def handle(entry: RedisStreamEntry) -> None:
        structlog.get_logger().info("invoice_requested", entry_id=entry.entry_id)
        client.xack(entry.stream, GROUP, entry.entry_id)
        settled("ack")

    with capture() as tel:
        with obskit.publishing(name, system="redis", headers={"body": "order-1"}) as fields:
            entry_id = client.xadd(name, fields).decode()
        reply = client.xreadgroup(GROUP, "worker-1", {name: ">"}, count=10, block=2000)
        for entry in redis_entries(reply, group=GROUP, consumer="worker-1"):
            handle(entry)

    producer = tel.span(f"send {name}", SpanKind.PRODUCER)
    consumer = tel.span(f"process {name}", SpanKind.CONSUMER)
    assert_parent(producer, consumer)
    attributes = dict(consumer.attributes or {})
    assert {k: v for k, v in attributes.items() if k.startswith("messaging.")} == {
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


def test_pending_entry_read_again_shows_its_delivery_count(stream: tuple[Any, str]) -> None:
    client, name = stream

    @obskit.traced.consumer(name, system="redis", consumer_group=GROUP)
    def handle(entry: RedisStreamEntry) -> None:
        pass  # no XACK: the entry stays pending

    with capture() as tel:
        with obskit.publishing(name, system="redis", headers={"body": "x"}) as fields:
            client.xadd(name, fields)
        first = client.xreadgroup(GROUP, "worker-1", {name: ">"}, count=1, block=2000)
        for entry in redis_entries(first, group=GROUP):
            handle(entry)
        again = client.xreadgroup(GROUP, "worker-1", {name: "0"}, count=1)  # pending list
        ids = [entry_id for _stream, items in again for entry_id, _fields in items]
        counts = redis_delivery_counts(client, name, GROUP, ids)
        for entry in redis_entries(again, group=GROUP, delivery_counts=counts):
            handle(entry)

    producer = tel.span(f"send {name}", SpanKind.PRODUCER)
    spans = sorted(tel.find_spans(f"process {name}"), key=lambda s: s.start_time or 0)
    assert [(s.attributes or {})["obskit.message.attempt"] for s in spans] == [1, 2]
    assert (spans[1].attributes or {})["obskit.message.redelivered"] is True
    for span in spans:
        assert_parent(producer, span)
