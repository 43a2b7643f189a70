"""The demo's transport seam: the in-memory bus and a real broker, interchangeable.

A transport moves an :class:`Envelope` (destination, JSON body, headers, message id) and hands
each delivery to the subscribed handler as a :class:`~obskit.testing.BusMessage` (so the shop's
handlers are the same for every broker). A handler that raises gets the message again
(``attempt`` + 1, ``redelivered``) up to ``max_attempts``. The PRODUCER span and the trace
headers come from :func:`obskit.publishing` in the shop, not from here.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from obskit.testing import BusMessage, InMemoryBus

__all__ = [
    "BROKERS",
    "Envelope",
    "MemoryTransport",
    "RabbitTransport",
    "Transport",
    "open_transport",
]

Handler = Callable[[BusMessage], Any]


@dataclass
class Envelope:
    destination: str
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    message_id: str = ""


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


class RabbitTransport:
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

    def run_until_idle(self) -> int:
        delivered = 0
        progressed = True
        while progressed:
            progressed = False
            for destination, handlers in self._handlers.items():
                method, properties, body = self._channel.basic_get(self._queue(destination))
                if method is None:
                    continue
                progressed = True
                delivered += 1
                self._deliver(destination, handlers, method, properties, body)
        return delivered

    def _deliver(
        self, destination: str, handlers: list[Handler], method: Any, properties: Any, body: bytes
    ) -> None:
        message_id = str(properties.message_id or method.delivery_tag)
        attempt = self._attempts.get(message_id, 0) + 1
        self._attempts[message_id] = attempt
        message = BusMessage(
            destination,
            json.loads(body),
            {str(k): str(v) for k, v in (properties.headers or {}).items()},
            message_id,
            attempt=max(attempt, 2 if method.redelivered else 1),
        )
        try:
            for handler in handlers:
                handler(message)
        except Exception:
            requeue = message.attempt < self.max_attempts
            self._channel.basic_nack(method.delivery_tag, requeue=requeue)
            return
        self._channel.basic_ack(method.delivery_tag)

    def close(self) -> None:
        with contextlib.suppress(Exception):  # a broker already gone must not fail the demo
            self._connection.close()


BROKERS = ("memory", "rabbitmq")


def open_transport(broker: str, url: str | None = None) -> Transport:
    """A transport for ``broker``; raises ``ValueError`` for a broker the demo cannot drive."""
    if broker == "memory":
        return MemoryTransport()
    if broker == "rabbitmq":
        return RabbitTransport(url)
    raise ValueError(f"the demo cannot run over {broker!r} yet; choose one of {', '.join(BROKERS)}")
