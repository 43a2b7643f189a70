"""RabbitMQ through pika: the ``(channel, method, properties, body)`` of a blocking or select
connection's ``basic_consume`` callback and of ``basic_get``, plus what aio-pika shares with it
(destination names, attempts, how a settlement is carried out).

Nothing here imports pika: the delivery is recognised by the type name of ``method``
(``pika.spec.Basic.Deliver`` or ``Basic.GetOk``), and :func:`pika_properties` imports pika only
when called.

Settling: a classic queue cannot count attempts (its redelivered flag stays "at least 2"), so a
retry publishes a copy with ``obskit-attempt`` incremented and acknowledges the original; with a
delay the copy waits in ``{queue}.retry.{ms}ms`` (a per-message-TTL queue that dead-letters back
to ``queue``). A dead letter is a copy in ``{queue}.dead-letter`` with the failure in its
headers, or, with ``dead_letter=BROKER_DEAD_LETTER``, a reject that the queue's
``x-dead-letter-exchange`` receives.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

from obskit import _semconv_names as sc
from obskit._extras import require
from obskit.messaging._adapter import (
    ATTEMPT_HEADER,
    MessageInfo,
    SettleRequest,
    _opt_str,
    register_adapter,
    register_arguments,
)
from obskit.messaging._decision import Settle

#: how long an unused delay queue outlives its message TTL before RabbitMQ deletes it
_DELAY_QUEUE_GRACE_MS: Final = 60_000

__all__ = ["PikaDelivery", "pika_properties"]


class PikaDelivery(NamedTuple):
    """One pika delivery, as the consumer callback receives it."""

    channel: Any
    method: Any  # pika.spec.Basic.Deliver
    properties: Any  # pika.BasicProperties
    body: bytes


def delivery_in(args: tuple[Any, ...]) -> PikaDelivery | None:
    """``(channel, method, properties, body)`` from ``basic_consume`` or ``basic_get``."""
    method = type(args[1])
    if method.__name__ in ("Deliver", "GetOk") and method.__module__.startswith("pika"):
        return tuple.__new__(PikaDelivery, args)  # four arguments: no field check needed
    return None


def rabbitmq_destination(exchange: str | None, routing_key: str | None) -> str:
    """``{exchange}:{routing_key}``, either one alone, or ``amq.default`` (the conventions)."""
    exchange, routing_key = exchange or "", routing_key or ""
    if exchange and routing_key:
        return f"{exchange}:{routing_key}"
    return exchange or routing_key or "amq.default"


#: the headers that can count attempts beyond the redelivered flag
_COUNTING_HEADERS: Final = frozenset({ATTEMPT_HEADER, "x-delivery-count", "x-death"})


def rabbitmq_attempt(headers: object, redelivered: bool) -> int:
    """The delivery attempt: obskit's retry copies carry ``obskit-attempt``; quorum queues count
    deliveries (``x-delivery-count``); dead-letter round trips are in ``x-death``; a classic
    queue's redelivery flag says "at least one more"."""
    if not headers or (type(headers) is dict and _COUNTING_HEADERS.isdisjoint(headers)):
        return 2 if redelivered else 1  # a first delivery (or a classic queue's redelivery)
    base = 1 + _deaths(headers)
    if isinstance(headers, Mapping):
        base = _header_int(headers.get(ATTEMPT_HEADER)) or base
        count = _header_int(headers.get("x-delivery-count"))
        if count is not None:
            return base + count
    return base + 1 if redelivered else base


def _header_int(value: object) -> int | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def rabbitmq_attributes(routing_key: str | None, delivery_tag: object) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        sc.MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY: routing_key or "",
    }
    if isinstance(delivery_tag, int):
        attributes[sc.MESSAGING_RABBITMQ_MESSAGE_DELIVERY_TAG] = delivery_tag
    return attributes


def read_delivery(delivery: PikaDelivery) -> MessageInfo:
    _, method, properties, body = delivery
    headers = getattr(properties, "headers", None)
    routing_key = getattr(method, "routing_key", "") or ""
    redelivered = bool(getattr(method, "redelivered", False))
    timestamp = getattr(properties, "timestamp", None)
    return MessageInfo(  # positional (every message): the fields in their order
        headers,
        rabbitmq_destination(getattr(method, "exchange", ""), routing_key),
        _opt_str(getattr(properties, "message_id", None)),
        _opt_str(getattr(properties, "correlation_id", None)),
        None if body is None else len(body),
        float(timestamp) if timestamp else None,
        rabbitmq_attempt(headers, redelivered),
        redelivered,
        rabbitmq_attributes(routing_key, getattr(method, "delivery_tag", None)),
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


@dataclass(frozen=True, slots=True)
class AmqpSettlement:
    """How to carry out a settlement on RabbitMQ, whatever the client: publish a copy (to
    ``copy_to``, declared durable with ``arguments`` first when ``declare``), then ack the
    original or reject it."""

    reject: bool = False
    copy_to: str | None = None
    headers: dict[str, Any] | None = None
    declare: bool = False
    arguments: dict[str, Any] | None = None


def amqp_settlement(
    headers: Mapping[str, Any] | None,
    exchange: str | None,
    routing_key: str | None,
    request: SettleRequest,
) -> AmqpSettlement:
    decision = request.decision
    if decision.action is Settle.ACK:
        return AmqpSettlement()
    if decision.action is Settle.DEAD_LETTER:
        if request.dead_letter is None:
            return AmqpSettlement(reject=True)
        failed = {**(headers or {}), **request.failure}
        return AmqpSettlement(copy_to=request.dead_letter, headers=failed, declare=True)
    # a retry goes back to the queue the message came from: the routing key of the default
    # exchange names it; through another exchange, the consumer's destination does
    queue = routing_key if not exchange and routing_key else request.destination
    retried = {**(headers or {}), ATTEMPT_HEADER: decision.next_attempt}
    if decision.delay <= 0:
        return AmqpSettlement(copy_to=queue, headers=retried)
    ms = max(int(decision.delay * 1000), 1)
    arguments = {
        "x-message-ttl": ms,
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": queue,
        "x-expires": ms + _DELAY_QUEUE_GRACE_MS,
    }
    return AmqpSettlement(
        copy_to=f"{queue}.retry.{ms}ms", headers=retried, declare=True, arguments=arguments
    )


def settle_delivery(delivery: PikaDelivery, request: SettleRequest) -> None:
    """Settle through pika's own channel (blocking or select connection)."""
    channel, method, properties = delivery.channel, delivery.method, delivery.properties
    plan = amqp_settlement(properties.headers, method.exchange, method.routing_key, request)
    if plan.copy_to is not None:
        if plan.declare:
            channel.queue_declare(plan.copy_to, durable=True, arguments=plan.arguments)
        retried = copy.copy(properties)
        retried.headers = plan.headers
        channel.basic_publish("", plan.copy_to, delivery.body, retried)
    if plan.reject:
        channel.basic_reject(method.delivery_tag, requeue=False)
    else:
        channel.basic_ack(method.delivery_tag)


def pika_properties(headers: Mapping[str, Any] | None = None, **properties: Any) -> Any:
    """``pika.BasicProperties`` carrying ``headers`` (e.g. those :func:`obskit.publishing` yields).

    Other keyword arguments (``message_id``, ``correlation_id``, ``delivery_mode``, ...) are
    passed through. Needs ``pip install obskit[rabbitmq]``.
    """
    pika = require("pika", "rabbitmq")
    return pika.BasicProperties(headers=dict(headers or {}), **properties)


register_adapter("obskit.messaging._pika", "PikaDelivery", read_delivery, settler=settle_delivery)
register_arguments(4, delivery_in)
