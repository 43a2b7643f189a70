"""``settle=True``: obskit acknowledges, retries or dead-letters each message by its outcome.

A thin layer between the consumer span and the handler: it runs the handler, asks the one rule
(:func:`~obskit.messaging._decision.decide_settlement`) what the outcome means for this attempt,
and has the message's settler (from the adapter table) do it through the client's own API. The
failure is recorded on the consumer span as usual, and the exception is not re-raised: obskit
has settled the message, so the client library must not settle it again.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Final, TypeVar

import wrapt

from obskit import _semconv_names as sc
from obskit._providers import instruments
from obskit.errors import ErrorKind, RetryDelay, error_type
from obskit.messaging._adapter import (
    ATTEMPT_HEADER,
    DEAD_LETTER_FROM_HEADER,
    DEAD_LETTERED_AT_HEADER,
    ERROR_KIND_HEADER,
    ERROR_TYPE_HEADER,
    SettleRequest,
    read_message,
    settler_for,
)
from obskit.messaging._consumer import ConsumerOperation, dynamic_destination, log_outcome
from obskit.messaging._decision import Settle, SettlementDecision, decide_settlement
from obskit.messaging._settle import consumer_call, record

__all__ = ["BROKER_DEAD_LETTER", "SettleOptions", "settling"]

_log = logging.getLogger("obskit.messaging")
F = TypeVar("F", bound=Callable[..., Any])


class _BrokerDeadLetter:
    def __repr__(self) -> str:
        return "BROKER_DEAD_LETTER"


#: ``dead_letter=BROKER_DEAD_LETTER``: hand dead letters to the broker's own mechanism (RabbitMQ's
#: ``x-dead-letter-exchange`` through a reject, JetStream's ``term()``) instead of a copy
BROKER_DEAD_LETTER: Final[Any] = _BrokerDeadLetter()

_SEVERITY: Final = {Settle.ACK: 0, Settle.RETRY: 1, Settle.DEAD_LETTER: 2}


@dataclass(frozen=True, slots=True)
class SettleOptions:
    """The decorator's settlement options; None takes the ErrorPolicy's value."""

    max_attempts: int | None = None
    retry_delay: RetryDelay | None = None
    dead_letter: str | None = None  # None: ``{destination}.dead-letter``

    def __post_init__(self) -> None:
        if self.max_attempts is not None and self.max_attempts < 1:
            raise ValueError(f"max_attempts counts deliveries, at least 1: {self.max_attempts}")


class _Runner:
    """Settles the messages of one decorated handler."""

    def __init__(self, op: ConsumerOperation, options: SettleOptions, batch: bool) -> None:
        self.op = op
        self.options = options
        self.batch = batch
        self.warned: set[type] = set()
        self.attributes = {
            action: {**op.metric_attributes, sc.OBSKIT_MESSAGE_SETTLEMENT: action.value}
            for action in Settle
        }

    def messages(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Sequence[Any] | None:
        """The messages to settle, or None when one of them has no settler (then the handler
        runs as without ``settle``, and the first such type is named in a warning)."""
        if self.batch:
            found: Sequence[Any] = self.op.locate_batch(args, kwargs)  # type: ignore[attr-defined]
        else:
            found = (self.op.locate(args, kwargs),)
        for message in found:
            if settler_for(type(message)) is None:
                self._cannot_settle(type(message))
                return None
        return found

    def plan(
        self, messages: Sequence[Any], exc: Exception | None, args: Any, kwargs: Any
    ) -> list[tuple[Any, SettleRequest]]:
        policy = self.op.policy()
        kind: ErrorKind | None = None
        if exc is not None:
            call = consumer_call()
            if call is not None:
                call.failed(exc)  # span status, error.type, exception event, log line
                kind = call.kind
            if kind is None:
                kind = policy.classify(exc)
                if call is None:
                    log_outcome(kind, exc, self.op.metric_attributes)
        max_attempts = self.options.max_attempts
        if max_attempts is None:
            max_attempts = policy.max_attempts
        delay = policy.retry_delay if self.options.retry_delay is None else self.options.retry_delay
        destination = self._destination(args, kwargs)
        dead_letter = self.options.dead_letter
        if dead_letter is None:
            dead_letter = f"{destination}.dead-letter"
        elif dead_letter is BROKER_DEAD_LETTER:
            dead_letter = None
        requests = []
        for message in messages:
            info = read_message(message, self.op.headers)
            decision = decide_settlement(
                kind, info.attempt, max_attempts=max_attempts, retry_delay=delay
            )
            failure = failure_headers(exc, kind, decision, destination)
            request = SettleRequest(decision, info, destination, dead_letter, failure)
            requests.append((message, request))
        return requests

    def _destination(self, args: Any, kwargs: Any) -> str:
        destination = self.op.destination
        if isinstance(destination, str):
            return destination
        return dynamic_destination(destination, args, kwargs)

    def run(
        self, requests: list[tuple[Any, SettleRequest]]
    ) -> tuple[list[SettlementDecision], list[tuple[Awaitable[Any], Any, SettlementDecision]]]:
        """Settle each message: the decisions carried out, and an async client's awaitables."""
        done: list[SettlementDecision] = []
        pending: list[tuple[Awaitable[Any], Any, SettlementDecision]] = []
        for message, request in requests:
            settler = settler_for(type(message))
            try:
                result = settler(message, request) if settler is not None else None
            except Exception:
                _settle_failed(message)
                continue
            if inspect.isawaitable(result):
                pending.append((result, message, request.decision))
            elif result is not False:
                done.append(request.decision)
        return done, pending

    def recorded(self, decisions: list[SettlementDecision], error: str | None) -> None:
        """Count each settlement; the span shows the most severe one (a batch has several)."""
        settled = instruments().settled
        for decision in decisions:
            settled.add(self.attributes[decision.action], error)
        call = consumer_call()
        if decisions and call is not None:
            worst = max(decisions, key=lambda d: _SEVERITY[d.action])
            record(worst.action.value, requeue=None, span=call.span)

    def settle_sync(
        self, messages: Sequence[Any], failure: Exception | None, args: Any, kwargs: Any
    ) -> None:
        try:
            done, pending = self.run(self.plan(messages, failure, args, kwargs))
            _sync(pending)
            self.recorded(done, error_type(failure) if failure is not None else None)
        except Exception:  # a bug here must not reach the handler's caller
            _log.error("obskit: settling failed; the messages stay unsettled", exc_info=True)

    async def settle_async(
        self, messages: Sequence[Any], failure: Exception | None, args: Any, kwargs: Any
    ) -> None:
        try:
            done, pending = self.run(self.plan(messages, failure, args, kwargs))
            for awaitable, message, decision in pending:
                try:
                    if await awaitable is False:
                        continue
                except Exception:
                    _settle_failed(message)
                    continue
                done.append(decision)
            self.recorded(done, error_type(failure) if failure is not None else None)
        except Exception:  # a bug here must not reach the handler's caller
            _log.error("obskit: settling failed; the messages stay unsettled", exc_info=True)

    def _cannot_settle(self, message_type: type) -> None:
        if message_type in self.warned:
            return
        self.warned.add(message_type)
        _log.warning(
            "obskit: consumer %r cannot settle a %s message (no settler for its type); "
            "it runs without settle=True. Pass the client's own message, or register a settler "
            "with obskit.messaging.register_adapter(..., settler=...)",
            self.op.span_name,
            message_type.__qualname__,
        )


def _settle_failed(message: Any) -> None:
    _log.error(
        "obskit: settling a %s failed; the broker keeps it unsettled",
        type(message).__name__,
        exc_info=True,
    )


def failure_headers(
    exc: Exception | None, kind: ErrorKind | None, decision: SettlementDecision, destination: str
) -> dict[str, str]:
    """The headers a dead letter gains: why it failed, on which attempt, when, and from where."""
    if exc is None or kind is None:
        return {}
    return {
        ERROR_TYPE_HEADER: error_type(exc),
        ERROR_KIND_HEADER: kind.value,
        ATTEMPT_HEADER: str(decision.attempt),
        DEAD_LETTERED_AT_HEADER: datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        DEAD_LETTER_FROM_HEADER: destination,
    }


def settling(function: F, op: ConsumerOperation, options: SettleOptions, *, batch: bool) -> F:
    """``function`` with its messages settled by outcome (sync and async functions)."""
    target = getattr(function, "__func__", function)
    if inspect.isgeneratorfunction(target) or inspect.isasyncgenfunction(target):
        raise TypeError("settle=True needs a function or coroutine function, not a generator")
    runner = _Runner(op, options, batch)

    async def settle_async(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        messages = runner.messages(args, kwargs)
        if messages is None:
            return await wrapped(*args, **kwargs)
        try:
            result = await wrapped(*args, **kwargs)
        except Exception as exc:
            await runner.settle_async(messages, exc, args, kwargs)
            return None
        await runner.settle_async(messages, None, args, kwargs)
        return result

    def settle_sync(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        messages = runner.messages(args, kwargs)
        if messages is None:
            return wrapped(*args, **kwargs)
        try:
            result = wrapped(*args, **kwargs)
        except Exception as exc:
            runner.settle_sync(messages, exc, args, kwargs)
            return None
        runner.settle_sync(messages, None, args, kwargs)
        return result

    shape = settle_async if inspect.iscoroutinefunction(target) else settle_sync
    wrapper: F = wrapt.decorator(shape)(function)  # type: ignore[assignment]
    return wrapper


def _sync(pending: list[tuple[Awaitable[Any], Any, SettlementDecision]]) -> None:
    """A sync handler cannot await an async client's settlement: say so, leave it unsettled."""
    for awaitable, _message, _decision in pending:
        if inspect.iscoroutine(awaitable):
            awaitable.close()
        _log.error("obskit: an async client's message needs an async handler to be settled")
