"""``explore()`` of 4 messages with every fault: how many schedules, and how long.

Run: ``python -m benchmarks.explore``. The scenario is docs/testing.md's stock consumer (a
restock and three orders, an async order handler with an ``await`` between reading and writing
the stock, shipping messages published in cascade), naive and idempotent+atomic, explored with
the defaults (all five faults, up to two per schedule, ``max_runs=1000``). It runs three ways,
in this order: with no OpenTelemetry SDK (obskit records nothing), under an SDK with a
discarding exporter (a configured service), and inside ``capture()`` (the ``telemetry`` pytest
fixture). The target is under 10 s on this 2-core machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import time
from collections.abc import Callable, Iterator
from typing import Any

import obskit
from benchmarks._timing import install_sdk, machine
from obskit.errors import BusinessRuleViolation
from obskit.testing import BusMessage, InMemoryBus, capture, explore

MESSAGES = [
    ("stock", {"id": "r-1", "n": 4}),
    ("orders", {"id": "o-1", "n": 2}),
    ("orders", {"id": "o-2", "n": 1}),
    ("orders", {"id": "o-3", "n": 1}),
]
ORDERED = {body["id"]: body["n"] for destination, body in MESSAGES if destination == "orders"}


class OutOfStock(BusinessRuleViolation): ...


class Inventory:
    def __init__(self) -> None:
        self.stock = 0
        self.lowest = 0
        self.seen: set[str] = set()
        self.lock = asyncio.Lock()

    def set(self, value: int) -> None:
        self.stock, self.lowest = value, min(self.lowest, value)


def stock_consumer(*, safe: bool) -> Callable[[InMemoryBus], Inventory]:
    def setup(bus: InMemoryBus) -> Inventory:
        inventory = Inventory()

        @obskit.traced.consumer("stock", system="rabbitmq")
        def on_restock(message: BusMessage) -> None:
            if not safe or message.body["id"] not in inventory.seen:
                inventory.seen.add(message.body["id"])
                inventory.set(inventory.stock + message.body["n"])

        @obskit.traced.consumer("orders", system="rabbitmq")
        async def on_order(message: BusMessage) -> None:
            order = message.body
            async with inventory.lock if safe else contextlib.nullcontext():
                if safe and order["id"] in inventory.seen:
                    return
                stock = inventory.stock
                await asyncio.sleep(0)
                if safe and stock < order["n"]:
                    raise OutOfStock(order["id"])
                inventory.set(stock - order["n"])
                if inventory.stock < 0:
                    raise OutOfStock(order["id"])
                inventory.seen.add(order["id"])
            bus.publish("shipping", {"type": "PrepareShipping", "id": order["id"]})

        bus.subscribe("stock", on_restock)
        bus.subscribe("orders", on_order)
        bus.subscribe("shipping", lambda message: None)
        return inventory

    return setup


def adds_up(bus: InMemoryBus, inventory: Inventory) -> None:
    shipped = [m.body["id"] for m in bus.sent("shipping")]
    assert len(shipped) == len(set(shipped)), shipped
    assert inventory.lowest >= 0
    assert inventory.stock == 4 - sum(ORDERED[order] for order in shipped)


@contextlib.contextmanager
def nothing() -> Iterator[None]:
    yield


def measure(label: str, around: Callable[[], Any]) -> None:
    for name, safe in (("naive", False), ("idempotent+atomic", True)):
        with around(), contextlib.redirect_stderr(io.StringIO()):  # refusals log a warning
            start = time.perf_counter()
            result = explore(stock_consumer(safe=safe), MESSAGES, adds_up)
            seconds = time.perf_counter() - start
        exhaustive = "yes" if result.exhaustive else "no"
        print(
            f"| {label} | {name} | {result.runs} | {len(result.failures)} | {exhaustive} | "
            f"{seconds:.2f} | {result.runs / seconds:.0f} |"
        )


def main() -> None:
    print(machine())
    print("| telemetry | consumer | schedules | failing | exhaustive | seconds | schedules/s |")
    print("|---|---|---|---|---|---|---|")
    measure("no SDK", nothing)
    install_sdk()
    measure("SDK, discarding exporter", nothing)
    measure("inside capture()", capture)


if __name__ == "__main__":
    main()
