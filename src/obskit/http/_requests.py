"""requests: CLIENT spans and context injection around the transport adapter.

``HTTPAdapter.send`` runs once per hop, so each redirect gets its own span; a thin
``Session.send`` wrapper counts the hops of one call for ``http.request.resend_count``.
Imported only by :func:`obskit.http.instrument_requests`.
"""

from __future__ import annotations

import contextvars
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from requests.structures import CaseInsensitiveDict

from obskit import propagation
from obskit._providers import sdk_tracer
from obskit.http._client import ClientCall

_hops: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "obskit_requests_hops", default=None
)
_originals: dict[str, Any] = {}
_MARK = "_obskit_original"


def _traced_adapter_send(original: Any) -> Any:
    def send(
        self: BaseAdapter, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> Any:
        tracer = sdk_tracer()
        if tracer is None:
            propagation.inject(request.headers)
            return original(self, request, *args, **kwargs)
        hops = _hops.get()
        count = 0
        if hops is not None:
            count = hops[0]
            hops[0] = count + 1
        url = request.url or ""
        parsed = urlsplit(url)
        call = ClientCall(
            tracer,
            request.headers,
            request.method or "GET",
            url,
            parsed.scheme,
            parsed.hostname or "",
            parsed.port,
            count,
            # a CaseInsensitiveDict replaces every spelling of a name on assignment
            setitem_replaces=type(request.headers) is CaseInsensitiveDict,
        )
        try:
            response = original(self, request, *args, **kwargs)
        except BaseException as exc:
            call.failed(exc)
            call.finish()
            raise
        raw = getattr(response, "raw", None)
        version = getattr(raw, "version", None)
        call.responded(response.status_code, _version(version))
        call.finish()
        return response

    setattr(send, _MARK, original)
    return send


def _counting_session_send(original: Any) -> Any:
    def send(self: requests.Session, request: requests.PreparedRequest, **kwargs: Any) -> Any:
        if _hops.get() is not None:  # a redirect hop inside an outer call
            return original(self, request, **kwargs)
        token = _hops.set([0])
        try:
            return original(self, request, **kwargs)
        finally:
            _hops.reset(token)

    setattr(send, _MARK, original)
    return send


def _version(version: object) -> str | None:
    if isinstance(version, int) and version:
        return {10: "1.0", 11: "1.1", 20: "2"}.get(version, str(version / 10))
    return None


def instrument_session(session: requests.Session) -> None:
    """Instrument one session's hops (a no-op while everything is instrumented globally)."""
    if _originals:
        return
    if "send" not in vars(session):
        session_send = type(session).send
        session.send = _counting_session_send(session_send).__get__(session)  # type: ignore[method-assign]
    for adapter in session.adapters.values():
        if "send" not in vars(adapter):
            adapter_send = type(adapter).send
            adapter.send = _traced_adapter_send(adapter_send).__get__(adapter)  # type: ignore[method-assign]


def uninstrument_session(session: requests.Session) -> None:
    if "send" in vars(session):
        del session.send
    for adapter in session.adapters.values():
        if "send" in vars(adapter):
            del adapter.send


def instrument_globally() -> None:
    """Every ``requests`` call (sessions and ``requests.get`` alike) is instrumented."""
    if _originals:
        return
    _originals["session"] = requests.Session.send
    _originals["adapter"] = HTTPAdapter.send
    requests.Session.send = _counting_session_send(requests.Session.send)  # type: ignore[method-assign]
    HTTPAdapter.send = _traced_adapter_send(HTTPAdapter.send)  # type: ignore[method-assign]


def uninstrument_globally() -> None:
    if not _originals:
        return
    requests.Session.send = _originals.pop("session")  # type: ignore[method-assign]
    HTTPAdapter.send = _originals.pop("adapter")  # type: ignore[method-assign]
