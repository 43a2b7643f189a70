"""Cancellation is not failure: a cancelled task, an interrupt, an exit or a closed generator ends
the span with ``obskit.error.kind = cancelled``, no ERROR status, no error log line, and is
always re-raised, with and without an SDK."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from opentelemetry.trace import StatusCode
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import Route

import obskit
from obskit.errors import ErrorKind, ErrorPolicy
from obskit.http import ASGIMiddleware, WSGIMiddleware
from obskit.logging import configure_logging
from obskit.testing import Captured

INTERRUPTS: list[Callable[[], BaseException]] = [
    asyncio.CancelledError,
    KeyboardInterrupt,
    lambda: SystemExit(3),
    GeneratorExit,
]
IDS = ["CancelledError", "KeyboardInterrupt", "SystemExit", "GeneratorExit"]


@pytest.fixture
def log_lines() -> io.StringIO:
    stream = io.StringIO()
    configure_logging(stream=stream, format="json", timestamps=False)
    return stream


def assert_cancelled(telemetry: Captured, name: str, log_lines: io.StringIO) -> None:
    span = telemetry.span(name)
    attributes = dict(span.attributes or {})
    assert attributes["obskit.error.kind"] == "cancelled"
    assert "error.type" not in attributes
    assert span.status.status_code is StatusCode.UNSET
    assert [event.name for event in span.events if event.name == "exception"] == []
    levels = [json.loads(line)["level"] for line in log_lines.getvalue().splitlines()]
    assert "error" not in levels and "warning" not in levels


@pytest.mark.parametrize("make", INTERRUPTS, ids=IDS)
def test_traced_and_consumer_record_a_cancellation_and_re_raise_it(
    make: Callable[[], BaseException], telemetry: Captured, log_lines: io.StringIO
) -> None:
    @obskit.traced(name="work")
    def work() -> None:
        raise make()

    @obskit.traced.consumer("orders", system="rabbitmq")
    def handle(message: dict[str, Any]) -> None:
        raise make()

    for call in (work, lambda: handle({"headers": {}})):
        with pytest.raises(type(make())):
            call()
    assert_cancelled(telemetry, "work", log_lines)
    assert_cancelled(telemetry, "process orders", log_lines)


async def test_a_cancelled_task_is_cancelled_not_failed(
    telemetry: Captured, log_lines: io.StringIO
) -> None:
    started = asyncio.Event()

    @obskit.traced.consumer("orders", system="rabbitmq")
    async def handle(message: dict[str, Any]) -> None:
        started.set()
        await asyncio.sleep(60)

    task = asyncio.create_task(handle({"headers": {}}))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert_cancelled(telemetry, "process orders", log_lines)


def test_publishing_interrupted_is_not_a_failed_send(
    telemetry: Captured, log_lines: io.StringIO
) -> None:
    with pytest.raises(KeyboardInterrupt), obskit.publishing("shipping", system="rabbitmq"):
        raise KeyboardInterrupt
    assert_cancelled(telemetry, "send shipping", log_lines)


def test_a_closed_generator_handler_ends_its_span_without_error(
    telemetry: Captured, log_lines: io.StringIO
) -> None:
    @obskit.traced(name="stream")
    def stream() -> Iterator[int]:
        yield 1
        yield 2

    items = stream()
    assert next(items) == 1
    items.close()
    span = telemetry.span("stream")
    assert span.status.status_code is StatusCode.UNSET


async def test_asgi_request_cancelled_is_recorded_and_re_raised(
    telemetry: Captured, log_lines: io.StringIO
) -> None:
    async def slow(request: Request) -> None:
        raise asyncio.CancelledError

    app = Starlette(routes=[Route("/slow", slow)], middleware=[Middleware(ASGIMiddleware)])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as http:
        with pytest.raises(asyncio.CancelledError):
            await http.get("/slow")
    assert_cancelled(telemetry, "GET /slow", log_lines)


def test_wsgi_request_interrupted_is_recorded_and_re_raised(
    telemetry: Captured, log_lines: io.StringIO
) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raise KeyboardInterrupt

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        return None

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/x", "wsgi.url_scheme": "http"}
    environ |= {"SERVER_NAME": "shop.test", "SERVER_PORT": "80"}
    with pytest.raises(KeyboardInterrupt):
        WSGIMiddleware(app)(environ, start_response)
    assert_cancelled(telemetry, "GET", log_lines)


def test_the_policy_never_swallows_a_cancellation() -> None:
    policy = ErrorPolicy.extend(reraise=[])
    assert policy.classify(asyncio.CancelledError()) is ErrorKind.CANCELLED
    assert policy.should_reraise(ErrorKind.CANCELLED)
    assert not ErrorKind.CANCELLED.is_span_error


def _raising(make: Callable[[], BaseException]) -> list[Callable[[], object]]:
    @obskit.traced.consumer("orders", system="rabbitmq")
    def handle(message: object) -> None:
        raise make()

    @obskit.traced
    def work() -> None:
        raise make()

    return [lambda: handle({"headers": {}}), work]


def test_without_an_sdk_interrupts_are_re_raised_and_never_logged() -> None:
    """In process: the pytest plugin leaves every test unconfigured, with no SDK."""
    stream = io.StringIO()
    configure_logging(stream=stream, format="json")
    seen = []
    for make in (asyncio.CancelledError, KeyboardInterrupt, lambda: SystemExit(2)):
        for call in _raising(make):
            try:
                call()
                seen.append("swallowed")
            except BaseException as exc:
                seen.append(type(exc).__name__)
    assert seen == ["CancelledError"] * 2 + ["KeyboardInterrupt"] * 2 + ["SystemExit"] * 2
    assert stream.getvalue() == ""
