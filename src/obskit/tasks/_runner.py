"""One way to run a task as a message, shared by the Celery and Dramatiq integrations.

A task run is read through the messaging adapter seam (:class:`TaskMessage` is registered like
any broker's message type), so a task gets the same CONSUMER span, age, attempt, duplicate and
outcome records as a ``@traced.consumer`` handler, from the same code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from obskit import _semconv_names as sc
from obskit._instrument import wrap
from obskit.errors import ErrorKind, ErrorPolicy
from obskit.messaging._adapter import MessageInfo, register_adapter
from obskit.messaging._consumer import ConsumerOperation
from obskit.messaging._settle import consumer_span, record

__all__ = ["Decision", "RetryDelay", "TaskMessage", "TaskRunner"]

RetryDelay = float | Callable[[int], float]
Decision = Literal["ack", "retry", "dead_letter", "raise"]


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


def default_retry_delay(attempt: int) -> float:
    """A short exponential backoff: 0.5 s, 1 s, 2 s, ... capped at 30 s."""
    return float(min(30.0, 0.5 * 2 ** (attempt - 1)))


class TaskRunner:
    """Runs task bodies inside CONSUMER spans and turns their failures into decisions.

    ``decide`` is the one retry rule of the task integrations: a business refusal is
    acknowledged, poison is dead-lettered at once, transient and unexpected failures are retried
    while ``attempt < max_attempts`` and dead-lettered after.
    """

    def __init__(
        self,
        system: str,
        *,
        errors: ErrorPolicy | None = None,
        max_attempts: int = 5,
        retry_delay: RetryDelay | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {max_attempts!r}")
        self.system = system
        self.errors = errors
        self.max_attempts = max_attempts
        self._retry_delay = default_retry_delay if retry_delay is None else retry_delay
        self._runs: dict[str, Callable[[TaskMessage, Callable[[], Any]], Any]] = {}

    def policy(self) -> ErrorPolicy:
        if self.errors is not None:
            return self.errors
        from obskit._config import get_settings

        return get_settings().error_policy

    def retry_delay(self, attempt: int) -> float:
        delay = self._retry_delay
        return float(delay(attempt) if callable(delay) else delay)

    def decide(self, exc: BaseException, attempt: int) -> Decision:
        if not isinstance(exc, Exception):
            return "raise"  # cancellation and interrupts go back to the worker untouched
        kind = self.policy().classify(exc)
        if kind is ErrorKind.BUSINESS:
            return "ack"
        if kind is ErrorKind.POISON or attempt >= self.max_attempts:
            return "dead_letter"
        return "retry"

    def run(self, message: TaskMessage, body: Callable[[], Any]) -> Any:
        """``body()`` inside the task's CONSUMER span; a business refusal returns None."""
        run = self._runs.get(message.name)
        if run is None:
            operation = ConsumerOperation(message.name, system=self.system, errors=self.errors)
            run = self._runs.setdefault(message.name, wrap(self._settling, operation))
        return run(message, body)

    def _settling(self, message: TaskMessage, body: Callable[[], Any]) -> Any:
        """The traced body: records the settlement on the span before the outcome leaves it."""
        try:
            result = body()
        except BaseException as exc:
            decision = self.decide(exc, message.attempt)
            if decision != "raise":
                settlement = "requeue" if decision == "retry" else decision
                record(settlement, requeue=None, span=consumer_span(fallback=False))
            raise
        record("ack", requeue=None, span=consumer_span(fallback=False))
        return result
