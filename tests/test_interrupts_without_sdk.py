"""Without an SDK, every interrupt (GeneratorExit too) reaches the caller as the very object raised,
through ``@traced``, ``@traced.consumer`` and their async forms, and nothing is logged
(tests/test_cancellation.py shows the types for the sync decorators; this the identity).

In process: the pytest plugin leaves every test unconfigured, with no SDK.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable

import obskit
from obskit.logging import configure_logging


def _decorated(raised: BaseException) -> list[Callable[[], object]]:
    """Calls of ``@traced.consumer`` and ``@traced``, sync and async, that raise ``raised``."""

    @obskit.traced.consumer("orders", system="rabbitmq")
    def handle(message: object) -> None:
        raise raised

    @obskit.traced
    def work() -> None:
        raise raised

    @obskit.traced.consumer("orders", system="rabbitmq")
    async def handle_async(message: object) -> None:
        raise raised

    @obskit.traced
    async def work_async() -> None:
        raise raised

    return [
        lambda: handle({"headers": {}}),
        work,
        lambda: asyncio.run(handle_async({"headers": {}})),
        lambda: asyncio.run(work_async()),
    ]


def test_the_same_interrupt_object_goes_back_to_the_caller() -> None:
    stream = io.StringIO()
    configure_logging(stream=stream, format="json")
    makes: list[Callable[[], BaseException]] = [
        asyncio.CancelledError,
        KeyboardInterrupt,
        lambda: SystemExit(2),
        GeneratorExit,
    ]
    seen = []

    def check(call: Callable[[], object], raised: BaseException) -> None:
        try:
            call()
        except BaseException as exc:
            seen.append(type(exc).__name__ if exc is raised else "replaced")
        else:
            seen.append("swallowed")

    for make in makes:
        raised = make()
        for call in _decorated(raised):
            check(call, raised)
    assert seen == [
        name
        for name in ("CancelledError", "KeyboardInterrupt", "SystemExit", "GeneratorExit")
        for _ in range(4)
    ]
    assert stream.getvalue() == ""
