"""Native-shaped test messages: what aio-pika, pika, nats-py and redis-py hand a handler.

Each shape builds the real client's message objects (``aio_pika.IncomingMessage``,
``pika.spec.Basic.Deliver`` + ``BasicProperties``, ``nats.aio.msg.Msg`` with a JetStream reply
subject, ``RedisStreamEntry``) from a bus message, so a handler written for that client runs
unchanged and obskit reads it through the same adapter as in production: the attempt travels
the way the broker says it (``x-delivery-count`` on a quorum queue, the JetStream delivery
count, the ``XPENDING`` count), so a redelivery is attempt 2, never a duplicate.

What stands in for the connection (the channel, the NATS client) records the handler's own
settlement (ack, requeue, reject) for the bus, and a publish through it goes onto the bus.
"""

from __future__ import annotations

import datetime
import itertools
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from obskit.messaging._extras import require
from obskit.messaging._redis import redis_entry

if TYPE_CHECKING:
    from obskit.testing._bus import BusMessage, InMemoryBus

Outcome = Literal["ack", "requeue", "reject"]
_tags = itertools.count(1)
CONSUMER = "obskit-memory"


class Settled:
    """What the handler told its client to do with the message (None: nothing, auto-ack)."""

    __slots__ = ("outcome",)

    def __init__(self) -> None:
        self.outcome: Outcome | None = None

    def record(self, outcome: Outcome) -> None:
        if self.outcome is None:  # the first settlement is the one the broker obeys
            self.outcome = outcome


def encode_body(body: Any) -> bytes:
    """The bytes a real client would carry: bytes as they are, text as UTF-8, else JSON."""
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body, default=str).encode("utf-8")


def _broker_headers(message: BusMessage) -> dict[str, Any]:
    """Headers with the quorum-queue delivery count, as RabbitMQ adds it on a redelivery."""
    headers: dict[str, Any] = dict(message.headers)
    if message.attempt > 1:
        headers["x-delivery-count"] = message.attempt - 1
    return headers


@dataclass(frozen=True)
class Shape:
    """Builds the handler's positional arguments for one delivery."""

    build: Callable[[InMemoryBus, BusMessage, Settled], tuple[Any, ...]]
    is_async: bool


# -- pika ----------------------------------------------------------------------------------
class _PikaChannel:
    """The ``channel`` of a pika callback: acks are recorded, publishes go onto the bus."""

    def __init__(self, bus: InMemoryBus, settled: Settled) -> None:
        self._bus, self._settled = bus, settled

    def basic_ack(self, delivery_tag: int = 0, multiple: bool = False) -> None:
        self._settled.record("ack")

    def basic_nack(
        self, delivery_tag: int = 0, multiple: bool = False, requeue: bool = True
    ) -> None:
        self._settled.record("requeue" if requeue else "reject")

    def basic_reject(self, delivery_tag: int = 0, requeue: bool = True) -> None:
        self._settled.record("requeue" if requeue else "reject")

    def basic_publish(
        self, exchange: str, routing_key: str, body: bytes, properties: Any = None, **_: Any
    ) -> None:
        headers = getattr(properties, "headers", None) or {}
        message_id = getattr(properties, "message_id", None)
        self._bus.enqueue(routing_key or exchange, body, dict(headers), message_id)


def _pika(bus: InMemoryBus, message: BusMessage, settled: Settled) -> tuple[Any, ...]:
    pika = require("pika", "rabbitmq")
    method = pika.spec.Basic.Deliver(
        consumer_tag=CONSUMER,
        delivery_tag=next(_tags),
        redelivered=message.redelivered,
        exchange="",
        routing_key=message.destination,
    )
    properties = pika.BasicProperties(
        headers=_broker_headers(message),
        message_id=message.message_id,
        timestamp=int(message.published_at),
    )
    return _PikaChannel(bus, settled), method, properties, encode_body(message.body)


# -- aio-pika ------------------------------------------------------------------------------
class _AioConnection:
    basic_nack = True  # the server supports basic.nack


class _AioChannel:
    """The aiormq channel behind an ``IncomingMessage``: its acks are recorded."""

    is_closed = False
    connection = _AioConnection()

    def __init__(self, settled: Settled) -> None:
        self._settled = settled

    async def basic_ack(self, delivery_tag: int, multiple: bool = False) -> None:
        self._settled.record("ack")

    async def basic_nack(
        self, delivery_tag: int, multiple: bool = False, requeue: bool = True
    ) -> None:
        self._settled.record("requeue" if requeue else "reject")

    async def basic_reject(self, delivery_tag: int, requeue: bool = True) -> None:
        self._settled.record("requeue" if requeue else "reject")


def _aio_pika(bus: InMemoryBus, message: BusMessage, settled: Settled) -> tuple[Any, ...]:
    aio_pika = require("aio_pika", "rabbitmq")
    from aiormq.abc import DeliveredMessage
    from pamqp.commands import Basic
    from pamqp.header import ContentHeader

    body = encode_body(message.body)
    properties = Basic.Properties(
        headers=_broker_headers(message),
        message_id=message.message_id,
        timestamp=datetime.datetime.fromtimestamp(int(message.published_at), datetime.timezone.utc),
    )
    delivered = DeliveredMessage(
        delivery=Basic.Deliver(
            consumer_tag=CONSUMER,
            delivery_tag=next(_tags),
            redelivered=message.redelivered,
            exchange="",
            routing_key=message.destination,
        ),
        header=ContentHeader(body_size=len(body), properties=properties),
        body=body,
        channel=_AioChannel(settled),  # type: ignore[arg-type]
    )
    return (aio_pika.IncomingMessage(delivered),)


# -- nats-py (JetStream) -------------------------------------------------------------------
class _NatsClient:
    """The client behind a ``Msg``: ``+ACK``/``-NAK``/``+TERM`` on the reply subject are
    recorded; a publish to any other subject goes onto the bus."""

    def __init__(self, bus: InMemoryBus, settled: Settled, reply: str) -> None:
        self._bus, self._settled, self._reply = bus, settled, reply

    async def publish(
        self,
        subject: str,
        payload: bytes = b"",
        reply: str = "",
        headers: dict[str, str] | None = None,
    ) -> None:
        if subject != self._reply:
            self._bus.enqueue(subject, payload, dict(headers or {}), None)
        elif payload.startswith(b"-NAK"):
            self._settled.record("requeue")
        elif payload.startswith(b"+TERM"):
            self._settled.record("reject")
        elif payload in (b"", b"+ACK"):
            self._settled.record("ack")


def _nats(bus: InMemoryBus, message: BusMessage, settled: Settled) -> tuple[Any, ...]:
    msg_type = require("nats.aio.msg", "nats").Msg
    from obskit.messaging._nats import MSG_ID_HEADER

    sequence = next(_tags)
    sent_ns = int(message.published_at * 1e9)
    # $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>
    reply = f"$JS.ACK.memory.{CONSUMER}.{message.attempt}.{sequence}.{sequence}.{sent_ns}.0"
    headers = {**message.headers, MSG_ID_HEADER: message.message_id}
    client = _NatsClient(bus, settled, reply)
    return (msg_type(client, message.destination, reply, encode_body(message.body), headers),)


# -- redis-py (streams) --------------------------------------------------------------------
def _redis(bus: InMemoryBus, message: BusMessage, settled: Settled) -> tuple[Any, ...]:
    body = message.body if isinstance(message.body, bytes | str) else encode_body(message.body)
    fields = {**message.headers, "body": body.decode() if isinstance(body, bytes) else body}
    # the entry keeps its id across deliveries, as in Redis (the id is the message's identity)
    entry_id = f"{int(message.published_at * 1000)}-{zlib.crc32(message.message_id.encode())}"
    return (
        redis_entry(
            message.destination,
            entry_id,
            fields,
            group=CONSUMER,
            consumer="memory-1",
            delivery_count=message.attempt,
        ),
    )


SHAPES: dict[str, Shape] = {
    "aio-pika": Shape(_aio_pika, is_async=True),
    "pika": Shape(_pika, is_async=False),
    "nats": Shape(_nats, is_async=True),
    "redis": Shape(_redis, is_async=False),
}
