"""``WSGIMiddleware``: a SERVER span per request of any WSGI app (Flask, Django, ...).

The span stays open while the server iterates the response body and ends when the server closes
it, so streamed bodies are covered. A WSGI app has no route template in ``environ``: the route
comes from ``environ["obskit.http.route"]``, which :func:`flask_route` fills for Flask (any other
framework can set the same key from its own hook).

Failures follow the :class:`~obskit.errors.ErrorPolicy`: a business-rule violation escaping the
app before ``start_response`` is answered ``422`` with a JSON body and not re-raised (unless the
policy re-raises business outcomes); every other exception is recorded and re-raised.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any, TypeVar

from opentelemetry import context as context_api
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind

from obskit import propagation
from obskit._providers import sdk_tracer
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

__all__ = ["WSGIMiddleware", "flask_route"]

Environ = dict[str, Any]
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

_App = TypeVar("_App")
_SERVER_KIND = SpanKind.SERVER
#: where a framework hook finds the request's exchange (see :func:`flask_route`)
ENVIRON_EXCHANGE = "obskit.http.exchange"
_TRACE_KEYS = (
    ("HTTP_TRACEPARENT", "traceparent"),
    ("HTTP_TRACESTATE", "tracestate"),
    ("HTTP_BAGGAGE", "baggage"),
)


class EnvironHeaders:
    """A read-only header view of a WSGI ``environ`` (``HTTP_*`` keys), for ``propagation``."""

    __slots__ = ("environ",)

    def __init__(self, environ: Environ) -> None:
        self.environ = environ

    def getall(self, key: str) -> list[str]:
        name = key.upper().replace("-", "_")
        if name not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = "HTTP_" + name
        value = self.environ.get(name)
        return [] if value is None else [value]

    def keys(self) -> list[str]:
        return [k[5:].lower().replace("_", "-") for k in self.environ if k.startswith("HTTP_")]


class WSGIMiddleware:
    """SERVER spans and ``http.server.request.duration`` for a WSGI application.

    Options as for :class:`~obskit.http.ASGIMiddleware`: ``exclude``, ``capture_headers``,
    ``errors``.
    """

    def __init__(
        self,
        app: WSGIApp,
        *,
        exclude: Iterable[Exclude] = (),
        capture_headers: Iterable[str] = (),
        errors: ErrorPolicy | None = None,
    ) -> None:
        self.app = app
        self._excluded, self._capture = server_options(exclude, capture_headers)
        self._errors = errors

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        tracer = sdk_tracer()
        if tracer is None:
            token = propagation.set_pending_headers(EnvironHeaders(environ))
            try:
                return self.app(environ, start_response)
            finally:
                propagation.reset_pending_headers(token)
        try:
            path = _path(environ)
            if self._excluded is not None and self._excluded(path):
                request = None
            else:
                request = _Request(self, environ, path, tracer, start_response)
        except Exception:  # instrumentation must never break the host: run the app untraced
            setup_failed()
            request = None
        if request is None:
            return self.app(environ, start_response)
        environ[ENVIRON_EXCHANGE] = request
        attached = context_api.attach(request.context)
        try:
            body = self.app(environ, request.start_response)
        except Exception as exc:
            answer = request.failed(exc)
            if answer is None:
                request.finish()
                raise
            body = answer
        except BaseException as exc:  # interrupted or exiting: recorded as cancelled, re-raised
            request.record_failure(exc)
            request.finish()
            raise
        finally:
            context_api.detach(attached)
        return _Body(body, request)


class _Request(ServerExchange):
    __slots__ = ("_start_response", "capture", "context", "environ", "exhausted")

    def __init__(
        self,
        middleware: WSGIMiddleware,
        environ: Environ,
        path: str,
        tracer: Any,
        start_response: StartResponse,
    ) -> None:
        self.environ = environ
        self._start_response = start_response
        self.capture = middleware._capture
        self.exhausted = False
        get = environ.get
        scheme = get("wsgi.url_scheme", "http")
        method, attributes = method_attributes(get("REQUEST_METHOD", "GET"))
        attributes[n.URL_PATH] = path
        attributes[n.URL_SCHEME] = scheme
        query = get("QUERY_STRING")
        if query:
            attributes[n.URL_QUERY] = redact_query(query)
        host = get("HTTP_HOST")
        if host:
            address, port = split_host(host, scheme)
        else:
            address = get("SERVER_NAME", "")
            port_text = get("SERVER_PORT", "")
            port = int(port_text) if port_text.isascii() and port_text.isdigit() else None
        if address:
            attributes[n.SERVER_ADDRESS] = address
            if port is not None:
                attributes[n.SERVER_PORT] = port
        client = get("REMOTE_ADDR")
        if client:
            attributes[n.CLIENT_ADDRESS] = client
        user_agent = get("HTTP_USER_AGENT")
        if user_agent:
            attributes[n.USER_AGENT_ORIGINAL] = user_agent
        protocol = get("SERVER_PROTOCOL", "")
        version = protocol[5:] if protocol.startswith("HTTP/") else None
        if version:
            attributes[n.NETWORK_PROTOCOL_VERSION] = version
        if self.capture is not None:
            view = EnvironHeaders(environ)
            attributes.update(
                self.capture.attributes(
                    [(name, value) for name in self.capture.names for value in view.getall(name)],
                    self.capture.request_keys,
                )
            )
        policy = error_policy(middleware._errors)
        parent = _extract(environ)
        # the policy first: a failure while setting up must not leave a started span open
        span = tracer.start_span(span_name(method), parent, _SERVER_KIND, attributes)
        metric_attributes: dict[str, Any] = {n.HTTP_REQUEST_METHOD: method, n.URL_SCHEME: scheme}
        if version:
            metric_attributes[n.NETWORK_PROTOCOL_VERSION] = version
        super().__init__(span, method, metric_attributes, policy)
        self.context = trace.set_span_in_context(span, parent)
        # for the server's access line (gunicorn writes it after the exchange may have ended)
        environ[n.ENVIRON_SPAN_CONTEXT] = span.get_span_context()

    def start_response(
        self,
        status: str,
        headers: list[tuple[str, str]],
        exc_info: ExcInfo | None = None,
    ) -> Callable[[bytes], object]:
        code = status[:3]
        self.status = int(code) if code.isdigit() else 0
        if self.capture is not None:
            self.span.set_attributes(
                self.capture.attributes(
                    [(k.lower(), v) for k, v in headers], self.capture.response_keys
                )
            )
        if exc_info is None:
            return self._start_response(status, headers)
        return self._start_response(status, headers, exc_info)

    def failed(self, exc: Exception) -> list[bytes] | None:
        """Record ``exc``; a response body when it is answered here, None to re-raise."""
        kind = self.record_failure(exc)
        if kind is not ErrorKind.BUSINESS or self.policy.should_reraise(kind):
            return None
        body = business_answer(self.error_type)
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        self.start_response("422 Unprocessable Content", headers, sys.exc_info())  # type: ignore[arg-type]
        return [body]

    def finish(self) -> None:
        # environ and exchange refer to each other: without this the cycle (span included)
        # outlives the request until the garbage collector finds it
        self.environ.pop(ENVIRON_EXCHANGE, None)
        route = self.environ.get(n.ENVIRON_ROUTE)
        if isinstance(route, str):
            self.set_route(route)
        super().finish()


class _Body:
    """The response iterable, passed through; the span ends when the server closes it."""

    __slots__ = ("body", "iterator", "request")

    def __init__(self, body: Iterable[bytes], request: _Request) -> None:
        self.body = body
        self.request = request
        self.iterator: Iterator[bytes] | None = None

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        # a streaming body runs the app's code: it belongs to the request's trace
        attached = context_api.attach(self.request.context)
        try:
            iterator = self.iterator
            if iterator is None:
                iterator = self.iterator = iter(self.body)
            return next(iterator)
        except StopIteration:
            self.request.exhausted = True
            raise
        except Exception as exc:
            self.request.record_failure(exc)
            raise
        finally:
            context_api.detach(attached)

    def close(self) -> None:
        request = self.request
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        except Exception as exc:
            request.record_failure(exc)
            raise
        finally:
            if not request.exhausted and request.kind is None and self.iterator is not None:
                request.client_disconnected()
            request.finish()


def flask_route(app: _App) -> _App:
    """Connect a Flask app to :class:`WSGIMiddleware`; returns the app.

    Records the matched rule (``/items/<int:item_id>``) as the route, and, since Flask turns
    exceptions into responses before they reach any WSGI middleware, reports handler exceptions
    to the request's span: a business-rule violation is answered ``422`` (unless the policy
    re-raises business outcomes), anything else keeps Flask's 500 with ``error.type`` set.
    """
    from flask import got_request_exception, request

    from obskit.errors import BusinessRuleViolation

    def record_route() -> None:
        rule = request.url_rule
        if rule is not None:
            request.environ[n.ENVIRON_ROUTE] = rule.rule

    def business(exc: BusinessRuleViolation) -> Any:
        exchange = request.environ.get(ENVIRON_EXCHANGE)
        if not isinstance(exchange, _Request):
            raise exc
        kind = exchange.record_failure(exc)
        if exchange.policy.should_reraise(kind):
            raise exc
        body = business_answer(exchange.error_type).decode()
        response_class: Any = app.response_class  # type: ignore[attr-defined]
        return response_class(body, status=422, mimetype="application/json")

    def unhandled(sender: Any, exception: BaseException, **extra: Any) -> None:
        exchange = request.environ.get(ENVIRON_EXCHANGE)
        if isinstance(exchange, _Request) and exchange.kind is None:
            exchange.record_failure(exception)

    app.before_request(record_route)  # type: ignore[attr-defined]
    app.register_error_handler(BusinessRuleViolation, business)  # type: ignore[attr-defined]
    got_request_exception.connect(unhandled, app, weak=False)
    return app


def _path(environ: Environ) -> str:
    path: str = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    if not path.isascii():
        path = path.encode("latin-1").decode("utf-8", "replace")
    return path or "/"


def _extract(environ: Environ) -> Context:
    if not propagation._uses_default_propagators():
        return propagation.extract(EnvironHeaders(environ))
    parent = environ.get("HTTP_TRACEPARENT")
    if type(parent) is str and "HTTP_TRACESTATE" not in environ and "HTTP_BAGGAGE" not in environ:
        return traceparent_context(parent)
    carrier = {name: environ[key] for key, name in _TRACE_KEYS if key in environ}
    return propagation.extract(carrier) if carrier else Context()
