"""Native-shaped test messages: what aio-pika, pika, nats-py and redis-py hand a handler.

Each shape builds the real client's message objects (``aio_pika.IncomingMessage``,
``pika.spec.Basic.Deliver`` + ``BasicProperties``, ``nats.aio.msg.Msg`` with a JetStream reply
subject, ``RedisStreamEntry``) from a bus message, so a handler written for that client runs
unchanged and obskit reads it through the same adapter as in production: the attempt travels
the way the broker says it (``x-delivery-count`` on a quorum queue, the JetStream delivery
count, the ``XPENDING`` count), so a redelivery is attempt 2, never a duplicate.

What stands in for the connection (the channel, the NATS client, the Redis client) records the
handler's own settlement for the bus: ack, requeue, reject, and what ``settle=True`` does
through the client (a retry copy is a retry, a dead-letter copy a dead letter: the decision the
decorator made with the shared settlement rule, carried out by the bus). Any other publish
through it goes onto the bus.
"""

from __future__ import annotations

import datetime
import itertools
import json
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from obskit._extras import require
from obskit.errors import ErrorKind
from obskit.messaging._adapter import (
    ATTEMPT_HEADER,
    DEAD_LETTER_FROM_HEADER,
    ERROR_KIND_HEADER,
    ERROR_TYPE_HEADER,
)
from obskit.messaging._decision import Settle
from obskit.messaging._redis import redis_entry

if TYPE_CHECKING:
    from obskit.testing._bus import InMemoryBus
    from obskit.testing._message import BusMessage

#: a settlement the handler (or its settle=True decorator) made; "requeue" is a plain
#: nack/reject with requeue or a NAK: the bus bounds it with its own budget
Outcome = Settle | Literal["requeue"]
_tags = itertools.count(1)
CONSUMER = "obskit-memory"


class HandledError(Exception):
    """An exception a ``settle=True`` handler settled itself: its type is all that reaches
    the bus (``obskit-error-type``), with the kind the ErrorPolicy gave it."""


class Settled:
    """What the handler told its client to do with the message (None: nothing, auto-ack), and
    the failure a ``settle=True`` decorator reported with it."""

    __slots__ = ("failure", "outcome")

    def __init__(self) -> None:
        self.outcome: Outcome | None = None
        self.failure: tuple[HandledError, ErrorKind] | None = None

    def record(self, outcome: Outcome, failure: Mapping[str, Any] | None = None) -> None:
        if self.outcome is not None:
            return  # the first settlement is the one the broker obeys
        self.outcome = outcome
        if failure and ERROR_KIND_HEADER in failure:
            kind = ErrorKind(str(failure[ERROR_KIND_HEADER]))
            self.failure = HandledError(str(failure.get(ERROR_TYPE_HEADER, "?"))), kind

    def published(
        self,
        bus: InMemoryBus,
        destination: str,
        body: Any,
        headers: Mapping[str, Any],
        message_id: str | None,
    ) -> None:
        """A publish from inside a handler: ``settle=True``'s dead-letter copy or retry copy of
        the message being handled is its settlement; anything else is a new message."""
        if DEAD_LETTER_FROM_HEADER in headers:
            self.record(Settle.DEAD_LETTER, headers)
        elif ATTEMPT_HEADER in headers:
            self.record(Settle.RETRY)
        else:
            bus.enqueue(destination, body, dict(headers), message_id)


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
        self._settled.record(Settle.ACK)

    def basic_nack(
        self, delivery_tag: int = 0, multiple: bool = False, requeue: bool = True
    ) -> None:
        self._settled.record("requeue" if requeue else Settle.DEAD_LETTER)

    def basic_reject(self, delivery_tag: int = 0, requeue: bool = True) -> None:
        self._settled.record("requeue" if requeue else Settle.DEAD_LETTER)

    def queue_declare(self, queue: str, *args: Any, **kwargs: Any) -> None:
        """Queues exist on the bus as soon as something is published to them."""

    def basic_publish(
        self, exchange: str, routing_key: str, body: bytes, properties: Any = None, **_: Any
    ) -> None:
        headers = getattr(properties, "headers", None) or {}
        message_id = getattr(properties, "message_id", None)
        self._settled.published(self._bus, routing_key or exchange, body, headers, message_id)


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
    """The aiormq channel behind an ``IncomingMessage``: acks are recorded, publishes go
    onto the bus."""

    is_closed = False
    connection = _AioConnection()

    def __init__(self, bus: InMemoryBus, settled: Settled) -> None:
        self._bus, self._settled = bus, settled

    async def basic_ack(self, delivery_tag: int, multiple: bool = False) -> None:
        self._settled.record(Settle.ACK)

    async def basic_nack(
        self, delivery_tag: int, multiple: bool = False, requeue: bool = True
    ) -> None:
        self._settled.record("requeue" if requeue else Settle.DEAD_LETTER)

    async def basic_reject(self, delivery_tag: int, requeue: bool = True) -> None:
        self._settled.record("requeue" if requeue else Settle.DEAD_LETTER)

    async def queue_declare(self, queue: str, *args: Any, **kwargs: Any) -> None:
        """Queues exist on the bus as soon as something is published to them."""

    async def basic_publish(
        self, body: bytes, *, exchange: str = "", routing_key: str = "", properties: Any = None
    ) -> None:
        headers = getattr(properties, "headers", None) or {}
        message_id = getattr(properties, "message_id", None)
        self._settled.published(self._bus, routing_key or exchange, body, headers, message_id)


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
        channel=_AioChannel(bus, settled),  # type: ignore[arg-type]
    )
    return (aio_pika.IncomingMessage(delivered),)


# -- nats-py (JetStream) -------------------------------------------------------------------
class _NatsClient:
    """The client behind a ``Msg``: ``+ACK``/``-NAK``/``+TERM`` on the reply subject are
    recorded; a publish to any other subject (core or JetStream) goes onto the bus."""

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
            self._settled.published(self._bus, subject, payload, headers or {}, None)
        elif payload.startswith(b"-NAK"):
            self._settled.record("requeue")
        elif payload.startswith(b"+TERM"):
            self._settled.record(Settle.DEAD_LETTER)
        elif payload in (b"", b"+ACK"):
            self._settled.record(Settle.ACK)

    def jetstream(self) -> _NatsClient:
        return self  # JetStream's publish takes the same arguments


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
class _RedisPipeline:
    """``client.pipeline()`` as ``settle=True`` uses it: XADD a copy, XACK the entry."""

    def __init__(self, bus: InMemoryBus, settled: Settled) -> None:
        self._bus, self._settled = bus, settled
        self._commands: list[Callable[[], None]] = []

    def xadd(self, stream: str, fields: Mapping[Any, Any], *args: Any, **kwargs: Any) -> None:
        body = fields.get("body")
        headers = {str(k): v for k, v in fields.items() if k != "body"}
        self._commands.append(
            lambda: self._settled.published(self._bus, stream, body, headers, None)
        )

    def xack(self, stream: str, group: str, *entry_ids: str) -> None:
        self._commands.append(lambda: self._settled.record(Settle.ACK))

    def execute(self) -> list[None]:
        for command in self._commands:
            command()
        return [None] * len(self._commands)


class _RedisClient:
    def __init__(self, bus: InMemoryBus, settled: Settled) -> None:
        self._bus, self._settled = bus, settled

    def pipeline(self, transaction: bool = True) -> _RedisPipeline:
        return _RedisPipeline(self._bus, self._settled)


def _redis_fields(message: BusMessage) -> dict[str, Any]:
    body = message.body if isinstance(message.body, bytes | str) else encode_body(message.body)
    return {**message.headers, "body": body.decode() if isinstance(body, bytes) else body}


def _entry_id(message: BusMessage, attempt: int = 1) -> str:
    """``<ms>-<seq>``, the same for every delivery of one entry (the message's identity); a
    re-added copy (``attempt``) is another entry."""
    sequence = zlib.crc32(f"{message.message_id}/{attempt}".encode())
    return f"{int(message.published_at * 1000)}-{sequence}"


def _redis(bus: InMemoryBus, message: BusMessage, settled: Settled) -> tuple[Any, ...]:
    entry = redis_entry(
        message.destination,
        _entry_id(message),
        _redis_fields(message),
        group=CONSUMER,
        consumer="memory-1",
        delivery_count=message.attempt,
        client=_RedisClient(bus, settled),
    )
    return (entry,)


def _redis_raw(bus: InMemoryBus, message: BusMessage, settled: Settled) -> tuple[Any, ...]:
    """A bare ``(entry_id, fields)`` as XREADGROUP returns it: it cannot say how often it was
    delivered, so a retry is what ``settle=True`` makes of it, a re-added entry (a new id)
    carrying ``obskit-attempt``."""
    fields = _redis_fields(message)
    if message.attempt > 1:
        fields[ATTEMPT_HEADER] = str(message.attempt)
    return ((_entry_id(message, message.attempt), fields),)


SHAPES: dict[str, Shape] = {
    "aio-pika": Shape(_aio_pika, is_async=True),
    "pika": Shape(_pika, is_async=False),
    "nats": Shape(_nats, is_async=True),
    "redis": Shape(_redis, is_async=False),
    "redis-raw": Shape(_redis_raw, is_async=False),
}
