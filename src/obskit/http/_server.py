"""What the ASGI and WSGI middleware share: options, attribute helpers and the end of a span.

The per-request state lives in :class:`ServerExchange` (one per request), never on a middleware.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from typing import Any, Final

from opentelemetry.context import Context
from opentelemetry.trace import NonRecordingSpan, Span, Status, StatusCode, set_span_in_context

from obskit import _traceparent
from obskit._providers import instruments
from obskit._spans import record_outcome
from obskit._state import STATE, first_time
from obskit.errors import ErrorKind, ErrorPolicy, error_type
from obskit.http import _http_names as n
from obskit.http._http_redaction import header_value

_log = logging.getLogger("obskit.http")

Exclude = str | re.Pattern[str] | Callable[[str], bool]
_ERROR_STATUS: Final = Status(StatusCode.ERROR)
_GLOB_CHARS: Final = frozenset("*?[")


def method_attributes(raw: str) -> tuple[str, dict[str, Any]]:
    """``(method, attributes)``: unknown methods become ``_OTHER`` plus the original spelling."""
    if raw in n.KNOWN_METHODS:
        return raw, {n.HTTP_REQUEST_METHOD: raw}
    upper = raw.upper()
    if upper in n.KNOWN_METHODS:
        return upper, {n.HTTP_REQUEST_METHOD: upper, n.HTTP_REQUEST_METHOD_ORIGINAL: raw}
    return n.OTHER, {n.HTTP_REQUEST_METHOD: n.OTHER, n.HTTP_REQUEST_METHOD_ORIGINAL: raw}


def span_name(method: str) -> str:
    """The span name's method part: ``HTTP`` for methods the conventions do not know."""
    return "HTTP" if method == n.OTHER else method


def compile_exclude(patterns: Iterable[Exclude]) -> Callable[[str], bool] | None:
    """One predicate over a path: exact strings, globs (``/static/*``), regexes or callables."""
    exact: set[str] = set()
    regexes: list[str] = []
    callables: list[Callable[[str], bool]] = []
    for pattern in patterns:
        if isinstance(pattern, re.Pattern):
            regexes.append(f"(?:{pattern.pattern})")
        elif isinstance(pattern, str):
            if _GLOB_CHARS.intersection(pattern):
                regexes.append(f"(?:{fnmatch.translate(pattern)})")
            else:
                exact.add(pattern)
        elif callable(pattern):
            callables.append(pattern)
        else:
            raise TypeError(
                f"exclude= takes strings, compiled regexes or callables, not {pattern!r}"
            )
    if not (exact or regexes or callables):
        return None
    combined = re.compile("|".join(regexes)).fullmatch if regexes else None

    def excluded(path: str) -> bool:
        if path in exact or (combined is not None and combined(path) is not None):
            return True
        return any(check(path) for check in callables)

    return excluded


class HeaderCapture:
    """Which request/response headers become span attributes, and which of them are redacted."""

    __slots__ = ("names", "request_keys", "response_keys")

    def __init__(self, names: Iterable[str]) -> None:
        self.names = tuple(dict.fromkeys(name.lower() for name in names))
        suffixes = {name: name.replace("-", "_") for name in self.names}
        self.request_keys = {
            name: f"{n.HTTP_REQUEST_HEADER}.{suffixes[name]}" for name in self.names
        }
        self.response_keys = {
            name: f"{n.HTTP_RESPONSE_HEADER}.{suffixes[name]}" for name in self.names
        }

    def attributes(
        self, headers: Iterable[tuple[str, str]], keys: dict[str, str]
    ) -> dict[str, tuple[str, ...]]:
        found: dict[str, list[str]] = {}
        for name, value in headers:
            if name in keys:
                found.setdefault(name, []).append(header_value(name, value))
        return {keys[name]: tuple(values) for name, values in found.items()}


def traceparent_context(traceparent: str) -> Context:
    """What ``propagation.extract`` returns for a carrier holding one ``traceparent`` and no
    other trace header under the default propagators, without building and rescanning one."""
    span_context = _traceparent.parse_traceparent([traceparent])
    if span_context is None:
        return Context()
    return set_span_in_context(NonRecordingSpan(span_context), Context())


def split_host(host: str, scheme: str) -> tuple[str, int | None]:
    """``server.address`` and ``server.port`` from a ``Host`` header (IPv6 literals included)."""
    if host.startswith("["):
        end = host.find("]")
        address, rest = host[1:end], host[end + 1 :]
        port_text = rest[1:] if rest.startswith(":") else ""
    else:
        address, _, port_text = host.partition(":")
    if port_text.isascii() and port_text.isdigit():  # str.isdigit also takes '²' (byte 0xB2)
        return address, int(port_text)
    return address, 443 if scheme in ("https", "wss") else 80


def setup_failed() -> None:
    """obskit could not set up a request's span: the app runs without one. Logged with its
    traceback the first time only (a client sending malformed headers must not flood logs)."""
    if not first_time("http_setup_failed"):
        _log.debug("obskit: setting up a request span raised", exc_info=True)
        return
    _log.warning(
        "obskit: setting up a request span raised; the request runs without a span "
        "(later failures are logged at DEBUG)",
        exc_info=True,
    )


class ServerExchange:
    """One request's SERVER span from start to end: status, outcome, duration metric."""

    __slots__ = (
        "disconnected",
        "error_type",
        "kind",
        "method",
        "metric_attributes",
        "policy",
        "route",
        "span",
        "start",
        "status",
    )

    def __init__(
        self, span: Span, method: str, metric_attributes: dict[str, Any], policy: ErrorPolicy
    ) -> None:
        self.span = span
        self.method = span_name(method)
        self.metric_attributes = metric_attributes
        self.policy = policy
        self.start = time.perf_counter()
        self.status = 0
        self.route: str | None = None
        self.kind: ErrorKind | None = None
        self.error_type: str | None = None
        self.disconnected = False

    def set_route(self, route: str | None) -> None:
        if route:
            self.route = route
            self.span.update_name(f"{self.method} {route}")

    def record_failure(self, exc: BaseException) -> ErrorKind:
        """Classify an exception that escaped the app (the span's verdict comes from the policy)."""
        try:
            self.kind = record_outcome(self.span, exc, self.policy)
            if self.kind is not ErrorKind.CANCELLED:
                self.error_type = error_type(exc)
        except Exception:  # instrumentation must never change what the caller sees
            _log.warning("obskit: recording a failed request raised", exc_info=True)
            self.kind = ErrorKind.UNEXPECTED
        return self.kind

    def client_disconnected(self) -> None:
        if not self.disconnected:
            self.disconnected = True
            self.span.set_attribute(n.OBSKIT_CLIENT_DISCONNECTED, True)
            self.span.add_event(n.EVENT_CLIENT_DISCONNECT)

    def finish(self) -> None:
        try:
            self._finish()
        except Exception:
            _log.warning("obskit: ending a request span raised", exc_info=True)

    def _finish(self) -> None:
        span, status = self.span, self.status
        attributes = self.metric_attributes
        late: dict[str, Any] = {}
        if self.route is not None:
            late[n.HTTP_ROUTE] = attributes[n.HTTP_ROUTE] = self.route
        if status:
            late[n.HTTP_RESPONSE_STATUS_CODE] = attributes[n.HTTP_RESPONSE_STATUS_CODE] = status
            if status >= 500 and self.kind is not ErrorKind.BUSINESS:
                if self.error_type is None:
                    self.error_type = late[n.ERROR_TYPE] = str(status)
                span.set_status(_ERROR_STATUS)
        if self.error_type is not None:
            attributes[n.ERROR_TYPE] = self.error_type
        span.set_attributes(late)  # one lock and one pass, after the app ran
        span.end()
        instruments().http_server_duration.record(time.perf_counter() - self.start, attributes)


def business_answer(error_type: str | None) -> bytes:
    """The ``422`` body for a business outcome: its ``error.type`` only. The exception's text
    stays in telemetry (scrubbed): it may name customers, amounts or secrets."""
    return json.dumps({"error": error_type}).encode()


def error_policy(errors: ErrorPolicy | None) -> ErrorPolicy:
    return errors if errors is not None else STATE.settings.error_policy


def server_options(
    exclude: Iterable[Exclude], capture_headers: Iterable[str]
) -> tuple[Callable[[str], bool] | None, HeaderCapture | None]:
    """The middleware options both server flavours share, compiled once: the exclusion
    matcher and the header capture (None when there is nothing to do per request)."""
    capture = HeaderCapture(capture_headers)
    return compile_exclude(exclude), (capture if capture.names else None)
