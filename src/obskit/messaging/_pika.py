"""RabbitMQ through pika: the ``(channel, method, properties, body)`` callback of blocking and
select connections, plus what aio-pika shares with it (destination names, attempts).

Nothing here imports pika: the callback is recognised by the type name of ``method``
(``pika.spec.Basic.Deliver``), and :func:`pika_properties` imports pika only when called.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from obskit import _semconv_names as sc
from obskit.messaging._adapter import MessageInfo, _opt_str, register_adapter
from obskit.messaging._extras import require

__all__ = ["PikaDelivery", "pika_properties"]


class PikaDelivery(NamedTuple):
    """One pika delivery, as the consumer callback receives it."""

    channel: Any
    method: Any  # pika.spec.Basic.Deliver
    properties: Any  # pika.BasicProperties
    body: bytes


def is_pika_callback(args: tuple[Any, ...]) -> bool:
    method = type(args[1])
    return method.__name__ == "Deliver" and method.__module__.startswith("pika")


def rabbitmq_destination(exchange: str | None, routing_key: str | None) -> str:
    """``{exchange}:{routing_key}``, either one alone, or ``amq.default`` (the conventions)."""
    exchange, routing_key = exchange or "", routing_key or ""
    if exchange and routing_key:
        return f"{exchange}:{routing_key}"
    return exchange or routing_key or "amq.default"


def rabbitmq_attempt(headers: object, redelivered: bool) -> int:
    """The delivery attempt: quorum queues count deliveries (``x-delivery-count``), dead-letter
    round trips are in ``x-death``; a classic queue's redelivery flag says "at least 2"."""
    earlier = _deaths(headers)
    if isinstance(headers, Mapping):
        count = headers.get("x-delivery-count")
        if isinstance(count, int) and not isinstance(count, bool):
            return 1 + count + earlier
    return (2 if redelivered else 1) + earlier


def rabbitmq_attributes(routing_key: str | None, delivery_tag: object) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        sc.MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY: routing_key or "",
    }
    if isinstance(delivery_tag, int):
        attributes[sc.MESSAGING_RABBITMQ_MESSAGE_DELIVERY_TAG] = delivery_tag
    return attributes


def read_delivery(delivery: PikaDelivery) -> MessageInfo:
    method, properties = delivery.method, delivery.properties
    headers = getattr(properties, "headers", None)
    routing_key = getattr(method, "routing_key", "") or ""
    redelivered = bool(getattr(method, "redelivered", False))
    timestamp = getattr(properties, "timestamp", None)
    body = delivery.body
    return MessageInfo(
        headers=headers,
        destination=rabbitmq_destination(getattr(method, "exchange", ""), routing_key),
        message_id=_opt_str(getattr(properties, "message_id", None)),
        conversation_id=_opt_str(getattr(properties, "correlation_id", None)),
        body_size=len(body) if body is not None else None,
        timestamp=float(timestamp) if timestamp else None,
        attempt=rabbitmq_attempt(headers, redelivered),
        redelivered=redelivered,
        attributes=rabbitmq_attributes(routing_key, getattr(method, "delivery_tag", None)),
    )


def _deaths(headers: object) -> int:
    """Earlier dead-letter round trips, from RabbitMQ's ``x-death`` header."""
    if not isinstance(headers, Mapping):
        return 0
    deaths = headers.get("x-death")
    if not isinstance(deaths, list):
        return 0
    total = 0
    for death in deaths:
        if isinstance(death, Mapping):
            count = death.get("count", 1)
            total += count if isinstance(count, int) else 1
    return total


def pika_properties(headers: Mapping[str, Any] | None = None, **properties: Any) -> Any:
    """``pika.BasicProperties`` carrying ``headers`` (e.g. those :func:`obskit.publishing` yields).

    Other keyword arguments (``message_id``, ``correlation_id``, ``delivery_mode``, ...) are
    passed through. Needs ``pip install obskit[rabbitmq]``.
    """
    pika = require("pika", "rabbitmq")
    return pika.BasicProperties(headers=dict(headers or {}), **properties)


register_adapter("obskit.messaging._pika", "PikaDelivery", read_delivery)
