"""The shop's HTTP side: obskit's ASGI middleware around the API, driven in-process.

Requests go straight into the ASGI app (no socket, no extra dependency): one coroutine builds
the ``scope``, feeds the body and collects the response, exactly as a server would.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from obskit.demo._services import service_scope
from obskit.http import ASGIMiddleware

__all__ = ["Response", "ServiceApp", "call", "instrument"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def instrument(app: ASGIApp) -> ASGIApp:
    """The API behind obskit's ``ASGIMiddleware``, as any service would run it."""
    wrapped: ASGIApp = ASGIMiddleware(app)
    return wrapped


class ServiceApp:
    """Runs an ASGI app as a named service (its spans carry that ``service.name``)."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with service_scope(self.service):
            await self.app(scope, receive, send)


@dataclass(frozen=True)
class Response:
    status: int
    body: Any


async def call(app: ASGIApp, method: str, path: str, payload: Any = None) -> Response:
    """One HTTP request through the ASGI app, in-process."""
    body = json.dumps(payload).encode() if payload is not None else b""
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"shop.local"), (b"content-type", b"application/json")],
        "server": ("shop.local", 80),
        "client": ("127.0.0.1", 50000),
    }
    sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
        elif message["type"] == "http.response.body":
            chunks.append(bytes(message.get("body", b"")))

    await app(scope, receive, send)
    raw = b"".join(chunks)
    try:
        parsed: Any = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw.decode(errors="replace")
    return Response(status, parsed)
