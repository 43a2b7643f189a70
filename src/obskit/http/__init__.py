"""HTTP: server middleware (ASGI, WSGI) and client instrumentation (httpx, requests).

Importing this package imports none of httpx, requests, Starlette, Flask or Django: the client hooks
import their library when called.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Any

from obskit._extras import require
from obskit.http._asgi import ASGIMiddleware
from obskit.http._django import DjangoMiddleware
from obskit.http._uvicorn import UVICORN_LOG_CONFIG
from obskit.http._wsgi import WSGIMiddleware, flask_route

if TYPE_CHECKING:
    import httpx
    import requests

__all__ = [
    "UVICORN_LOG_CONFIG",
    "ASGIMiddleware",
    "DjangoMiddleware",
    "GunicornLogger",
    "WSGIMiddleware",
    "flask_route",
    "instrument_httpx",
    "instrument_requests",
    "uninstrument_httpx",
    "uninstrument_requests",
]


def instrument_httpx(client: httpx.Client | httpx.AsyncClient | None = None) -> Any:
    """CLIENT spans and trace-context injection for httpx.

    With a client, wraps its transports (and mounts); with ``None``, every client created from
    now on. Returns the client. Without an SDK the caller's context is still passed through.
    """
    _httpx = _httpx_hooks()
    if client is None:
        _httpx.instrument_globally()
    else:
        _httpx.instrument_client(client)
    return client


def uninstrument_httpx(client: httpx.Client | httpx.AsyncClient | None = None) -> None:
    """Undo :func:`instrument_httpx` for ``client``, or the global patch when ``None``."""
    _httpx = _httpx_hooks()
    if client is None:
        _httpx.uninstrument_globally()
    else:
        _httpx.uninstrument_client(client)


def _httpx_hooks() -> ModuleType:
    """The httpx hooks, or a ``ModuleNotFoundError`` naming the extra that installs httpx."""
    require("httpx", "http")
    from obskit.http import _httpx

    return _httpx


def instrument_requests(session: requests.Session | None = None) -> Any:
    """CLIENT spans and trace-context injection for requests (one span per hop).

    With a session, instruments its adapters; with ``None``, every session and ``requests.get``.
    Returns the session.
    """
    from obskit.http import _requests

    if session is None:
        _requests.instrument_globally()
    else:
        _requests.instrument_session(session)
    return session


def uninstrument_requests(session: requests.Session | None = None) -> None:
    """Undo :func:`instrument_requests` for ``session``, or the global patch when ``None``."""
    from obskit.http import _requests

    if session is None:
        _requests.uninstrument_globally()
    else:
        _requests.uninstrument_session(session)


def __getattr__(name: str) -> Any:
    """``GunicornLogger`` is built on first use, so importing obskit never imports gunicorn
    (``--logger-class obskit.http.GunicornLogger`` loads it)."""
    if name == "GunicornLogger":
        require("gunicorn", "servers")
        from obskit.http._gunicorn import gunicorn_logger_class

        return gunicorn_logger_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
