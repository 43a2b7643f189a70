"""Async handlers are first-class: drained to completion, never skipped, settled by the policy."""

from __future__ import annotations

import asyncio

import pytest

import obskit
from obskit.errors import BusinessRuleViolation, PoisonMessage, TransientError
from obskit.testing import BusMessage, Captured, InMemoryBus


def test_drain_runs_async_handlers_to_completion(telemetry: Captured, bus: InMemoryBus) -> None:
    seen: list[tuple[str, int]] = []

    @obskit.traced.consumer("orders", system="obskit.memory")
    async def on_order(message: BusMessage) -> None:
        await asyncio.sleep(0.001)  # a real await: needs an event loop
        seen.append((message.body["id"], message.attempt))
        bus.publish("shipping", {"id": message.body["id"]})

    async def on_shipping(message: BusMessage) -> None:
        seen.append((f"ship {message.body['id']}", message.attempt))

    bus.subscribe("orders", on_order)
    bus.subscribe("shipping", on_shipping)
    bus.publish("orders", {"id": "o-1"})
    assert bus.drain() == 2
    assert seen == [("o-1", 1), ("ship o-1", 1)]
    process = telemetry.span("process orders")
    assert telemetry.trace(process).render().splitlines() == [
        "send orders [PRODUCER]",
        "  process orders [CONSUMER]",
        "    send shipping [PRODUCER]",
    ]


async def test_drain_async_inside_a_running_loop(bus: InMemoryBus) -> None:
    seen: list[str] = []

    async def on_order(message: BusMessage) -> None:
        await asyncio.sleep(0)
        seen.append(message.body)

    def on_order_sync(message: BusMessage) -> None:
        seen.append(f"sync {message.body}")

    bus.subscribe("orders", on_order)
    bus.subscribe("orders", on_order_sync)
    bus.publish("orders", "o-1")
    assert await bus.drain_async() == 1
    assert seen == ["o-1", "sync o-1"]


async def test_drain_inside_a_running_loop_names_drain_async(bus: InMemoryBus) -> None:
    async def on_order(message: BusMessage) -> None: ...

    bus.subscribe("orders", on_order)
    bus.publish("orders", "o-1")
    with pytest.raises(RuntimeError, match=r"await bus\.drain_async\(\)") as raised:
        bus.drain()
    assert "test_drain_inside_a_running_loop_names_drain_async.<locals>.on_order" in str(
        raised.value
    )
    assert [m.body for m in bus.pending()] == ["o-1"]  # nothing was delivered, nothing lost
    assert await bus.drain_async() == 1


async def test_a_sync_handler_returning_a_coroutine_is_not_skipped_either(
    bus: InMemoryBus,
) -> None:
    done: list[str] = []

    async def work(message: BusMessage) -> None:
        done.append(message.body)

    bus.subscribe("orders", lambda message: work(message))
    bus.publish("orders", "o-1")
    with pytest.raises(RuntimeError, match=r"drain_async\(\)"):
        bus.drain()  # the coroutine is closed, so no "never awaited" warning either
    assert [m.body for m in bus.pending()] == ["o-1"]  # back on the queue, not lost
    assert await bus.drain_async() == 1 and done == ["o-1"]


def test_async_failures_settle_by_the_error_policy(bus: InMemoryBus) -> None:
    attempts: dict[str, list[int]] = {}

    class OutOfStock(BusinessRuleViolation): ...

    failures = {"transient": TransientError, "business": OutOfStock, "poison": PoisonMessage}

    async def handler(message: BusMessage) -> None:
        attempts.setdefault(message.body, []).append(message.attempt)
        raise failures[message.body](message.body)

    bus.max_attempts = 3
    bus.subscribe("q", handler)
    for body in failures:
        bus.publish("q", body)
    bus.drain()
    assert attempts == {"transient": [1, 2, 3], "business": [1], "poison": [1]}
    assert [(m.body, m.attempt, type(e)) for m, e in bus.dead_letters] == [
        ("poison", 1, PoisonMessage),
        ("transient", 3, TransientError),
    ]
    assert [(e.message.body, e.kind.value) for e in bus.handler_errors] == [
        ("transient", "transient"),
        ("business", "business"),
        ("poison", "poison"),
        ("transient", "transient"),
        ("transient", "transient"),
    ]


def test_max_attempts_defaults_to_the_error_policy(bus: InMemoryBus) -> None:
    obskit.configure(exporter="none", errors=obskit.ErrorPolicy(max_attempts=2))
    assert bus.max_attempts == 2
    assert InMemoryBus(max_attempts=4).max_attempts == 4
