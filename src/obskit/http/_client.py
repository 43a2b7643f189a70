"""One outgoing HTTP request as a CLIENT span: what the httpx and requests hooks share."""

from __future__ import annotations

import logging
import time
from typing import Any, Final

from opentelemetry import baggage, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer

from obskit import _traceparent, propagation
from obskit._providers import instruments
from obskit._spans import record_outcome
from obskit._state import STATE
from obskit.errors import ErrorKind, error_type
from obskit.http import _http_names as n
from obskit.http._http_redaction import redact_url
from obskit.http._server import method_attributes, span_name

_log = logging.getLogger("obskit.http")
_CLIENT_KIND = SpanKind.CLIENT
_ERROR_STATUS: Final = Status(StatusCode.ERROR)
_DEFAULT_PORTS: Final = {"https": 443, "http": 80, "wss": 443, "ws": 80}


class ClientCall:
    """Started before the request is sent (after the context was injected), ended after."""

    __slots__ = ("metric_attributes", "span", "start")

    def __init__(
        self,
        tracer: Tracer,
        headers: Any,
        method: str,
        url: str,
        scheme: str,
        host: str,
        port: int | None,
        resend_count: int,
        *,
        setitem_replaces: bool = False,
    ) -> None:
        name, attributes = method_attributes(method)
        if port is None:
            port = _DEFAULT_PORTS.get(scheme)
        attributes[n.URL_FULL] = redact_url(url)
        attributes[n.SERVER_ADDRESS] = host
        # the conventions' required and recommended set (url.scheme is opt-in for client metrics)
        metric_attributes: dict[str, Any] = {n.HTTP_REQUEST_METHOD: name, n.SERVER_ADDRESS: host}
        if port is not None:
            attributes[n.SERVER_PORT] = port
            metric_attributes[n.SERVER_PORT] = port
        if resend_count:
            attributes[n.HTTP_REQUEST_RESEND_COUNT] = resend_count
        self.span = span = tracer.start_span(
            span_name(name), propagation.current_context(), _CLIENT_KIND, attributes
        )
        self.metric_attributes = metric_attributes
        _inject(headers, span, setitem_replaces, host)
        self.start = time.perf_counter()

    def responded(self, status: int, http_version: str | None = None) -> None:
        late: dict[str, Any] = {n.HTTP_RESPONSE_STATUS_CODE: status}
        if http_version:
            version = http_version[5:] if http_version.startswith("HTTP/") else http_version
            late[n.NETWORK_PROTOCOL_VERSION] = version
        if status >= 400:  # 4xx and 5xx are client-span errors
            late[n.ERROR_TYPE] = str(status)
            self.span.set_status(_ERROR_STATUS)
        self.span.set_attributes(late)  # one lock and one validation pass
        self.metric_attributes.update(late)

    def failed(self, exc: BaseException) -> None:
        try:
            policy = STATE.settings.error_policy
            if record_outcome(self.span, exc, policy) is ErrorKind.CANCELLED:
                return  # the caller gave up: no error (semantic conventions 1.40)
            self.metric_attributes[n.ERROR_TYPE] = error_type(exc)
            self.span.set_status(_ERROR_STATUS)  # the request did not complete
        except Exception:
            _log.warning("obskit: recording a failed HTTP call raised", exc_info=True)

    def finish(self) -> None:
        try:
            self.span.end()
            instruments().http_client_duration.record(
                time.perf_counter() - self.start, self.metric_attributes
            )
        except Exception:
            _log.warning("obskit: ending an HTTP client span raised", exc_info=True)


def forwards_baggage(host: str) -> bool:
    """Whether a call to ``host`` may carry the current baggage: ``configure(baggage_hosts=...)``
    names the hosts (``api.example.com``) and domains (``.example.com``, its subdomains); not
    given, every host does (the OpenTelemetry default)."""
    allowed = STATE.settings.baggage_hosts
    if allowed is None:
        return True
    host = host.lower().rstrip(".")
    return host in allowed or any(
        entry.startswith(".") and (host.endswith(entry) or host == entry[1:]) for entry in allowed
    )


def _inject(headers: Any, span: Span, setitem_replaces: bool, host: str) -> None:
    """Write ``span``'s context (and the current baggage, if ``host`` may have it) into the
    request's headers.

    ``setitem_replaces``: ``headers[name] = text`` already replaces every spelling of ``name``
    (``httpx.Headers``). Then, with the default propagators and no baggage, the two trace
    headers are set directly: what ``propagation.inject`` writes, without its generic
    mapping setter (which decodes and scans every header of the request, twice).
    """
    context = None
    carried = baggage.get_all()
    if carried and not forwards_baggage(host):
        context, carried = baggage.clear(), {}  # the trace goes on; the baggage stays home
    if setitem_replaces and not carried and propagation._uses_default_propagators():
        span_context = span.get_span_context()
        if span_context.is_valid:
            headers[_traceparent.TRACEPARENT] = _traceparent.format_traceparent(span_context)
            if span_context.trace_state:
                headers[_traceparent.TRACESTATE] = span_context.trace_state.to_header()
        return
    propagation.inject(headers, trace.set_span_in_context(span, context))
