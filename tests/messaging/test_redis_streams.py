"""Redis stream entries: the wrapper, reply parsing and delivery counts (no server needed)."""

from __future__ import annotations

import pytest
from opentelemetry.trace import SpanKind
from tests.messaging.conftest import PRODUCER_SPAN_ID, TRACEPARENT

import obskit
from obskit.messaging import (
    RedisStreamEntry,
    pending_delivery_counts,
    redis_entries,
    redis_entry,
)
from obskit.messaging._redis import read_entry
from obskit.testing import capture

FIELDS = {b"traceparent": TRACEPARENT.encode(), b"body": b"hello"}


def test_entry_reads_stream_id_time_and_size() -> None:
    entry = redis_entry(b"orders", b"1700000000123-0", FIELDS, group=b"billing", consumer="c1")
    info = read_entry(entry)
    assert (info.destination, info.message_id, info.body_size) == ("orders", "1700000000123-0", 5)
    assert info.timestamp == 1_700_000_000.123
    assert info.attributes == {
        "messaging.consumer.group.name": "billing",
        "messaging.client.id": "c1",
    }
    assert info.attempt is None


async def test_consumer_span_from_an_entry() -> None:
    @obskit.traced.consumer("orders", system="redis", consumer_group="billing")
    async def handle(entry: RedisStreamEntry) -> None:
        pass

    with capture() as tel:
        await handle(redis_entry("orders", "1-0", FIELDS, group="billing", delivery_count=3))
    span = tel.span("process orders", SpanKind.CONSUMER)
    assert span.parent is not None and span.parent.span_id == PRODUCER_SPAN_ID
    attributes = dict(span.attributes or {})
    assert attributes["messaging.message.id"] == "1-0"
    assert attributes["obskit.message.attempt"] == 3
    assert attributes["obskit.message.redelivered"] is True


def test_replies_of_every_shape() -> None:
    resp2 = [[b"orders", [(b"1-0", FIELDS), (b"2-0", FIELDS)]]]
    resp3 = {b"orders": [[(b"1-0", FIELDS), (b"2-0", FIELDS)]]}
    for reply in (resp2, resp3):
        entries = redis_entries(reply, group="billing")
        assert [(e.stream, e.entry_id, e.delivery_count) for e in entries] == [
            ("orders", "1-0", 1),
            ("orders", "2-0", 1),
        ]
    claimed = redis_entries(
        [(b"1-0", FIELDS), (b"3-0", None)],
        stream="orders",
        group="billing",
        delivery_counts={"1-0": 4},
    )
    assert [(e.entry_id, e.delivery_count, dict(e.fields)) for e in claimed] == [
        ("1-0", 4, FIELDS),
        ("3-0", None, {}),
    ]
    with pytest.raises(ValueError, match="stream="):
        redis_entries([(b"1-0", FIELDS)])
    assert redis_entries([]) == []


def test_pending_rows_give_delivery_counts() -> None:
    rows = [
        {"message_id": b"1-0", "consumer": b"c", "time_since_delivered": 5, "times_delivered": 2}
    ]
    assert pending_delivery_counts(rows) == {"1-0": 2}
