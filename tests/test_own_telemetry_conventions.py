"""obskit's own telemetry passes obskit's own convention checks (dogfooding the registry)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import obskit
from obskit import _semconv_names as sc
from obskit.conventions import Level, default_registry
from obskit.errors import BusinessRuleViolation, TransientError
from obskit.http import ASGIMiddleware
from obskit.messaging import settled
from obskit.testing import BusMessage, Captured, InMemoryBus


def _exercise_messaging(bus: InMemoryBus) -> None:
    @obskit.traced.consumer("stock", system="rabbitmq", sequence=lambda m: ("sku", m.body["seq"]))
    def handler(message: BusMessage) -> None:
        settled("nack", requeue=True)
        if message.body.get("refuse"):
            raise BusinessRuleViolation("no stock")
        if message.body.get("flaky") and message.attempt == 1:
            raise TransientError("timeout")

    bus.subscribe("stock", handler)
    late = bus.publish("stock", {"seq": 2})
    late.headers[sc.SENT_AT_HEADER] = str(time.time_ns() + 10**12)  # clock skew
    bus.publish("stock", {"seq": 1, "refuse": True})  # out of order, business outcome
    bus.publish("stock", {"seq": 3, "flaky": True})  # retried
    bus.deliver(late)  # duplicate
    bus.drain()

    @obskit.traced.batch_consumer("stock", system="kafka")
    def batch(messages: list[Any]) -> None: ...

    batch([{"headers": m.headers} for m in bus.sent("stock")])


def _exercise_http() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def request() -> None:
        messages = [{"type": "http.request", "body": b"", "more_body": False}]

        async def receive() -> dict[str, Any]:
            return messages.pop() if messages else {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None: ...

        scope = {
            "type": "http",
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": "/orders",
            "raw_path": b"/orders",
            "query_string": b"page=1",
            "headers": [(b"host", b"shop.local"), (b"user-agent", b"test")],
            "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", 8000),
        }
        await ASGIMiddleware(app)(scope, receive, send)

    asyncio.run(request())


def test_every_attribute_obskit_emits_is_registered_and_valid(telemetry: Captured) -> None:
    _exercise_messaging(InMemoryBus())
    _exercise_http()
    registry = default_registry()
    seen: dict[str, object] = {}
    for span in telemetry.spans:
        seen.update(span.attributes or {})
        for event in span.events:
            seen.update(event.attributes or {})
    for _name, attributes, _point in telemetry.metrics:
        seen.update(attributes)
    # the scenario really produced the names worth checking
    for name in (
        sc.EXCEPTION_STACKTRACE,
        sc.OBSKIT_MESSAGE_OUT_OF_ORDER,
        sc.OBSKIT_MESSAGE_DUPLICATE,
        sc.OBSKIT_MESSAGE_CLOCK_SKEW,
        sc.OBSKIT_ERROR_KIND,
        sc.OBSKIT_MESSAGE_SETTLEMENT,
        "http.response.status_code",
        sc.MESSAGING_BATCH_MESSAGE_COUNT,
    ):
        assert name in seen, name
    problems = [
        finding
        for name, value in seen.items()
        for finding in registry.check(name, value)
        if finding.level >= Level.IMPROVEMENT
    ]
    assert problems == []


def test_obskit_lint_is_clean_on_obskits_own_source() -> None:
    """obskit dogfoods its lint: its own source passes with its own [tool.obskit] settings."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-m", "obskit.cli", "lint", "src/"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " 0 violation, 0 improvement" in result.stdout + result.stderr
