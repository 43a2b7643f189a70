"""pika: the ``(channel, method, properties, body)`` callback of blocking and select connections."""

from __future__ import annotations

from typing import Any, NamedTuple

from obskit import _semconv as sc
from obskit.messaging._adapter import MessageInfo, register_adapter


class PikaDelivery(NamedTuple):
    channel: Any
    method: Any  # pika.spec.Basic.Deliver
    properties: Any  # pika.BasicProperties
    body: bytes


def is_pika_callback(args: tuple[Any, ...]) -> bool:
    method = type(args[1])
    return method.__name__ == "Deliver" and method.__module__.startswith("pika")


def read_delivery(delivery: PikaDelivery) -> MessageInfo:
    method, properties = delivery.method, delivery.properties
    headers = getattr(properties, "headers", None)
    exchange = getattr(method, "exchange", "") or ""
    routing_key = getattr(method, "routing_key", "") or ""
    redelivered = bool(getattr(method, "redelivered", False))
    attempt = 1 + _deaths(headers) if not redelivered else 2 + _deaths(headers)
    timestamp = getattr(properties, "timestamp", None)
    attributes: dict[str, Any] = {
        sc.MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY: routing_key,
    }
    tag = getattr(method, "delivery_tag", None)
    if tag is not None:
        attributes[sc.MESSAGING_RABBITMQ_MESSAGE_DELIVERY_TAG] = int(tag)
    return MessageInfo(
        headers=headers,
        destination=f"{exchange}:{routing_key}" if exchange else routing_key,
        message_id=getattr(properties, "message_id", None),
        conversation_id=getattr(properties, "correlation_id", None),
        body_size=len(delivery.body) if delivery.body is not None else None,
        timestamp=float(timestamp) if timestamp else None,
        attempt=attempt,
        redelivered=redelivered,
        attributes=attributes,
    )


def _deaths(headers: Any) -> int:
    """Earlier dead-letter round trips, from RabbitMQ's ``x-death`` header."""
    if not isinstance(headers, dict):
        return 0
    deaths = headers.get("x-death")
    if not isinstance(deaths, list):
        return 0
    return sum(int(d.get("count", 1)) for d in deaths if isinstance(d, dict))


register_adapter("obskit.messaging._pika", "PikaDelivery", read_delivery)
