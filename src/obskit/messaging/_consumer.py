"""``@traced.consumer`` and ``@traced.batch_consumer``: CONSUMER spans around message handlers."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry import context as context_api
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, SpanKind

from obskit import _semconv_names as sc
from obskit import propagation
from obskit._providers import instruments, sdk_tracer
from obskit._spans import SpanCall, call_attributes, check_attributes, warn_once
from obskit._state import STATE, scrub_text
from obskit.errors import ErrorKind, ErrorPolicy, error_type
from obskit.messaging import _observe
from obskit.messaging._adapter import argument_shapes, read_message
from obskit.messaging._observe import Sequencer as Sequencer
from obskit.messaging._settle import CONSUMER_CALL_KEY
from obskit.propagation import SPAN_KEY, extract_incoming

_log = logging.getLogger("obskit.messaging")
_CONSUMER = SpanKind.CONSUMER
_ROOT = Context()  # parent=False: every message starts a trace of its own (a link keeps it)

Destination = str | Callable[..., str]
MessageSelector = str | int | None
Attributes = dict[str, Any] | Callable[..., dict[str, Any]] | None


def log_outcome(kind: ErrorKind, exc: BaseException, metric_attributes: dict[str, Any]) -> None:
    """One log line per failed message, at the level the error kind calls for (every field a
    registered log key, so the line passes obskit's own conventions)."""
    try:
        destination = metric_attributes.get(sc.MESSAGING_DESTINATION_NAME) or (
            metric_attributes.get(sc.MESSAGING_DESTINATION_TEMPLATE)
        )
        fields = {
            "error_type": error_type(exc),
            "obskit_error_kind": kind.value,
            "messaging_destination_name": destination,
            "exception_message": scrub_text(str(exc))[:200],  # scrubbed whole, then cut
        }
        event = "message_failed" if kind.is_span_error else "message_refused"
        level = ErrorPolicy.log_level(kind)
        if STATE.log_event is not None:  # the log chain, once loaded (configure(), capture())
            STATE.log_event("obskit.messaging", level, event, fields)
        else:
            getattr(_log, level)(event, extra=fields)
    except Exception:  # logging must never change what the handler's caller sees
        _log.debug("obskit: could not log a consumer outcome", exc_info=True)


class ConsumerCall(SpanCall):
    """A CONSUMER span that also records the messaging metrics when it ends."""

    __slots__ = ("messages", "metric_attributes")

    def __init__(
        self,
        span: Any,
        parent: Context,
        policy: ErrorPolicy,
        metric_attributes: Any,
        messages: int = 1,
    ) -> None:
        # SpanCall's fields, set here rather than through its __init__: one frame less on
        # every message. The span and this call go in one copy of the parent context
        # (``settled()`` finds the call there).
        self.span = span
        self.context = Context({**parent, SPAN_KEY: span, CONSUMER_CALL_KEY: self})
        self.policy = policy
        self.record_exception = True
        self.reraise_all = False  # the policy decides what goes back to the broker client
        self.kind = self.error_type = None
        self.metric_attributes = metric_attributes
        self.messages = messages  # a batch counts every message it consumed
        self.start = time.perf_counter()

    def failed(self, exc: BaseException) -> bool:
        reraise = super().failed(exc)
        if self.kind is not None and self.kind is not ErrorKind.CANCELLED:
            token = context_api.attach(self.context)  # the log line belongs to this span
            try:
                log_outcome(self.kind, exc, self.metric_attributes)
            finally:
                context_api.detach(token)
        return reraise

    def finish(self) -> None:
        duration = time.perf_counter() - self.start
        self.span.end()
        attributes = self.metric_attributes
        if self.error_type is not None:
            attributes = {**attributes, sc.ERROR_TYPE: self.error_type}
        recorded = instruments()
        recorded.process_duration.record(duration, attributes)
        recorded.consumed.add(self.metric_attributes, self.error_type, self.messages)


class ConsumerOperation:
    """Everything one decorated handler needs, computed once at decoration time."""

    def __init__(
        self,
        destination: Destination,
        *,
        system: str,
        operation_name: str = "process",
        message: MessageSelector = None,
        headers: Callable[[Any], object] | None = None,
        attributes: Attributes = None,
        errors: ErrorPolicy | None = None,
        parent: bool = True,
        sequence: Sequencer | None = None,
        consumer_group: str | None = None,
    ) -> None:
        self.destination = destination
        self.message_selector = message
        self.headers = headers
        check_attributes(attributes)
        self.attributes = attributes
        self.errors = errors
        self.use_parent = parent
        self.sequence = sequence
        self.operation_name = operation_name
        self.warned_unreadable = False
        self.base_attributes: dict[str, Any] = {
            sc.MESSAGING_SYSTEM: system,
            sc.MESSAGING_OPERATION_TYPE: "process",
            sc.MESSAGING_OPERATION_NAME: operation_name,
        }
        if consumer_group:
            self.base_attributes[sc.MESSAGING_CONSUMER_GROUP_NAME] = consumer_group
        #: the callable naming each message's destination (None: the name is fixed)
        self.destination_of = None if isinstance(destination, str) else destination
        #: whose duplicates these are: this consumer at its destination (fan-out is no duplicate)
        self.owner = (self, destination) if isinstance(destination, str) else None
        if isinstance(destination, str):
            self.span_name = f"{operation_name} {destination}"
            self.base_attributes[sc.MESSAGING_DESTINATION_NAME] = destination
            self.metric_attributes = _metric_attributes(self.base_attributes)
        else:
            template = getattr(destination, "template", None) or getattr(
                destination, "__name__", "dynamic"
            )
            self.span_name = f"{operation_name} {template}"
            self.base_attributes[sc.MESSAGING_DESTINATION_TEMPLATE] = template
            self.metric_attributes = _metric_attributes(self.base_attributes)

    # -- the message among the handler's arguments ---------------------------------------
    def locate(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        selector = self.message_selector
        if selector is None:
            for shape in argument_shapes.get(len(args), ()):
                message = shape(args)  # pika's (channel, method, properties, body), paho's ...
                if message is not None:
                    return message
            if args:
                return args[0]
            return kwargs.get("message")
        if isinstance(selector, int):
            return args[selector] if -len(args) <= selector < len(args) else None
        return kwargs.get(selector)

    def policy(self) -> ErrorPolicy:
        return self.errors or STATE.settings.error_policy

    # -- Operation protocol -----------------------------------------------------------------
    def begin(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        tracer = sdk_tracer()
        if tracer is None:
            return None
        message = self.locate(args, kwargs)
        info = read_message(message, self.headers)
        parent, producer, sent = extract_incoming(info.headers, sc.SENT_AT_HEADER)
        attributes = self.base_attributes.copy()
        if self.destination_of is not None:
            attributes[sc.MESSAGING_DESTINATION_NAME] = dynamic_destination(
                self.destination_of, args, kwargs
            )
        if info.message_id is not None:
            attributes[sc.MESSAGING_MESSAGE_ID] = info.message_id
        if info.conversation_id is not None:
            attributes[sc.MESSAGING_MESSAGE_CONVERSATION_ID] = info.conversation_id
        if info.body_size is not None:
            attributes[sc.MESSAGING_MESSAGE_BODY_SIZE] = info.body_size
        if info.attributes:
            attributes.update(info.attributes)
        owner = self.owner or (self, info.destination)
        later = _observe.start_attributes(attributes, info, sent, owner, message, self.sequence)
        if producer is None:
            attributes[sc.OBSKIT_CONTEXT_MISSING] = True
            if not info.readable and not self.warned_unreadable:
                self.warn_unreadable(message)
        if self.attributes is not None:
            user = call_attributes(self.attributes, args, kwargs)
            if user:
                attributes.update(user)
        span = tracer.start_span(
            self.span_name,
            parent if self.use_parent else _ROOT,
            _CONSUMER,
            attributes,
            None if producer is None else [Link(producer)],
        )
        if later:
            _observe.after_start(span, attributes, self.metric_attributes)
        policy = self.errors or STATE.settings.error_policy
        return ConsumerCall(span, parent, policy, self.metric_attributes)

    passes_context = True

    def warn_unreadable(self, message: Any) -> None:
        """Once per consumer: a message type obskit cannot read breaks the trace, say so."""
        self.warned_unreadable = True
        _log.warning(
            "obskit: consumer %r cannot read trace context from a %s.%s message, so its trace "
            "starts here; pass headers=<callable returning the headers> to the decorator, or "
            "teach obskit the type with obskit.messaging.register_adapter()",
            self.span_name,
            type(message).__module__,
            type(message).__qualname__,
        )

    def incoming_headers(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> object:
        return read_message(self.locate(args, kwargs), self.headers).headers

    def swallow(self, exc: BaseException) -> bool:
        if not isinstance(exc, Exception):
            return False  # cancellation, exits and interrupts always go back to the caller
        policy = self.policy()
        kind = policy.classify(exc)
        reraise = policy.should_reraise(kind)
        log_outcome(kind, exc, self.metric_attributes)
        return not reraise


def _metric_attributes(span_attributes: dict[str, Any]) -> dict[str, Any]:
    """The duration/consumed metrics' attributes: the conventions' set, low cardinality."""
    return {k: v for k, v in span_attributes.items() if k != sc.MESSAGING_OPERATION_TYPE}


def dynamic_destination(destination: Callable[..., str], args: Any, kwargs: Any) -> str:
    try:
        return str(destination(*args, **kwargs))
    except Exception:
        warn_once(destination, "the destination callable raised; using 'unknown'")
        return "unknown"


class BatchConsumerOperation(ConsumerOperation):
    """One span for a batch: ``messaging.batch.message_count`` and a link per message."""

    def locate_batch(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Sequence[Any]:
        batch = self.locate(args, kwargs)
        return batch if isinstance(batch, Sequence) and not isinstance(batch, str) else ()

    def begin(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        tracer = sdk_tracer()
        if tracer is None:
            return None
        batch = self.locate_batch(args, kwargs)
        links = []
        for message in batch:
            info = read_message(message, self.headers)
            producer = trace.get_current_span(propagation.extract(info.headers)).get_span_context()
            if producer.is_valid:
                links.append(Link(producer))
        attributes = dict(self.base_attributes)
        attributes[sc.MESSAGING_BATCH_MESSAGE_COUNT] = len(batch)
        if self.destination_of is not None:
            attributes[sc.MESSAGING_DESTINATION_NAME] = dynamic_destination(
                self.destination_of, args, kwargs
            )
        if batch and not links:
            attributes[sc.OBSKIT_CONTEXT_MISSING] = True
        user = call_attributes(self.attributes, args, kwargs)
        if user:
            attributes.update(user)
        parent = context_api.get_current()
        span = tracer.start_span(
            self.span_name,
            context=parent,
            kind=SpanKind.CONSUMER,
            attributes=attributes,
            links=links,
        )
        return ConsumerCall(span, parent, self.policy(), self.metric_attributes, len(batch))

    passes_context = False  # a batch has many parents; there is no single one to pass on
