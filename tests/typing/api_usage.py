"""Type-checked use of the public API (``mypy --strict tests/typing`` runs in ``scripts/test``).

It is run too (by ``tests/test_public_api.py``), so it must stay a working program: decorated
functions keep their signatures, and the helpers users write against are typed.
"""

from __future__ import annotations

from typing import Any

import obskit
from obskit.conventions import BUILTIN_CONVENTIONS, Finding, Registry, load_registry
from obskit.demo import CONVENTIONS
from obskit.errors import BusinessRuleViolation, ErrorKind, ErrorPolicy
from obskit.messaging import Settle, SettlementDecision, decide_settlement
from obskit.testing import BusMessage, Exploration, InMemoryBus, Telemetry, capture, explore

policy: ErrorPolicy = ErrorPolicy.extend(business=[KeyError])
kind: ErrorKind = policy.classify(BusinessRuleViolation("no stock"))


@obskit.traced
def price(quantity: int, unit: float) -> float:
    return quantity * unit


@obskit.traced(name="pricing.discount", attributes={"app.sku": "MUG"})
async def discount(total: float) -> float:
    return total * 0.9


@obskit.traced.consumer("orders", system="rabbitmq", errors=policy)
def on_order(message: BusMessage) -> int:
    total: float = price(message.body["quantity"], 2.5)
    return int(total)


@obskit.traced.consumer(
    "refunds", system="rabbitmq", settle=True, max_attempts=3, retry_delay=lambda n: 0.1 * n
)
async def on_refund(message: BusMessage) -> None:
    decision: SettlementDecision = decide_settlement(ErrorKind.TRANSIENT, message.attempt)
    assert decision.action in (Settle.RETRY, Settle.DEAD_LETTER)


def audit() -> dict[str, Any]:
    with obskit.publishing("audit", system="kafka") as headers:
        carrier: dict[str, Any] = obskit.inject({})
    assert carrier["traceparent"] == headers["traceparent"]
    return carrier


def run() -> tuple[int, list[str], list[Finding]]:
    registry: Registry = load_registry(BUILTIN_CONVENTIONS, CONVENTIONS)  # + the demo's app.*
    bus = InMemoryBus()
    bus.subscribe("orders", on_order)
    telemetry: Telemetry
    with capture() as telemetry:
        audit()
        message: BusMessage = bus.publish("orders", {"quantity": 2})
        bus.drain()
    assert message.trace_id is not None
    bus.assert_sent_once("orders", {"quantity": 2}, trace_id=message.trace_id)
    return len(bus.sent("orders")), [s.name for s in telemetry.spans], registry.check("orderId")


def explored() -> Exploration:
    def setup(bus: InMemoryBus) -> list[int]:
        totals: list[int] = []
        bus.subscribe("orders", lambda message: totals.append(on_order(message)))
        return totals

    def invariant(bus: InMemoryBus, totals: list[int]) -> bool:
        return len(totals) == 1

    return explore(setup, [("orders", {"quantity": 2})], invariant, faults=("duplicate",), seed=1)


if __name__ == "__main__":
    count, names, findings = run()
    assert count == 1 and kind is ErrorKind.BUSINESS
    assert names == ["send audit", "send orders", "price", "process orders"], names
    assert findings[0].suggestion == "app.order.id"
    exploration = explored()
    assert exploration.runs == 2 and [f.faults for f in exploration.failures] == [("duplicate",)]
