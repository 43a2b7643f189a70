"""An in-memory message bus that carries headers like a real broker.

It publishes through :func:`obskit.publishing` (so every message carries trace context and a
PRODUCER span), delivers to subscribers on :meth:`InMemoryBus.drain`, redelivers a message whose
handler raised (``attempt`` + 1, ``redelivered``) up to ``max_attempts``, and remembers what was
sent so a test can assert "exactly one PrepareShipping message was sent, in this trace".
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import trace

from obskit import propagation
from obskit.messaging._adapter import MessageInfo, register_adapter
from obskit.messaging._producer import publishing

SYSTEM = "obskit.memory"
_ids = itertools.count(1)


@dataclass
class BusMessage:
    destination: str
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    message_id: str = ""
    attempt: int = 1
    published_at: float = field(default_factory=time.time)

    @property
    def redelivered(self) -> bool:
        return self.attempt > 1

    @property
    def trace_id(self) -> int | None:
        """The trace this message belongs to (from its ``traceparent``)."""
        context = propagation.extract(self.headers)
        span_context = trace.get_current_span(context).get_span_context()
        return span_context.trace_id if span_context.is_valid else None


def _read(message: BusMessage) -> MessageInfo:
    body = message.body
    if isinstance(body, bytes | str):
        size: int | None = len(body.encode() if isinstance(body, str) else body)
    else:
        try:
            size = len(json.dumps(body, default=str).encode())
        except (TypeError, ValueError):
            size = None
    return MessageInfo(
        headers=message.headers,
        destination=message.destination,
        message_id=message.message_id,
        body_size=size,
        timestamp=message.published_at,
        attempt=message.attempt,
        redelivered=message.redelivered,
    )


register_adapter("obskit.testing._bus", "BusMessage", _read)

Handler = Callable[[BusMessage], Any]


class InMemoryBus:
    """Queues per destination; ``drain()`` delivers until nothing is left."""

    def __init__(self, *, max_attempts: int = 3) -> None:
        self.max_attempts = max_attempts
        # each entry: the message, and the handlers still to get it (None: every subscriber)
        self._queue: deque[tuple[BusMessage, tuple[Handler, ...] | None]] = deque()
        self._subscribers: dict[str, list[Handler]] = {}
        self._sent: list[BusMessage] = []
        self.dead_letters: list[tuple[BusMessage, BaseException]] = []
        self._lock = threading.Lock()

    def subscribe(self, destination: str, handler: Handler) -> None:
        self._subscribers.setdefault(destination, []).append(handler)

    def publish(
        self,
        destination: str,
        body: Any,
        *,
        headers: dict[str, str] | None = None,
        message_id: str | None = None,
    ) -> BusMessage:
        """Send ``body`` inside a PRODUCER span; the message carries its context."""
        message_id = message_id or f"m-{next(_ids)}"
        with publishing(
            destination, system=SYSTEM, headers=dict(headers or {}), message_id=message_id
        ) as carrier:
            message = BusMessage(destination, body, carrier, message_id)
        with self._lock:
            self._queue.append((message, None))
            self._sent.append(message)
        return message

    def deliver(self, message: BusMessage) -> None:
        """Put a message on the queue as is (a test replaying, delaying or reordering)."""
        with self._lock:
            self._queue.append((message, None))

    def sent(self, destination: str | None = None) -> list[BusMessage]:
        """Every message published (to ``destination``), in order."""
        return [m for m in self._sent if destination is None or m.destination == destination]

    def pending(self) -> list[BusMessage]:
        with self._lock:
            return [message for message, _ in self._queue]

    def take(self, destination: str) -> list[BusMessage]:
        """Remove and return the queued messages for ``destination`` (to redeliver them later)."""
        with self._lock:
            taken = [m for m, _ in self._queue if m.destination == destination]
            self._queue = deque(e for e in self._queue if e[0].destination != destination)
        return taken

    def drain(self, *, limit: int = 10_000) -> int:
        """Deliver queued messages (and what handlers publish) until none are left.

        Like consumer groups on a real broker, each subscriber settles a message on its own: a
        handler that raised gets it again (``attempt`` + 1); the others do not.
        """
        delivered = 0
        while delivered < limit:
            with self._lock:
                if not self._queue:
                    return delivered
                message, targets = self._queue.popleft()
            delivered += 1
            failed: list[Handler] = []
            error: BaseException | None = None
            handlers = (
                self._subscribers.get(message.destination, ()) if targets is None else targets
            )
            for handler in handlers:
                try:
                    handler(message)
                except Exception as exc:
                    failed.append(handler)
                    error = error or exc
            if error is not None:
                self._retry(message, tuple(failed), error)
        return delivered

    def _retry(
        self, message: BusMessage, handlers: tuple[Handler, ...], exc: BaseException
    ) -> None:
        if message.attempt >= self.max_attempts:
            self.dead_letters.append((message, exc))
            return
        again = BusMessage(
            message.destination,
            message.body,
            dict(message.headers),
            message.message_id,
            message.attempt + 1,
            message.published_at,
        )
        with self._lock:
            self._queue.append((again, handlers))
