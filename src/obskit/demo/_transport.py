"""The demo's transport seam: the in-memory bus and a real broker, interchangeable.

A transport moves an :class:`Envelope` (destination, JSON body, headers, message id) and hands
each delivery to the subscribed handler as a :class:`~obskit.testing.BusMessage` (so the shop's
handlers are the same for every broker). A handler that raises gets the message again
(``attempt`` + 1, ``redelivered``) up to ``max_attempts``. The PRODUCER span and the trace
headers come from :func:`obskit.publishing` in the shop, not from here.

NATS and Redis hand over a :class:`BrokerMessage`: a ``BusMessage`` that also carries the
broker's own delivery (a JetStream ``Msg``, a :class:`~obskit.messaging.RedisStreamEntry`), so
``@traced.consumer`` reads it through that broker's obskit adapter: the attempt is the broker's
delivery count and the span carries the broker's attributes (consumer group, client id, ...).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import threading
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Final, Protocol, TypeVar

from obskit._extras import require
from obskit._state import STATE
from obskit.messaging import PikaDelivery, RedisStreamEntry, redis_delivery_counts, redis_entries
from obskit.messaging._adapter import MessageInfo, adapter_for, register_adapter
from obskit.messaging._decision import Settle, decide_settlement
from obskit.messaging._nats import MSG_ID_HEADER
from obskit.testing import BusMessage, InMemoryBus

__all__ = [
    "BROKERS",
    "BrokerMessage",
    "Envelope",
    "MemoryTransport",
    "NatsTransport",
    "RabbitTransport",
    "RedisTransport",
    "Transport",
    "open_transport",
]

Handler = Callable[[BusMessage], Any]
T = TypeVar("T")

NATS_URL: Final = "nats://127.0.0.1:4222"
REDIS_URL: Final = "redis://127.0.0.1:6379/0"
#: how long one broker round trip may take before the demo gives up
_TIMEOUT: Final = 10.0


@dataclass
class Envelope:
    destination: str
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    message_id: str = ""


@dataclass
class BrokerMessage(BusMessage):
    """What the shop's handlers read (``body``, ``headers``) plus the broker's own delivery."""

    delivery: Any = None


def _read_broker_message(message: BrokerMessage) -> MessageInfo:
    """The broker adapter's view of the delivery (attempt, id, broker attributes)."""
    return adapter_for(type(message.delivery))(message.delivery)


register_adapter("obskit.demo._transport", "BrokerMessage", _read_broker_message)


class Transport(Protocol):
    """What the shop needs from a broker."""

    #: the ``messaging.system`` value (``rabbitmq``, ``nats``, ...)
    system: str

    def send(self, envelope: Envelope) -> None: ...

    def subscribe(self, destination: str, handler: Handler) -> None: ...

    def run_until_idle(self) -> int:
        """Deliver until no destination has anything left; the number of deliveries."""

    def close(self) -> None: ...


class MemoryTransport:
    """The in-memory bus from ``obskit.testing``: no broker, deterministic."""

    system = "obskit.memory"

    def __init__(self, *, max_attempts: int = 3) -> None:
        self.bus = InMemoryBus(max_attempts=max_attempts)

    def send(self, envelope: Envelope) -> None:
        self.bus.deliver(
            BusMessage(envelope.destination, envelope.body, envelope.headers, envelope.message_id)
        )

    def subscribe(self, destination: str, handler: Handler) -> None:
        self.bus.subscribe(destination, handler)

    def run_until_idle(self) -> int:
        return self.bus.drain()

    def close(self) -> None:
        return None


class _PollingTransport:
    """The delivery loop the broker transports share: take one message per destination per
    pass until a whole pass finds none. ``_poll`` and ``_deliver`` are the broker's part."""

    _handlers: dict[str, list[Handler]]
    max_attempts: int

    def _poll(self, destination: str) -> Any: ...

    def _retries(self, exc: Exception, attempt: int) -> bool:
        """The one redelivery rule, as the in-memory bus and every settling consumer decide it:
        another attempt while the ErrorPolicy calls the failure worth one and the budget lasts."""
        kind = STATE.settings.error_policy.classify(exc)
        decision = decide_settlement(kind, attempt, max_attempts=self.max_attempts)
        return decision.action is Settle.RETRY

    def _deliver(self, destination: str, handlers: list[Handler], delivery: Any) -> None: ...

    def run_until_idle(self) -> int:
        delivered = 0
        progressed = True
        while progressed:
            progressed = False
            for destination, handlers in self._handlers.items():
                delivery = self._poll(destination)
                if delivery is None:
                    continue
                progressed = True
                delivered += 1
                self._deliver(destination, handlers, delivery)
        return delivered


class RabbitTransport(_PollingTransport):
    """RabbitMQ through pika: one exclusive queue per destination, polled with ``basic_get``.

    A failed delivery is ``nack``-ed with ``requeue=True``; RabbitMQ then redelivers it with
    its ``redelivered`` flag set, which the seam reports as attempt 2 (classic queues do not
    count deliveries).
    """

    system = "rabbitmq"

    def __init__(self, url: str | None = None, *, max_attempts: int = 3) -> None:
        import pika

        self.max_attempts = max_attempts
        self._pika = pika
        self._connection = pika.BlockingConnection(
            pika.URLParameters(url or "amqp://guest:guest@127.0.0.1:5672/%2F")
        )
        self._channel = self._connection.channel()
        self._prefix = f"obskit-demo-{uuid.uuid4().hex[:8]}."
        self._handlers: dict[str, list[Handler]] = {}
        self._declared: set[str] = set()
        self._attempts: dict[str, int] = {}

    def _queue(self, destination: str) -> str:
        name = self._prefix + destination
        if name not in self._declared:
            self._channel.queue_declare(queue=name, exclusive=True)
            self._declared.add(name)
        return name

    def send(self, envelope: Envelope) -> None:
        properties = self._pika.BasicProperties(
            headers=dict(envelope.headers),
            message_id=envelope.message_id or None,
            content_type="application/json",
        )
        self._channel.basic_publish(
            "", self._queue(envelope.destination), json.dumps(envelope.body).encode(), properties
        )

    def subscribe(self, destination: str, handler: Handler) -> None:
        self._queue(destination)
        self._handlers.setdefault(destination, []).append(handler)

    def _poll(self, destination: str) -> tuple[Any, Any, bytes] | None:
        method, properties, body = self._channel.basic_get(self._queue(destination))
        return None if method is None else (method, properties, body)

    def _deliver(
        self, destination: str, handlers: list[Handler], delivery: tuple[Any, Any, bytes]
    ) -> None:
        method, properties, body = delivery
        message_id = str(properties.message_id or method.delivery_tag)
        attempt = self._attempts.get(message_id, 0) + 1
        self._attempts[message_id] = attempt
        message = BrokerMessage(
            destination,
            json.loads(body),
            {str(k): str(v) for k, v in (properties.headers or {}).items()},
            message_id,
            attempt=max(attempt, 2 if method.redelivered else 1),
            delivery=PikaDelivery(self._channel, method, properties, body),
        )
        try:
            for handler in handlers:
                handler(message)
        except Exception as exc:
            requeue = self._retries(exc, message.attempt)
            self._channel.basic_nack(method.delivery_tag, requeue=requeue)
            return
        self._channel.basic_ack(method.delivery_tag)

    def close(self) -> None:
        with contextlib.suppress(Exception):  # a broker already gone must not fail the demo
            self._connection.close()


class _LoopThread:
    """An asyncio loop on a thread of its own, so sync code (already inside ``asyncio.run``)
    can drive an asyncio client: :meth:`run` submits a coroutine and waits for its result."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = _TIMEOUT) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:  # not an OSError before Python 3.11
            future.cancel()
            raise TimeoutError(f"no answer within {timeout:g}s") from None

    def stop(self) -> None:
        if self.loop.is_closed():
            return
        with contextlib.suppress(Exception):
            self.run(self._cancel_tasks())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(_TIMEOUT)
        if not self._thread.is_alive():
            self.loop.close()

    @staticmethod
    async def _cancel_tasks() -> None:
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class NatsTransport(_PollingTransport):
    """NATS JetStream through nats-py: one stream per run (deleted on close), one durable pull
    consumer per destination, polled one message at a time.

    A failed delivery is ``nak``-ed and JetStream redelivers it; the message's metadata counts
    deliveries, which the NATS adapter reports as the attempt. The last allowed attempt is
    terminated instead (``max_deliver`` agrees). nats-py is asyncio and the shop calls the
    transport synchronously from inside its own loop, so the client lives on a loop thread;
    handlers still run on the caller's thread, in its context.
    """

    system = "nats"

    def __init__(self, url: str | None = None, *, max_attempts: int = 3) -> None:
        import nats
        import nats.errors

        self.max_attempts = max_attempts
        run = uuid.uuid4().hex[:8]
        self._stream = f"OBSKIT_DEMO_{run}"
        self._prefix = f"obskit-demo-{run}."
        self._handlers: dict[str, list[Handler]] = {}
        self._subscriptions: dict[str, Any] = {}
        self._loop = _LoopThread("obskit-demo-nats")
        url = url or NATS_URL
        errors: list[Exception] = []

        async def remember(error: Exception) -> None:  # instead of nats-py logging it
            errors.append(error)

        try:
            try:
                self._nc = self._loop.run(
                    nats.connect(
                        url,
                        connect_timeout=2,
                        allow_reconnect=False,
                        max_reconnect_attempts=1,  # 0 would mean "forever"
                        reconnect_time_wait=0.2,
                        error_cb=remember,
                    )
                )
            except nats.errors.NoServersError as exc:
                cause = errors[-1] if errors else exc
                raise ConnectionError(f"no NATS server at {url} ({cause!r})") from cause
            self._js = self._nc.jetstream()
            self._loop.run(self._js.add_stream(name=self._stream, subjects=[self._prefix + ">"]))
        except BaseException:
            self.close()
            raise

    def _subscription(self, destination: str) -> Any:
        subscription = self._subscriptions.get(destination)
        if subscription is None:
            from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

            config = ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                max_deliver=self.max_attempts,
                ack_wait=60,
            )
            subscription = self._loop.run(
                self._js.pull_subscribe(
                    self._prefix + destination,
                    durable=f"demo-{destination}",
                    stream=self._stream,
                    config=config,
                )
            )
            self._subscriptions[destination] = subscription
        return subscription

    def send(self, envelope: Envelope) -> None:
        headers = dict(envelope.headers)
        if envelope.message_id:
            headers[MSG_ID_HEADER] = envelope.message_id
        self._loop.run(
            self._js.publish(
                self._prefix + envelope.destination,
                json.dumps(envelope.body).encode(),
                stream=self._stream,
                headers=headers,
            )
        )

    def subscribe(self, destination: str, handler: Handler) -> None:
        self._subscription(destination)
        self._handlers.setdefault(destination, []).append(handler)

    def _poll(self, destination: str) -> Any:
        return self._loop.run(self._next(self._subscription(destination)))

    @staticmethod
    async def _next(subscription: Any) -> Any:
        """The consumer's next message, or None when it has nothing undelivered or unacked."""
        import nats.errors

        info = await subscription.consumer_info()
        if not (info.num_pending or info.num_ack_pending):
            return None
        try:
            messages = await subscription.fetch(1, timeout=_TIMEOUT / 2)
        except nats.errors.TimeoutError:
            return None
        return messages[0] if messages else None

    def _deliver(self, destination: str, handlers: list[Handler], msg: Any) -> None:
        from nats.aio.msg import Msg

        headers = {str(k): str(v) for k, v in (msg.headers or {}).items()}
        attempt = int(msg.metadata.num_delivered)
        message = BrokerMessage(
            destination,
            json.loads(msg.data),
            headers,
            headers.get(MSG_ID_HEADER, ""),
            attempt=attempt,
            delivery=msg,
        )
        try:
            for handler in handlers:
                handler(message)
        except Exception as exc:
            verdict = Msg.Ack.Nak if self._retries(exc, attempt) else Msg.Ack.Term
            self._loop.run(self._settle(msg, verdict))
            return
        self._loop.run(self._settle(msg, Msg.Ack.Ack))

    async def _settle(self, msg: Any, verdict: bytes) -> None:
        """Ack, nak or term, and wait for the server's confirmation (so the next
        ``consumer_info`` already counts it)."""
        await self._nc.request(msg.reply, verdict, timeout=_TIMEOUT / 2)

    def close(self) -> None:
        nc = getattr(self, "_nc", None)
        if nc is not None:
            with contextlib.suppress(Exception):  # a broker already gone must not fail the demo
                self._loop.run(self._js.delete_stream(self._stream))
            with contextlib.suppress(Exception):
                self._loop.run(nc.close())
        self._loop.stop()


class RedisTransport(_PollingTransport):
    """Redis Streams through redis-py: one stream per destination and run (deleted on close),
    one consumer group, entries read with ``XREADGROUP`` one at a time and ``XACK``-ed when the
    handlers succeed.

    The trace context travels in the entry's fields, next to the JSON ``body``. A failed entry
    stays pending; the next pass claims it again with ``XAUTOCLAIM`` (min idle 0), which Redis
    counts as another delivery, and ``XPENDING`` (:func:`~obskit.messaging.redis_delivery_counts`)
    gives the attempt. After ``max_attempts`` the entry is acknowledged and dropped.
    """

    system = "redis"
    group = "obskit-demo"

    def __init__(self, url: str | None = None, *, max_attempts: int = 3) -> None:
        import redis

        self.max_attempts = max_attempts
        run = uuid.uuid4().hex[:8]
        self._prefix = f"obskit-demo-{run}:"
        self.consumer = f"demo-{run}"
        url = url or REDIS_URL
        self._client: Any = redis.Redis.from_url(
            url, decode_responses=True, socket_connect_timeout=2, socket_timeout=_TIMEOUT
        )
        self._streams: dict[str, str] = {}
        self._handlers: dict[str, list[Handler]] = {}
        try:
            self._client.ping()
        except redis.ConnectionError as exc:
            self._client.close()
            raise ConnectionError(f"no Redis server at {url} ({exc})") from exc
        except BaseException:
            self._client.close()
            raise

    def _stream(self, destination: str) -> str:
        stream = self._streams.get(destination)
        if stream is None:
            stream = self._prefix + destination
            self._client.xgroup_create(stream, self.group, id="0", mkstream=True)
            self._streams[destination] = stream
        return stream

    def send(self, envelope: Envelope) -> None:
        fields = {**envelope.headers, "body": json.dumps(envelope.body)}
        if envelope.message_id:
            fields["message_id"] = envelope.message_id
        self._client.xadd(self._stream(envelope.destination), fields)

    def subscribe(self, destination: str, handler: Handler) -> None:
        self._stream(destination)
        self._handlers.setdefault(destination, []).append(handler)

    def _poll(self, destination: str) -> RedisStreamEntry | None:
        return self._next(self._stream(destination))

    def _next(self, stream: str) -> RedisStreamEntry | None:
        """A failed entry first (claimed again: one more delivery), else a new one."""
        reply = self._client.xautoclaim(stream, self.group, self.consumer, 0, "0-0", count=1)
        claimed = [item for item in reply[1] if item and item[1] is not None]
        if claimed:
            counts = redis_delivery_counts(self._client, stream, self.group, [claimed[0][0]])
            entries = redis_entries(
                claimed[:1],
                stream=stream,
                group=self.group,
                consumer=self.consumer,
                delivery_counts=counts,
            )
        else:
            reply = self._client.xreadgroup(self.group, self.consumer, {stream: ">"}, count=1)
            entries = redis_entries(reply, group=self.group, consumer=self.consumer)
        return entries[0] if entries else None

    def _deliver(self, destination: str, handlers: list[Handler], entry: RedisStreamEntry) -> None:
        fields = {str(k): str(v) for k, v in entry.fields.items()}
        body = json.loads(fields.pop("body", "null"))
        message_id = fields.pop("message_id", entry.entry_id)
        attempt = entry.delivery_count or 1
        message = BrokerMessage(
            destination, body, fields, message_id, attempt=attempt, delivery=entry
        )
        try:
            for handler in handlers:
                handler(message)
        except Exception as exc:
            if self._retries(exc, attempt):
                return  # left pending: the next pass claims it again
        self._client.xack(entry.stream, self.group, entry.entry_id)

    def close(self) -> None:
        with contextlib.suppress(Exception):  # a broker already gone must not fail the demo
            if self._streams:
                self._client.delete(*self._streams.values())
        with contextlib.suppress(Exception):
            self._client.close()


BROKERS = ("memory", "rabbitmq", "nats", "redis")


#: broker -> its transport and the client it needs (the extra of the same name installs it)
_BROKER_TRANSPORTS: Final[dict[str, tuple[Callable[[str | None], Transport], str]]] = {
    "rabbitmq": (RabbitTransport, "pika"),
    "nats": (NatsTransport, "nats"),
    "redis": (RedisTransport, "redis"),
}


def open_transport(broker: str, url: str | None = None) -> Transport:
    """A transport for ``broker``; raises ``ValueError`` for a broker the demo cannot drive and
    ``ModuleNotFoundError`` naming ``pip install obskit[broker]`` when its client is missing."""
    if broker == "memory":
        return MemoryTransport()
    if broker in _BROKER_TRANSPORTS:
        transport, client = _BROKER_TRANSPORTS[broker]
        require(client, broker)
        return transport(url)
    raise ValueError(f"the demo cannot run over {broker!r} yet; choose one of {', '.join(BROKERS)}")
