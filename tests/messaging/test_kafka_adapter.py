"""Kafka records from both clients, built as the real client types (no broker here)."""

from __future__ import annotations

from aiokafka.structs import ConsumerRecord
from confluent_kafka import KafkaError, Message
from kafka.consumer.fetcher import ConsumerRecord as KafkaPythonRecord
from opentelemetry.trace import SpanKind
from tests.messaging.conftest import PRODUCER_SPAN_ID, TRACEPARENT

import obskit
from obskit.messaging import adapter_for
from obskit.messaging._kafka import read_aiokafka, read_confluent
from obskit.testing import capture


def aiokafka_record(key: bytes | None = b"order-7", value: bytes | None = b"{}") -> ConsumerRecord:
    return ConsumerRecord(
        topic="orders",
        partition=2,
        offset=1234,
        timestamp=1_700_000_000_000,
        timestamp_type=0,
        key=key,
        value=value,
        checksum=None,
        serialized_key_size=7,
        serialized_value_size=len(value) if value is not None else -1,
        headers=[("traceparent", TRACEPARENT.encode())],
    )


def confluent_message(**kw: object) -> Message:
    fields: dict[str, object] = {
        "topic": "orders",
        "partition": 2,
        "offset": 1234,
        "key": b"order-7",
        "value": b"{}",
        "headers": [("traceparent", TRACEPARENT.encode())],
        "timestamp": (1, 1_700_000_000_000),
    }
    fields.update(kw)
    return Message(**fields)


EXPECTED = {
    "messaging.system": "kafka",
    "messaging.operation.type": "process",
    "messaging.operation.name": "process",
    "messaging.destination.name": "orders",
    "messaging.consumer.group.name": "billing",
    "messaging.destination.partition.id": "2",
    "messaging.kafka.offset": 1234,
    "messaging.kafka.message.key": "order-7",
    "messaging.message.body.size": 2,
}


async def test_aiokafka_record() -> None:
    assert adapter_for(ConsumerRecord) is read_aiokafka

    @obskit.traced.consumer("orders", system="kafka", consumer_group="billing")
    async def handle(record: ConsumerRecord) -> None:
        pass

    with capture() as tel:
        await handle(aiokafka_record())
    span = tel.span("process orders", SpanKind.CONSUMER)
    assert span.parent is not None and span.parent.span_id == PRODUCER_SPAN_ID
    attributes = dict(span.attributes or {})
    assert {k: attributes[k] for k in EXPECTED} == EXPECTED
    assert attributes["obskit.message.age"] > 0


def test_confluent_message() -> None:
    assert type(confluent_message()).__module__ == "confluent_kafka.cimpl"
    assert adapter_for(Message) is read_confluent

    @obskit.traced.consumer("orders", system="kafka", consumer_group="billing")
    def handle(message: Message) -> None:
        pass

    with capture() as tel:
        handle(confluent_message())
    span = tel.span("process orders", SpanKind.CONSUMER)
    assert span.parent is not None and span.parent.span_id == PRODUCER_SPAN_ID
    attributes = dict(span.attributes or {})
    assert {k: attributes[k] for k in EXPECTED} == EXPECTED


def test_kafka_python_record() -> None:
    record = KafkaPythonRecord(
        topic="orders",
        partition=2,
        leader_epoch=0,
        offset=1234,
        timestamp=1_700_000_000_000,
        timestamp_type=0,
        key=b"order-7",
        value=b"{}",
        headers=[("traceparent", TRACEPARENT.encode())],
        checksum=None,
        serialized_key_size=7,
        serialized_value_size=2,
        serialized_header_size=66,
    )
    assert adapter_for(KafkaPythonRecord) is read_aiokafka  # not the bare-tuple adapter

    @obskit.traced.consumer("orders", system="kafka", consumer_group="billing")
    def handle(record: KafkaPythonRecord) -> None:
        pass

    with capture() as tel:
        handle(record)
    span = tel.span("process orders", SpanKind.CONSUMER)
    assert span.parent is not None and span.parent.span_id == PRODUCER_SPAN_ID
    attributes = dict(span.attributes or {})
    assert {k: attributes[k] for k in EXPECTED} == EXPECTED
    assert "obskit.context.missing" not in attributes


def test_tombstones_binary_keys_and_missing_timestamps() -> None:
    info = read_aiokafka(aiokafka_record(key=b"\xff\xfe", value=None))
    assert "messaging.kafka.message.key" not in info.attributes
    assert info.attributes["messaging.kafka.message.tombstone"] is True
    info = read_confluent(confluent_message(timestamp=(0, -1), headers=None))
    assert info.timestamp is None and info.headers is None


def test_confluent_error_event_is_not_a_record() -> None:
    event = Message(error=KafkaError(KafkaError._PARTITION_EOF))
    assert read_confluent(event).headers is None
