"""A recorded call: its span, its context, its outcome and its metrics."""

from __future__ import annotations

import logging
import os
import time
import traceback
from collections.abc import Callable
from contextvars import Token
from typing import Any

from opentelemetry import _logs, trace
from opentelemetry import context as context_api
from opentelemetry.trace import Span, Status, StatusCode

from obskit import _semconv_names as sc
from obskit._state import STATE, policy, scrub_text
from obskit._validator import ConventionError
from obskit.errors import ErrorKind, ErrorPolicy, error_type

_log = logging.getLogger("obskit")

_set_span_in_context = trace.set_span_in_context
_attach = context_api.attach
_detach = context_api.detach
_ERROR_STATUS_CACHE: dict[str, Status] = {}


#: where exceptions go (semantic conventions 1.40): ``logs`` as log records instead of span
#: events, ``logs/dup`` as both; unset, span events only
EXCEPTION_SIGNAL_OPT_IN = "OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN"


def exception_signals() -> tuple[bool, bool]:
    """``(as a span event, as a log record)``, read when an exception is recorded."""
    chosen = {v.strip() for v in os.environ.get(EXCEPTION_SIGNAL_OPT_IN, "").split(",")}
    if "logs/dup" in chosen:
        return True, True
    return ("logs" not in chosen), ("logs" in chosen)


def add_exception_event(span: Span, exc: BaseException, etype: str) -> None:
    """The conventions' ``exception`` event, without the SDK's deprecated ``exception.escaped``
    (``Span.record_exception`` still adds it), so obskit's telemetry passes its own checks.
    Message and stack trace are scrubbed like log fields: exceptions carry URLs, DSNs, tokens.
    With ``OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN`` it is (also) a log record named
    ``exception`` in the span's context."""
    attributes = {
        sc.EXCEPTION_TYPE: etype,
        sc.EXCEPTION_MESSAGE: scrub_text(str(exc)),
        sc.EXCEPTION_STACKTRACE: scrub_text("".join(traceback.format_exception(exc))),
    }
    as_event, as_log = exception_signals()
    if as_event:
        span.add_event("exception", attributes)
    if as_log:
        _logs.get_logger("obskit").emit(
            context=_set_span_in_context(span),
            severity_number=_logs.SeverityNumber.ERROR,
            severity_text="ERROR",
            event_name="exception",
            attributes=attributes,
        )


def record_outcome(
    span: Span, exc: BaseException, policy: ErrorPolicy, *, record_exception: bool = True
) -> ErrorKind:
    """Classify ``exc`` and put the verdict on the span: attributes, status, exception event.

    A cancellation is no failure: it gets ``obskit.error.kind = cancelled`` and nothing else."""
    kind = policy.classify(exc)
    if span.is_recording():
        span.set_attribute(sc.OBSKIT_ERROR_KIND, kind.value)
        span.set_attribute(sc.OBSKIT_OUTCOME, kind.value)
        if kind is ErrorKind.CANCELLED:
            return kind
        etype = error_type(exc)
        span.set_attribute(sc.ERROR_TYPE, etype)
        if record_exception:
            add_exception_event(span, exc, etype)
        if kind.is_span_error:
            span.set_status(Status(StatusCode.ERROR, scrub_text(f"{kind.value}: {exc}")[:256]))
    return kind


def in_context(span: Span, parent: context_api.Context | None) -> context_api.Context:
    """``parent`` with ``span`` as its current span: the context a call runs in."""
    return _set_span_in_context(span, parent)


class SpanCall:
    """Implements ``_instrument.Call`` for one span; subclasses add metrics."""

    __slots__ = (
        "context", "error_type", "kind", "policy", "record_exception", "reraise_all", "span",
        "start",
    )  # fmt: skip

    def __init__(
        self,
        span: Span,
        context: context_api.Context,
        policy: ErrorPolicy,
        *,
        record_exception: bool = True,
        reraise_all: bool = True,
    ) -> None:
        self.span = span
        self.context = context  # the call's own: its span in it (see ``in_context``)
        self.policy = policy
        self.record_exception = record_exception
        self.reraise_all = reraise_all
        self.kind: ErrorKind | None = None
        #: kept here, not read back from the span: an unsampled span has no attributes
        self.error_type: str | None = None
        self.start = time.perf_counter()

    def attach(self) -> Token[context_api.Context]:
        return _attach(self.context)

    def detach(self, token: Token[context_api.Context]) -> None:
        _detach(token)

    def failed(self, exc: BaseException) -> bool:
        try:
            self.kind = record_outcome(
                self.span, exc, self.policy, record_exception=self.record_exception
            )
            if self.kind is not ErrorKind.CANCELLED:
                self.error_type = error_type(exc)
        except Exception:  # instrumentation must never change what the caller sees
            _log.warning("obskit: recording a failure raised", exc_info=True)
            return True
        # only ordinary exceptions may be swallowed: never cancellation, exits or interrupts
        return (
            self.reraise_all
            or not isinstance(exc, Exception)
            or self.policy.should_reraise(self.kind)
        )

    def finish(self) -> None:
        self.span.end()


_WARNED_MAX = 1024


def warn_once(owner: object, what: str) -> None:
    """One warning (with the traceback) per decorated function or hook and problem; later
    occurrences at DEBUG, so a hook that always raises cannot flood the log."""
    key = (id(owner), what)
    warned = STATE.warned
    if key in warned or len(warned) >= _WARNED_MAX:
        _log.debug("obskit: %s: %s", _describe(owner), what, exc_info=True)
        return
    warned.add(key)
    _log.warning("obskit: %s: %s", _describe(owner), what, exc_info=True)


def begin_failed(operation: object, exc: Exception) -> None:
    """Setting up a call's span raised: strict mode's finding goes to the caller (they asked
    for it); anything else is warned about once and the handler runs without a span."""
    if isinstance(exc, ConventionError):
        raise exc
    warn_once(operation, "setting up its span raised; it runs without one")


def _describe(owner: object) -> str:
    name = getattr(owner, "span_name", None) or getattr(owner, "__qualname__", None)
    return str(name) if name else type(owner).__name__


def check_attributes(attributes: object) -> None:
    """Refuse ``attributes=`` of the wrong shape where it is given (at decoration), not on
    every call: a dict with string keys, a callable, or None."""
    if attributes is None or callable(attributes):
        return
    if not isinstance(attributes, dict):
        raise TypeError(f"attributes= takes a dict or a callable, not {attributes!r}")
    for key in attributes:
        if not isinstance(key, str):
            raise TypeError(f"attribute names must be strings, not {key!r}")


def call_attributes(
    attributes: dict[str, Any] | Callable[..., dict[str, Any]] | None,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> dict[str, Any] | None:
    """User attributes for this call: a dict, or a callable of the function's arguments.

    They pass the convention validator (cached per key; ``fix`` renames, ``strict`` raises).
    """
    if attributes is None:
        return None
    if not isinstance(attributes, dict):
        try:
            attributes = dict(attributes(*args, **kwargs))
        except Exception:
            warn_once(attributes, "the attributes= callable raised; no attributes added")
            return None
    return validate_attributes(attributes)


def validate_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    """User-given span attributes through the configured validator and redactor: sensitive
    values never reach a span, and the caller's dict is never changed."""
    resolved = STATE.policy
    if resolved is None or resolved.settings is not STATE.settings:
        resolved = policy()
    validator = resolved.validator
    checked = attributes if validator is None else validator.attributes(attributes)
    return resolved.redactor.redacted(checked)
