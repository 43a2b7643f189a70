"""One way to run a task as a message, shared by the Celery and Dramatiq integrations.

A task run is read through the messaging adapter seam (:class:`TaskMessage` is registered like
any broker's message type), so a task gets the same CONSUMER span, age, attempt, duplicate and
outcome records as a ``@traced.consumer`` handler, from the same code.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from obskit import _semconv_names as sc
from obskit._instrument import wrap
from obskit.errors import ErrorKind, ErrorPolicy, RetryDelay
from obskit.messaging._adapter import MessageInfo, register_adapter
from obskit.messaging._consumer import ConsumerOperation
from obskit.messaging._decision import Settle, SettlementDecision, decide_settlement
from obskit.messaging._producer import Sending
from obskit.messaging._settle import consumer_span, record

__all__ = ["OpenSends", "TaskMessage", "TaskRunner"]


@dataclass(slots=True)
class TaskMessage:
    """What a task queue says about one run of a task."""

    name: str
    queue: str | None
    headers: Mapping[str, Any]
    message_id: str | None
    attempt: int
    redelivered: bool | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    #: the task's own retry budget, where the task queue sets one (it wins over obskit's)
    max_attempts: int | None = None


def _read_task(message: TaskMessage) -> MessageInfo:
    attributes = {sc.OBSKIT_TASK_NAME: message.name, **message.attributes}
    if message.queue:
        attributes[sc.MESSAGING_DESTINATION_NAME] = message.queue
    return MessageInfo(
        headers=message.headers,
        destination=message.queue,
        message_id=message.message_id,
        attempt=message.attempt,
        redelivered=message.redelivered if message.redelivered else message.attempt > 1,
        attributes=attributes,
    )


register_adapter(__name__, "TaskMessage", _read_task)


class TaskRunner:
    """Runs task bodies inside CONSUMER spans and settles their failures by the ErrorPolicy.

    The decision is :func:`obskit.messaging.decide_settlement`, the rule every broker and the
    in-memory bus follow; ``max_attempts`` and ``retry_delay`` default to the policy's budget.
    """

    def __init__(
        self,
        system: str,
        *,
        errors: ErrorPolicy | None = None,
        max_attempts: int | None = None,
        retry_delay: RetryDelay | None = None,
    ) -> None:
        if max_attempts is not None and max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {max_attempts!r}")
        self.system = system
        self.errors = errors
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay
        self._runs: dict[str, Callable[[TaskMessage, Callable[[], Any]], Any]] = {}

    def policy(self) -> ErrorPolicy:
        if self.errors is not None:
            return self.errors
        from obskit._state import STATE

        return STATE.settings.error_policy

    @property
    def max_attempts(self) -> int:
        return self._max_attempts or self.policy().max_attempts

    def decide(self, exc: BaseException, message: TaskMessage) -> SettlementDecision | None:
        """The settlement of a failed run; None for cancellation, which always goes back."""
        if not isinstance(exc, Exception):
            return None
        policy = self.policy()
        kind: ErrorKind = policy.classify(exc)
        return decide_settlement(
            kind,
            message.attempt,
            max_attempts=message.max_attempts or self.max_attempts,
            retry_delay=self._retry_delay if self._retry_delay is not None else policy.retry_delay,
        )

    def run(self, message: TaskMessage, body: Callable[[], Any]) -> Any:
        """``body()`` inside the task's CONSUMER span; a business refusal returns None."""
        run = self._runs.get(message.name)
        if run is None:
            operation = ConsumerOperation(message.name, system=self.system, errors=self.errors)
            run = self._runs.setdefault(message.name, wrap(self._settling, operation))
        return run(message, body)

    def _settling(self, message: TaskMessage, body: Callable[[], Any]) -> Any:
        """The traced body: the settlement goes on the span before the outcome leaves it."""
        try:
            result = body()
        except BaseException as exc:
            decision = self.decide(exc, message)
            if decision is not None:
                record(decision.action.value, requeue=None, span=consumer_span(fallback=False))
            raise
        record(Settle.ACK.value, requeue=None, span=consumer_span(fallback=False))
        return result


class OpenSends:
    """Enqueue spans between a task queue's before- and after-publish hooks, bounded: a publish
    that failed never reports back, so the oldest open send is ended (marked unconfirmed) once
    ``limit`` are open. Hooks of several threads meet here, hence the lock."""

    def __init__(self, limit: int = 1024) -> None:
        self._limit = limit
        self._open: OrderedDict[Hashable, Sending] = OrderedDict()
        self._lock = threading.Lock()

    def opened(self, key: Hashable, sending: Sending) -> None:
        with self._lock:
            self._open[key] = sending
            stale = [
                self._open.popitem(last=False)[1]
                for _ in range(max(0, len(self._open) - self._limit))
            ]
        for old in stale:
            old.end("publish_unconfirmed")

    def confirmed(self, key: Hashable) -> None:
        with self._lock:
            sending = self._open.pop(key, None)
        if sending is not None:
            sending.end()
