"""Kafka: aiokafka's and kafka-python's ``ConsumerRecord`` (the same fields) and
confluent-kafka's ``Message`` (a C type, recognised by its name in ``confluent_kafka.cimpl``).
Headers are lists of ``(str, bytes)``.

Publishing needs no helper: ``with obskit.publishing(topic, system="kafka", headers=[]) as
headers`` and pass ``headers=headers`` to ``send``/``produce``.
"""

from __future__ import annotations

from typing import Any

from obskit import _semconv_names as sc
from obskit.messaging._adapter import MessageInfo, register_adapter


def read_aiokafka(record: Any) -> MessageInfo:
    value = record.value
    size = record.serialized_value_size
    timestamp = record.timestamp
    return MessageInfo(
        headers=list(record.headers or ()),
        destination=record.topic,
        body_size=size if isinstance(size, int) and size >= 0 else _size(value),
        timestamp=timestamp / 1000 if isinstance(timestamp, int) and timestamp > 0 else None,
        attributes=_attributes(record.partition, record.offset, record.key, value),
    )


def read_confluent(message: Any) -> MessageInfo:
    if message.error() is not None:  # an event or error, not a record
        return MessageInfo()
    value = message.value()
    _kind, timestamp = message.timestamp()
    return MessageInfo(
        headers=message.headers(),
        destination=message.topic(),
        body_size=_size(value),
        timestamp=timestamp / 1000 if _kind and timestamp > 0 else None,
        attributes=_attributes(message.partition(), message.offset(), message.key(), value),
    )


def _attributes(partition: Any, offset: Any, key: Any, value: Any) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    if isinstance(partition, int) and partition >= 0:
        attributes[sc.MESSAGING_DESTINATION_PARTITION_ID] = str(partition)
    if isinstance(offset, int) and offset >= 0:
        attributes[sc.MESSAGING_KAFKA_OFFSET] = offset
    text = _key_text(key)
    if text is not None:
        attributes[sc.MESSAGING_KAFKA_MESSAGE_KEY] = text
    if value is None:
        attributes[sc.MESSAGING_KAFKA_MESSAGE_TOMBSTONE] = True
    return attributes


def _key_text(key: Any) -> str | None:
    """The key's canonical text; keys without one (binary, objects) are left out."""
    if isinstance(key, str):
        return key
    if isinstance(key, bytes):
        try:
            return key.decode("utf-8")
        except UnicodeDecodeError:
            return None
    if isinstance(key, int) and not isinstance(key, bool):
        return str(key)
    return None


def _size(value: Any) -> int | None:
    if isinstance(value, bytes | bytearray):
        return len(value)
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    return None


register_adapter("aiokafka", "ConsumerRecord", read_aiokafka)
register_adapter("kafka.consumer", "ConsumerRecord", read_aiokafka)  # kafka-python
register_adapter("confluent_kafka", "Message", read_confluent)
