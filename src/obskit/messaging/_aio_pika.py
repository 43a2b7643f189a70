"""RabbitMQ through aio-pika: ``IncomingMessage`` from ``queue.consume(callback)``,
``async with queue.iterator()`` and ``queue.get()``, settled (``settle=True``) the way
:mod:`obskit.messaging._pika` describes. Inside ``async with message.process()``, pass
``ignore_processed=True``: obskit has settled the message by the time the block ends.

Settlement is observed cheaply: the first time a message of a given class is read, its
``ack``/``nack``/``reject`` are wrapped so that calling them inside a handler records
``obskit.message.settlement`` on the consumer span (aio-pika messages use ``__slots__``, so the
class, not the instance, is wrapped; the wrapper only adds one attribute write).
"""

from __future__ import annotations

import copy
import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from obskit.messaging._adapter import MessageInfo, SettleRequest, _opt_str, register_adapter
from obskit.messaging._pika import (
    amqp_settlement,
    rabbitmq_attempt,
    rabbitmq_attributes,
    rabbitmq_destination,
)
from obskit.messaging._settle import Settlement, consumer_span, record

_log = logging.getLogger("obskit.messaging")
_WRAPPED = "__obskit_settlement__"


def read_incoming(message: Any) -> MessageInfo:
    _observe_settlement(type(message))
    headers = message.headers
    routing_key = message.routing_key
    redelivered = bool(message.redelivered)
    timestamp = message.timestamp
    body = message.body
    return MessageInfo(
        headers=headers,
        destination=rabbitmq_destination(message.exchange, routing_key),
        message_id=_opt_str(message.message_id),
        conversation_id=_opt_str(message.correlation_id),
        body_size=len(body) if body is not None else None,
        timestamp=timestamp.timestamp() if timestamp is not None else None,
        attempt=rabbitmq_attempt(headers, redelivered),
        redelivered=redelivered,
        attributes=rabbitmq_attributes(routing_key, message.delivery_tag),
    )


def _observe_settlement(cls: type) -> None:
    if cls.__dict__.get(_WRAPPED) or not cls.__module__.startswith("aio_pika"):
        return
    try:
        for name, outcome in (("ack", _ack), ("nack", _nack), ("reject", _reject)):
            original = getattr(cls, name)
            setattr(cls, name, _recording(original, outcome))
        setattr(cls, _WRAPPED, True)
    except (AttributeError, TypeError):
        _log.debug("obskit: cannot observe settlement of %s", cls.__qualname__, exc_info=True)


def _ack(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Settlement, bool]:
    return "ack", False


def _nack(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Settlement, bool]:
    requeue = kwargs.get("requeue", args[1] if len(args) > 1 else True)
    return "nack", bool(requeue)


def _reject(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Settlement, bool]:
    return "reject", bool(kwargs.get("requeue", args[0] if args else False))


async def settle_incoming(message: Any, request: SettleRequest) -> bool:
    """Settle through aio-pika; a message the handler already settled is left as it is."""
    if message.processed:
        return False
    plan = amqp_settlement(message.headers, message.exchange, message.routing_key, request)
    if plan.copy_to is not None:
        channel = message.channel
        if plan.declare:
            await channel.queue_declare(plan.copy_to, durable=True, arguments=plan.arguments)
        properties = copy.copy(message.properties)
        properties.headers = plan.headers
        properties.user_id = None  # the copy is published by this connection's user
        await channel.basic_publish(
            message.body, exchange="", routing_key=plan.copy_to, properties=properties
        )
    if plan.reject:
        await message.reject(requeue=False)
    else:
        await message.ack()
    return True


Method = Callable[..., Coroutine[Any, Any, Any]]


def _recording(
    original: Method, outcome: Callable[[tuple[Any, ...], dict[str, Any]], tuple[Settlement, bool]]
) -> Method:
    @functools.wraps(original)
    async def settle(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = await original(self, *args, **kwargs)
        try:
            name, requeue = outcome(args, kwargs)
            record(name, requeue=requeue, span=consumer_span(fallback=False))
        except Exception:  # pragma: no cover - recording must never break the ack
            _log.debug("obskit: recording a settlement failed", exc_info=True)
        return result

    return settle


register_adapter("aio_pika", "IncomingMessage", read_incoming, settler=settle_incoming)
register_adapter("aio_pika", "AbstractIncomingMessage", read_incoming, settler=settle_incoming)
