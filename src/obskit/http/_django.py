"""``DjangoMiddleware``: SERVER spans for Django, listed in ``MIDDLEWARE``, sync or async.

Django hands every middleware ``request.META``, a WSGI environ under WSGI and one built from the
ASGI scope under ASGI, so the request is read by the WSGI middleware's own exchange: the same
attributes, redaction, header capture and metric. Django turns exceptions into responses inside
``get_response``; ``process_exception`` sees them first and ``process_view`` the resolved route
(``orders/<int:pk>/``), which names the span. Django is imported only when the middleware is
built.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterable
from typing import Any

from opentelemetry import context as context_api

from obskit import propagation
from obskit._providers import sdk_tracer
from obskit.errors import ErrorKind, ErrorPolicy
from obskit.http._server import Exclude, server_options, setup_failed
from obskit.http._wsgi import ENVIRON_EXCHANGE, EnvironHeaders, _path, _Request

__all__ = ["DjangoMiddleware"]


class DjangoMiddleware:
    """Add ``"obskit.http.DjangoMiddleware"`` first in ``MIDDLEWARE``.

    Options (as for :class:`~obskit.http.WSGIMiddleware`) come from the ``OBSKIT_HTTP`` setting,
    a dict with ``exclude``, ``capture_headers`` and ``errors``.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        from asgiref.sync import markcoroutinefunction
        from django.conf import settings

        self.get_response = get_response
        options: dict[str, Any] = dict(getattr(settings, "OBSKIT_HTTP", None) or {})
        exclude: Iterable[Exclude] = options.get("exclude", ())
        self._excluded, self._capture = server_options(exclude, options.get("capture_headers", ()))
        self._errors: ErrorPolicy | None = options.get("errors")
        self.is_async = inspect.iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: Any) -> Any:
        if self.is_async:
            return self._async_call(request)
        exchange = self._begin(request)
        if exchange is None:
            return self._untraced(request)
        attached = context_api.attach(exchange.context)
        try:
            response = self.get_response(request)
        finally:
            context_api.detach(attached)
        return _finish(exchange, response)

    async def _async_call(self, request: Any) -> Any:
        exchange = self._begin(request)
        if exchange is None:
            token = propagation.set_pending_headers(EnvironHeaders(request.META))
            try:
                return await self.get_response(request)
            finally:
                propagation.reset_pending_headers(token)
        attached = context_api.attach(exchange.context)
        try:
            response = await self.get_response(request)
        finally:
            context_api.detach(attached)
        return _finish(exchange, response)

    def _untraced(self, request: Any) -> Any:
        """No SDK: the caller's context still reaches ``obskit.inject`` in the view."""
        token = propagation.set_pending_headers(EnvironHeaders(request.META))
        try:
            return self.get_response(request)
        finally:
            propagation.reset_pending_headers(token)

    def _begin(self, request: Any) -> _Request | None:
        tracer = sdk_tracer()
        if tracer is None:
            return None
        try:
            environ = request.META
            path = _path(environ)
            if self._excluded is not None and self._excluded(path):
                return None
            environ.setdefault("wsgi.url_scheme", request.scheme)
            exchange = _Request(self, environ, path, tracer, _never_called)  # type: ignore[arg-type]
        except Exception:  # instrumentation must never break the host: run untraced
            setup_failed()
            return None
        environ[ENVIRON_EXCHANGE] = exchange
        return exchange

    def process_view(self, request: Any, view: Any, args: Any, kwargs: Any) -> None:
        exchange = request.META.get(ENVIRON_EXCHANGE)
        match = getattr(request, "resolver_match", None)
        if isinstance(exchange, _Request) and match is not None and match.route:
            exchange.set_route(str(match.route))

    def process_exception(self, request: Any, exception: Exception) -> Any:
        """Record the view's exception; a business refusal is answered 422 here."""
        exchange = request.META.get(ENVIRON_EXCHANGE)
        if not isinstance(exchange, _Request):
            return None
        kind = exchange.record_failure(exception)
        if kind is not ErrorKind.BUSINESS or exchange.policy.should_reraise(kind):
            return None  # Django's own handling: a 500, with error.type on the span
        from django.http import HttpResponse

        body = json.dumps({"error": exchange.error_type})  # never the exception's text
        return HttpResponse(body, status=422, content_type="application/json")


def _finish(exchange: _Request, response: Any) -> Any:
    exchange.status = int(getattr(response, "status_code", 0) or 0)
    exchange.finish()
    return response


def _never_called(*_: Any) -> Any:  # pragma: no cover - Django writes its own response
    raise RuntimeError("DjangoMiddleware does not call start_response")
