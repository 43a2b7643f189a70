"""An in-memory message bus that carries headers like a real broker.

It publishes through :func:`obskit.publishing` (so every message carries trace context and a
PRODUCER span), delivers to subscribers on :meth:`InMemoryBus.drain` (or ``await
bus.drain_async()`` inside an event loop), settles each delivery (ack, redelivery with
``attempt`` + 1, dead letter), hands a handler the message shape its real client would (see
``obskit.testing._shapes``), and remembers what was sent so a test can assert "exactly one
PrepareShipping message was sent, in this trace".

Delivery is written once, as a generator that yields the awaitables async handlers return;
``drain``, ``drain_async`` and ``explore`` are three drivers of that one generator.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import Any

from obskit.errors import ErrorKind, ErrorPolicy
from obskit.messaging._decision import Settle, decide_settlement
from obskit.messaging._producer import publishing
from obskit.testing._message import BusMessage, _settling
from obskit.testing._shapes import SHAPES, Outcome, Settled

SYSTEM = "obskit.memory"
_ids = itertools.count(1)

Handler = Callable[..., Any]
#: the delivery generator: yields what async handlers return, gets their results sent back
Delivery = Generator[Awaitable[Any], Any, None]


@dataclass(frozen=True)
class Subscription:
    """A handler on a destination, and the message shape it is handed."""

    destination: str
    handler: Handler
    shape: str | None = None

    @property
    def name(self) -> str:
        return str(getattr(self.handler, "__qualname__", None) or repr(self.handler))

    @property
    def is_async(self) -> bool:
        """Declared ``async`` (or written for an asyncio client): needs an event loop."""
        call = getattr(self.handler, "__call__", None)  # noqa: B004 - async callable objects
        return (
            inspect.iscoroutinefunction(self.handler)
            or inspect.iscoroutinefunction(call)
            or (self.shape is not None and SHAPES[self.shape].is_async)
        )


@dataclass(frozen=True)
class HandlerError:
    """A handler raised on a message: what, and how the error policy classified it."""

    message: BusMessage
    handler: str
    error: BaseException
    kind: ErrorKind

    def __str__(self) -> str:
        return (
            f"{self.handler} raised {self.error!r} ({self.kind.value}) on "
            f"{self.message.describe()} (attempt {self.message.attempt})"
        )


@dataclass
class Entry:
    """A queued delivery: the message and the subscriptions still to get it (None: all)."""

    message: BusMessage
    targets: tuple[Subscription, ...] | None = None


class _Rejected(Exception):
    """A handler rejected the message without raising (``reject()``, ``term()``)."""

    def __init__(self, handler: str) -> None:
        super().__init__(f"{handler} rejected the message")


_LOOP_ERROR = (
    "InMemoryBus.drain() was called inside a running event loop and {what} is async; "
    "use `await bus.drain_async()` there (drain() never skips an async handler)"
)


class InMemoryBus:
    """Queues per destination; ``drain()`` delivers until nothing is left."""

    def __init__(
        self, *, max_attempts: int | None = None, errors: ErrorPolicy | None = None
    ) -> None:
        self._max_attempts = max_attempts
        self.errors = errors
        self._queue: deque[Entry] = deque()
        self._subscribers: dict[str, list[Subscription]] = {}
        self._sent: list[BusMessage] = []
        self.dead_letters: list[tuple[BusMessage, BaseException]] = []
        #: every exception a handler raised, classified, in order
        self.handler_errors: list[HandlerError] = []
        self._lock = threading.Lock()

    def subscribe(self, destination: str, handler: Handler, *, shape: str | None = None) -> None:
        """Deliver ``destination``'s messages to ``handler``.

        ``shape`` hands the handler what its real client would: ``"aio-pika"`` (an
        ``IncomingMessage``), ``"pika"`` (``channel, method, properties, body``), ``"nats"`` (a
        nats-py ``Msg`` as JetStream delivers it), ``"redis"`` (a ``RedisStreamEntry``) or
        ``"redis-raw"`` (redis-py's bare ``(entry_id, fields)``); by default a
        :class:`BusMessage`.
        """
        if shape is not None and shape not in SHAPES:
            raise ValueError(f"unknown shape {shape!r}; expected one of {sorted(SHAPES)}")
        self._subscribers.setdefault(destination, []).append(
            Subscription(destination, handler, shape)
        )

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
            return self.enqueue(destination, body, carrier, message_id)

    def enqueue(
        self, destination: str, body: Any, headers: dict[str, str], message_id: str | None
    ) -> BusMessage:
        """Queue and remember a message whose headers are already written (a native client's
        publish inside a handler, where the handler opened the PRODUCER span itself)."""
        message = BusMessage(destination, body, headers, message_id or f"m-{next(_ids)}")
        with self._lock:
            self._queue.append(Entry(message))
            self._sent.append(message)
        return message

    def deliver(self, message: BusMessage) -> None:
        """Put a message on the queue as is (a test replaying, delaying or reordering)."""
        with self._lock:
            self._queue.append(Entry(message))

    def sent(self, destination: str | None = None) -> list[BusMessage]:
        """Every message published (to ``destination``), in order, with body and trace id."""
        return [m for m in self._sent if destination is None or m.destination == destination]

    def assert_sent_once(
        self, destination: str, body: Any, *, trace_id: int | None = None
    ) -> BusMessage:
        """Exactly one message to ``destination`` with this body (in this trace); else an
        ``AssertionError`` that shows what was sent, and how it differs."""
        from obskit.testing._expect import exactly_one

        return exactly_one(self.sent(destination), destination, body, trace_id)

    def pending(self) -> list[BusMessage]:
        with self._lock:
            return [entry.message for entry in self._queue]

    def take(self, destination: str) -> list[BusMessage]:
        """Remove and return the queued messages for ``destination`` (to redeliver them later)."""
        with self._lock:
            taken = [e.message for e in self._queue if e.message.destination == destination]
            self._queue = deque(e for e in self._queue if e.message.destination != destination)
        return taken

    # -- delivery: one generator, driven synchronously, by asyncio, or by explore() --------
    def drain(self, *, limit: int = 10_000) -> int:
        """Deliver queued messages (and what handlers publish) until none are left.

        Async handlers run to completion on a private event loop. Inside a running loop that
        is impossible without blocking it: with an async subscriber this raises and names
        ``drain_async()``. Like consumer groups on a real broker, each subscriber settles a
        message on its own: a handler that failed gets it again (``attempt`` + 1); the others
        do not.
        """
        running = _running_loop()
        if running:
            for subscriptions in self._subscribers.values():
                for subscription in subscriptions:
                    if subscription.is_async:
                        raise RuntimeError(_LOOP_ERROR.format(what=subscription.name))
        loop: asyncio.AbstractEventLoop | None = None
        try:
            delivered = 0
            while delivered < limit and (entry := self._next()) is not None:
                delivered += 1
                with contextlib.closing(self.delivery(entry)) as delivery:
                    result: Any = None
                    error: BaseException | None = None
                    while True:
                        try:
                            awaitable = delivery.throw(error) if error else delivery.send(result)
                        except StopIteration:
                            break
                        result, error = None, None
                        if running:  # unseen before: the message goes back, not lost
                            _close(awaitable)
                            self._queue.appendleft(entry)
                            raise RuntimeError(_LOOP_ERROR.format(what="a handler's result"))
                        loop = loop or asyncio.new_event_loop()
                        try:
                            result = loop.run_until_complete(_as_coroutine(awaitable))
                        except Exception as exc:
                            error = exc
            return delivered
        finally:
            if loop is not None:
                loop.close()

    async def drain_async(self, *, limit: int = 10_000) -> int:
        """:meth:`drain` for code already inside an event loop: awaits async handlers there."""
        delivered = 0
        while delivered < limit and (entry := self._next()) is not None:
            delivered += 1
            with contextlib.closing(self.delivery(entry)) as delivery:
                result: Any = None
                error: BaseException | None = None
                while True:
                    try:
                        awaitable = delivery.throw(error) if error else delivery.send(result)
                    except StopIteration:
                        break
                    result, error = None, None
                    try:
                        result = await awaitable
                    except Exception as exc:
                        error = exc
        return delivered

    def _next(self) -> Entry | None:
        with self._lock:
            return self._queue.popleft() if self._queue else None

    def targets(self, entry: Entry) -> tuple[Subscription, ...]:
        if entry.targets is not None:
            return entry.targets
        return tuple(self._subscribers.get(entry.message.destination, ()))

    def delivery(self, entry: Entry) -> Delivery:
        """Hand ``entry`` to each target, then settle it: redeliver to those that need it."""
        message = entry.message
        retry: list[Subscription] = []
        dead: BaseException | None = None
        policy = self._policy()
        for subscription in self.targets(entry):
            settled = Settled()
            kind: ErrorKind | None = None
            token = _settling.set(settled)
            try:
                result = self._call(subscription, message, settled)
                if inspect.isawaitable(result):
                    yield result
            except Exception as exc:
                kind = policy.classify(exc)
                self.handler_errors.append(HandlerError(message, subscription.name, exc, kind))
            finally:
                _settling.reset(token)
            if settled.failure is not None:  # the handler settled its own failure
                handled, kind = settled.failure
                self.handler_errors.append(HandlerError(message, subscription.name, handled, kind))
            decision = self._decide(message, kind, settled.outcome)
            if decision is Settle.RETRY:
                retry.append(subscription)
            elif decision is Settle.DEAD_LETTER and dead is None:
                dead = self.handler_errors[-1].error if kind else _Rejected(subscription.name)
        if dead is not None:
            self.dead_letters.append((message, dead))  # once, however many handlers gave up
        if retry:
            self.requeue(message.again(attempt=message.attempt + 1), tuple(retry))

    def _call(self, subscription: Subscription, message: BusMessage, settled: Settled) -> Any:
        if subscription.shape is None:
            return subscription.handler(message)
        args = SHAPES[subscription.shape].build(self, message, settled)
        return subscription.handler(*args)

    @property
    def max_attempts(self) -> int:
        """Deliveries per message before it is dead-lettered (default: the ErrorPolicy's)."""
        return self._policy().max_attempts if self._max_attempts is None else self._max_attempts

    @max_attempts.setter
    def max_attempts(self, value: int | None) -> None:
        self._max_attempts = value

    def _policy(self) -> ErrorPolicy:
        if self.errors is not None:
            return self.errors
        from obskit._state import STATE

        return STATE.settings.error_policy

    def _decide(
        self, message: BusMessage, kind: ErrorKind | None, outcome: Outcome | None
    ) -> Settle:
        """The handler's own settlement wins; a plain requeue is a retry within the bus's
        budget; otherwise the ErrorPolicy's kind decides, through the one settlement rule."""
        if isinstance(outcome, Settle):
            return outcome
        if outcome == "requeue":
            kind = ErrorKind.TRANSIENT
        return decide_settlement(kind, message.attempt, max_attempts=self.max_attempts).action

    def requeue(self, message: BusMessage, targets: tuple[Subscription, ...] | None) -> None:
        with self._lock:
            self._queue.append(Entry(message, targets))


def _running_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


async def _as_coroutine(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def _close(awaitable: Awaitable[Any]) -> None:
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()  # never awaited: closed, so Python does not warn about it later


__all__ = ["BusMessage", "HandlerError", "InMemoryBus", "Subscription"]
