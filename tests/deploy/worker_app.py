"""The app the server-worker tests serve: configured from the environment, as in production."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterable
from typing import Any

import obskit
from obskit.http import ASGIMiddleware, WSGIMiddleware

obskit.configure(service_name="workers")
log = obskit.get_logger("worker_app")


def _wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    time.sleep(0.02)  # long enough that concurrent requests spread over the workers
    log.info("order_listed", order_id="o-1")
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


async def _asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await asyncio.sleep(0.02)
    log.info("order_listed", order_id="o-1")
    body = str(os.getpid()).encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


wsgi = WSGIMiddleware(_wsgi)
asgi = ASGIMiddleware(_asgi)
