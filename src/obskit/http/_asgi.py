"""``ASGIMiddleware``: a SERVER span per HTTP request or WebSocket session of any ASGI 3 app.

Add it inside the framework's error handling (``app.add_middleware(ASGIMiddleware)`` in Starlette
and FastAPI): the route template is read from ``scope["route"]`` after the app ran, and an
exception escaping the handler reaches the middleware before a response was started.

Responses to failures, decided by the :class:`~obskit.errors.ErrorPolicy`:

- an unexpected, transient or poison exception is recorded (span error, ``error.type``) and
  re-raised, so the framework or server answers 500 as it would without obskit;
- a business-rule violation is recorded as a business outcome (not a span error) and, when no
  response was started yet, answered with ``422 Unprocessable Content`` and a small JSON body
  (``{"error": <error.type>}``, never the exception's text); once a response has started nothing can
  change it, so the exception is only recorded. A policy that re-raises business outcomes gets
  them re-raised instead.
- a client that goes away (``http.disconnect`` while the response is unfinished, or ``OSError``
  from ``send``) is recorded as the ``obskit.http.client_disconnected`` attribute and an event;
  the resulting disconnect exception is not raised to the server.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from opentelemetry import context as context_api
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind

from obskit import propagation
from obskit._providers import sdk_tracer
from obskit._state import first_time
from obskit.errors import ErrorKind, ErrorPolicy
from obskit.http import _http_names as n
from obskit.http._http_redaction import redact_query
from obskit.http._server import (
    Exclude,
    ServerExchange,
    business_answer,
    error_policy,
    method_attributes,
    server_options,
    setup_failed,
    span_name,
    split_host,
    traceparent_context,
)

__all__ = ["ASGIMiddleware"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# FastAPI (0.16x) records its own SERVER span and duration metric unless this scope key is
# present: obskit sets it (to None) so a FastAPI app inside the middleware stays quiet.
_FASTAPI_TELEMETRY = "fastapi.telemetry"
_log = logging.getLogger("obskit.http")
_TRACE_HEADERS = frozenset({b"traceparent", b"tracestate", b"baggage"})
_SERVER_KIND = SpanKind.SERVER
_attach = context_api.attach
_detach = context_api.detach
_set_span_in_context = trace.set_span_in_context


def _warn_duplicate_fastapi_spans() -> None:
    if first_time("fastapi_duplicate_spans"):
        _log.warning(
            "obskit: FastAPI's own telemetry also records this request; create the app with "
            'FastAPI(telemetry={"tracing": False, "metrics": False}) to keep one SERVER span'
        )


def _is_disconnect(exc: BaseException) -> bool:
    return isinstance(exc, OSError) or type(exc).__name__ == "ClientDisconnect"


class ASGIMiddleware:
    """SERVER spans and ``http.server.request.duration`` for an ASGI 3 application.

    ``exclude``: paths that get no span (exact strings, globs such as ``/static/*``, compiled
    regexes, or callables of the path). ``capture_headers``: request and response header names
    recorded as ``http.request.header.<name>`` / ``http.response.header.<name>``; sensitive ones
    are redacted. ``errors``: the :class:`~obskit.errors.ErrorPolicy` (default: the configured
    one). Lifespan and other scope types pass through untouched.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        exclude: Iterable[Exclude] = (),
        capture_headers: Iterable[str] = (),
        errors: ErrorPolicy | None = None,
    ) -> None:
        self.app = app
        self._excluded, self._capture = server_options(exclude, capture_headers)
        self._errors = errors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope_type = scope["type"]
        if scope_type != "http" and scope_type != "websocket":
            await self.app(scope, receive, send)
            return
        tracer = sdk_tracer()
        if tracer is None:
            # Nothing records: pass the caller's context through to outgoing calls, lazily.
            token = propagation.set_pending_headers(scope["headers"])
            try:
                await self.app(scope, receive, send)
            finally:
                propagation.reset_pending_headers(token)
            return
        try:
            request = self._request(scope, tracer, receive, send)
        except Exception:  # instrumentation must never break the host: run the app untraced
            setup_failed()
            request = None
        if request is None:
            await self.app(scope, receive, send)
            return
        attached = _attach(request.context)
        try:
            await self.app(scope, request.receive, request.send)
        except Exception as exc:
            if not await request.failed(exc):
                raise
        except BaseException as exc:  # cancelled (client gone, shutdown): recorded as such
            request.record_failure(exc)
            raise
        finally:
            _detach(attached)
            request.finish()

    def _request(self, scope: Scope, tracer: Any, receive: Receive, send: Send) -> _Request | None:
        """The request's exchange (its span started), or None for an excluded path."""
        if self._excluded is not None and self._excluded(scope["path"]):
            return None
        outer = scope.setdefault(_FASTAPI_TELEMETRY, None)
        if getattr(outer, "span", None) is not None:  # FastAPI's own SERVER span, not just logs
            _warn_duplicate_fastapi_spans()
        return _Request(self, scope, tracer, receive, send)


class _Request(ServerExchange):
    """One HTTP request or WebSocket session: the span, the wrapped ``receive``/``send``."""

    __slots__ = (
        "_receive",
        "_send",
        "capture",
        "complete",
        "context",
        "root_path",
        "scope",
        "started",
        "websocket",
    )

    def __init__(
        self, middleware: ASGIMiddleware, scope: Scope, tracer: Any, receive: Receive, send: Send
    ) -> None:
        self.scope = scope
        self._receive = receive
        self._send = send
        self.capture = middleware._capture
        self.websocket = scope["type"] == "websocket"
        self.started = False
        self.complete = False
        self.root_path = scope.get("root_path", "")
        scheme = scope.get("scheme") or ("ws" if self.websocket else "http")
        method, attributes = method_attributes(scope.get("method", "GET"))
        host = user_agent = None
        carrier: dict[str, list[bytes]] | None = None
        headers = scope["headers"]
        for name, value in headers:
            if name == b"host":
                host = value
            elif name == b"user-agent":
                user_agent = value
            elif name in _TRACE_HEADERS or name.lower() in _TRACE_HEADERS:
                if carrier is None:
                    carrier = {}
                carrier.setdefault(name.lower().decode(), []).append(value)
        attributes[n.URL_PATH] = scope["path"]
        attributes[n.URL_SCHEME] = scheme
        query = scope.get("query_string")
        if query:
            attributes[n.URL_QUERY] = redact_query(query.decode("latin-1"))
        if host is not None:
            address, port = split_host(host.decode("latin-1"), scheme)
            attributes[n.SERVER_ADDRESS] = address
            if port is not None:
                attributes[n.SERVER_PORT] = port
        elif scope.get("server"):
            address, port = scope["server"]
            attributes[n.SERVER_ADDRESS] = address
            if port is not None:
                attributes[n.SERVER_PORT] = port
        client = scope.get("client")
        if client:
            attributes[n.CLIENT_ADDRESS] = client[0]
        if user_agent is not None:
            attributes[n.USER_AGENT_ORIGINAL] = user_agent.decode("latin-1")
        version = scope.get("http_version")
        if version:
            attributes[n.NETWORK_PROTOCOL_VERSION] = version
        if self.capture is not None:
            attributes.update(self.capture.attributes(_decoded(headers), self.capture.request_keys))
        policy = error_policy(middleware._errors)
        parent = _extract(carrier, headers)
        # the policy first: a failure while setting up must not leave a started span open
        span = tracer.start_span(span_name(method), parent, _SERVER_KIND, attributes)
        metric_attributes: dict[str, Any] = {
            n.HTTP_REQUEST_METHOD: method,
            n.URL_SCHEME: scheme,
        }
        if version:
            metric_attributes[n.NETWORK_PROTOCOL_VERSION] = version
        super().__init__(span, method, metric_attributes, policy)
        self.context = _set_span_in_context(span, parent)

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.disconnect" and not self.complete:
            self.client_disconnected()
        return message

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.started = True
            self.status = int(message["status"])
            if self.capture is not None:
                self.span.set_attributes(
                    self.capture.attributes(
                        _decoded(message.get("headers", ())), self.capture.response_keys
                    )
                )
        elif kind == "http.response.body":
            if not message.get("more_body", False):
                self.complete = True
        elif kind == "websocket.accept":
            self.started = True
            self.status = 101
        elif kind == "websocket.close":
            if not self.started:
                self.started = True
                self.status = 403
            self.complete = True
        elif kind == "websocket.http.response.start":
            self.started = True
            self.status = int(message["status"])
        try:
            await self._send(message)
        except OSError:
            self.client_disconnected()
            raise

    async def failed(self, exc: Exception) -> bool:
        """Record ``exc``; True when it was dealt with here and must not reach the server."""
        if self.disconnected and _is_disconnect(exc):
            return True
        kind = self.record_failure(exc)
        if kind is not ErrorKind.BUSINESS or self.policy.should_reraise(kind):
            return False
        if not self.started:
            await self._answer_business(exc)
        return True

    async def _answer_business(self, exc: Exception) -> None:
        try:
            if self.websocket:
                await self._send({"type": "websocket.close", "code": 1008, "reason": ""})
                return
            body = business_answer(self.error_type)
            await self.send(
                {
                    "type": "http.response.start",
                    "status": 422,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await self.send({"type": "http.response.body", "body": body})
        except OSError:
            self.client_disconnected()

    def finish(self) -> None:
        route = self.scope.get("route")
        path = getattr(route, "path", None) if route is not None else None
        if isinstance(path, str):
            mounted = self.scope.get("root_path", "")
            if mounted != self.root_path and mounted.startswith(self.root_path):
                path = mounted[len(self.root_path) :] + path
            self.set_route(path)
        super().finish()


def _decoded(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in headers]


def _extract(carrier: dict[str, list[bytes]] | None, headers: Any) -> Context:
    """The caller's context; the header list is scanned once, and only when it can matter."""
    if not propagation._uses_default_propagators():
        return propagation.extract(headers)  # another propagator may read other headers
    if carrier is None:
        return Context()
    if len(carrier) == 1:
        parents = carrier.get("traceparent")
        if parents is not None and len(parents) == 1 and parents[0].isascii():
            return traceparent_context(parents[0].decode("ascii"))
    return propagation.extract(carrier)
