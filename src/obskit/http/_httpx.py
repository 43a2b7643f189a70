"""httpx: CLIENT spans and context injection by wrapping the client's transports.

A wrapped transport sees every hop (redirects included, counted in
``http.request.resend_count``) and works for sync and async clients, custom transports and
``httpx.MockTransport`` alike. Imported only by :func:`obskit.http.instrument_httpx`.
"""

from __future__ import annotations

from typing import Any

import httpx

from obskit import propagation
from obskit._providers import sdk_tracer
from obskit.http._client import ClientCall

_RESENDS = "obskit.resends"
_original_inits: dict[type, Any] = {}


def _start(request: httpx.Request) -> ClientCall | None:
    tracer = sdk_tracer()
    if tracer is None:
        propagation.inject(request.headers)  # pass the caller's context through, as the API does
        return None
    resends = request.extensions.get(_RESENDS)
    if resends is None:
        # httpx copies ``extensions`` into each redirect request: the list is shared by all hops.
        resends = request.extensions[_RESENDS] = [0]
    count = resends[0]
    resends[0] = count + 1
    url = request.url
    return ClientCall(
        tracer,
        request.headers,
        request.method,
        str(url),
        url.scheme,
        url.host,
        url.port,
        count,
        setitem_replaces=True,
    )


class TracedTransport(httpx.BaseTransport):
    """A sync transport that records each request it sends."""

    def __init__(self, transport: httpx.BaseTransport) -> None:
        self.transport = transport

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        call = _start(request)
        if call is None:
            return self.transport.handle_request(request)
        try:
            response = self.transport.handle_request(request)
        except BaseException as exc:
            call.failed(exc)
            call.finish()
            raise
        call.responded(response.status_code, response.extensions.get("http_version", b"").decode())
        call.finish()
        return response

    def close(self) -> None:
        self.transport.close()


class AsyncTracedTransport(httpx.AsyncBaseTransport):
    """An async transport that records each request it sends."""

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self.transport = transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        call = _start(request)
        if call is None:
            return await self.transport.handle_async_request(request)
        try:
            response = await self.transport.handle_async_request(request)
        except BaseException as exc:
            call.failed(exc)
            call.finish()
            raise
        call.responded(response.status_code, response.extensions.get("http_version", b"").decode())
        call.finish()
        return response

    async def aclose(self) -> None:
        await self.transport.aclose()


def _wrap(transport: Any, is_async: bool) -> Any:
    # A transport may implement both interfaces (httpx.MockTransport): the client decides.
    if transport is None or isinstance(transport, TracedTransport | AsyncTracedTransport):
        return transport
    if is_async and isinstance(transport, httpx.AsyncBaseTransport):
        return AsyncTracedTransport(transport)
    if not is_async and isinstance(transport, httpx.BaseTransport):
        return TracedTransport(transport)
    return transport


def _unwrap(transport: Any) -> Any:
    if isinstance(transport, TracedTransport | AsyncTracedTransport):
        return transport.transport
    return transport


def instrument_client(client: httpx.Client | httpx.AsyncClient) -> None:
    is_async = isinstance(client, httpx.AsyncClient)
    client._transport = _wrap(client._transport, is_async)
    client._mounts = {pattern: _wrap(t, is_async) for pattern, t in client._mounts.items()}


def uninstrument_client(client: httpx.Client | httpx.AsyncClient) -> None:
    client._transport = _unwrap(client._transport)
    client._mounts = {pattern: _unwrap(t) for pattern, t in client._mounts.items()}


def instrument_globally() -> None:
    """Every ``httpx.Client`` / ``httpx.AsyncClient`` created from now on is instrumented."""
    for cls in (httpx.Client, httpx.AsyncClient):
        if cls in _original_inits:
            continue
        _original_inits[cls] = cls.__init__
        cls.__init__ = _instrumenting_init(cls.__init__)  # type: ignore[method-assign]


def _instrumenting_init(original: Any) -> Any:
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        instrument_client(self)

    return __init__


def uninstrument_globally() -> None:
    for cls, original in list(_original_inits.items()):
        cls.__init__ = original  # type: ignore[misc]
        del _original_inits[cls]
