"""``obskit.traced``: the decorator for plain functions, with ``.consumer``, ``.batch_consumer``
and ``.producer`` for messaging."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, overload

from opentelemetry import context as context_api
from opentelemetry.trace import SpanKind

from obskit._instrument import wrap
from obskit._providers import sdk_tracer
from obskit._spans import SpanCall, call_attributes, check_attributes, in_context
from obskit._state import STATE
from obskit.errors import ErrorPolicy, RetryDelay
from obskit.messaging._consumer import (
    Attributes,
    BatchConsumerOperation,
    ConsumerOperation,
    Destination,
    MessageSelector,
    Sequencer,
)
from obskit.messaging._producer import ProducerOperation
from obskit.messaging._settling import SettleOptions, settling

F = TypeVar("F", bound=Callable[..., Any])


class FunctionOperation:
    """An INTERNAL span named after the function. Exceptions are classified and re-raised."""

    def __init__(
        self,
        function: Callable[..., Any],
        *,
        name: str | None,
        attributes: Attributes,
        record_exception: bool,
        errors: ErrorPolicy | None,
        kind: SpanKind,
    ) -> None:
        self.span_name: str = name or str(getattr(function, "__qualname__", repr(function)))
        check_attributes(attributes)
        self.attributes = attributes
        self.record_exception = record_exception
        self.errors = errors
        self.kind = kind

    def begin(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        tracer = sdk_tracer()
        if tracer is None:
            return None
        parent = context_api.get_current()
        span = tracer.start_span(
            self.span_name,
            context=parent,
            kind=self.kind,
            attributes=call_attributes(self.attributes, args, kwargs),
        )
        return SpanCall(
            span,
            in_context(span, parent),
            self.errors or STATE.settings.error_policy,
            record_exception=self.record_exception,
        )

    passes_context = False

    def incoming_headers(self, args: Any, kwargs: Any) -> object:
        return None

    def swallow(self, exc: BaseException) -> bool:
        return False


class Traced:
    """``@traced``, ``@traced(name=..., attributes=...)``, and the messaging forms."""

    @overload
    def __call__(self, function: F, /) -> F: ...

    @overload
    def __call__(
        self,
        function: None = None,
        /,
        *,
        name: str | None = None,
        attributes: Attributes = None,
        record_exception: bool = True,
        errors: ErrorPolicy | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
    ) -> Callable[[F], F]: ...

    def __call__(
        self,
        function: Callable[..., Any] | None = None,
        /,
        *,
        name: str | None = None,
        attributes: Attributes = None,
        record_exception: bool = True,
        errors: ErrorPolicy | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
    ) -> Any:
        def decorate(target: F) -> F:
            return wrap(
                target,
                FunctionOperation(
                    _unwrap_descriptor(target),
                    name=name,
                    attributes=attributes,
                    record_exception=record_exception,
                    errors=errors,
                    kind=kind,
                ),
            )

        return decorate if function is None else decorate(function)

    def consumer(
        self,
        destination: Destination,
        *,
        system: str,
        message: MessageSelector = None,
        headers: Callable[[Any], object] | None = None,
        attributes: Attributes = None,
        errors: ErrorPolicy | None = None,
        parent: bool = True,
        sequence: Sequencer | None = None,
        consumer_group: str | None = None,
        settle: bool = False,
        max_attempts: int | None = None,
        retry_delay: RetryDelay | None = None,
        dead_letter: str | None = None,
    ) -> Callable[[F], F]:
        """A CONSUMER span ``process {destination}`` that continues the producer's trace.

        The message is the handler's first argument (after ``self``), or the one ``message``
        names (a keyword name or a position); pika's ``(channel, method, properties, body)`` is
        recognised. ``headers`` reads the headers of anything else. Business outcomes are
        recorded and not re-raised (no retry chain); other failures are re-raised unchanged.

        ``settle=True``: obskit acknowledges, retries (``max_attempts`` deliveries in all,
        ``retry_delay`` seconds or a function of the attempt apart) or dead-letters (to
        ``dead_letter``, default ``{destination}.dead-letter``) each message by its outcome,
        through the client's own API, and re-raises nothing it settled. Unset options come from
        the ErrorPolicy.
        """
        operation = ConsumerOperation(
            destination,
            system=system,
            message=message,
            headers=headers,
            attributes=attributes,
            errors=errors,
            parent=parent,
            sequence=sequence,
            consumer_group=consumer_group,
        )
        if not settle:
            return lambda function: wrap(function, operation)
        options = SettleOptions(max_attempts, retry_delay, dead_letter)
        return lambda function: wrap(settling(function, operation, options, batch=False), operation)

    def batch_consumer(
        self,
        destination: Destination,
        *,
        system: str,
        message: MessageSelector = None,
        headers: Callable[[Any], object] | None = None,
        attributes: Attributes = None,
        errors: ErrorPolicy | None = None,
        settle: bool = False,
        max_attempts: int | None = None,
        retry_delay: RetryDelay | None = None,
        dead_letter: str | None = None,
    ) -> Callable[[F], F]:
        """One CONSUMER span for a batch, with a link to each message's producer.

        ``settle=True`` settles every message of the batch by the handler's outcome, each
        within its own retry budget (see :meth:`consumer`).
        """
        operation = BatchConsumerOperation(
            destination,
            system=system,
            message=message,
            headers=headers,
            attributes=attributes,
            errors=errors,
        )
        if not settle:
            return lambda function: wrap(function, operation)
        options = SettleOptions(max_attempts, retry_delay, dead_letter)
        return lambda function: wrap(settling(function, operation, options, batch=True), operation)

    def producer(
        self,
        destination: str,
        *,
        system: str,
        attributes: Attributes = None,
        errors: ErrorPolicy | None = None,
    ) -> Callable[[F], F]:
        """A PRODUCER span ``send {destination}``; call ``obskit.inject(headers)`` inside."""
        operation = ProducerOperation(
            destination, system=system, attributes=attributes, errors=errors
        )
        return lambda function: wrap(function, operation)


def _unwrap_descriptor(target: Any) -> Any:
    return getattr(target, "__func__", target)


traced = Traced()
