"""bus.sent() and "exactly one message to shipping with this body, in this trace"."""

from __future__ import annotations

import pytest
from opentelemetry import trace

import obskit
from obskit.testing import BusMessage, Captured, InMemoryBus


def place_order(bus: InMemoryBus, order_id: str) -> int:
    @obskit.traced(name="POST /orders")
    def handle() -> int:
        bus.publish("orders", {"id": order_id})
        return trace.get_current_span().get_span_context().trace_id

    return handle()


def test_sent_has_bodies_and_trace_ids(telemetry: Captured, bus: InMemoryBus) -> None:
    @obskit.traced.consumer("orders", system="obskit.memory")
    def on_order(message: BusMessage) -> None:
        bus.publish("shipping", {"type": "PrepareShipping", "id": message.body["id"]})

    bus.subscribe("orders", on_order)
    request = place_order(bus, "o-1")
    bus.drain()
    [shipping] = bus.sent("shipping")
    assert (shipping.body, shipping.trace_id) == ({"type": "PrepareShipping", "id": "o-1"}, request)
    found = bus.assert_sent_once(
        "shipping", {"type": "PrepareShipping", "id": "o-1"}, trace_id=request
    )
    assert found is shipping


def test_the_failure_shows_what_was_sent_and_how_it_differs(
    telemetry: Captured, bus: InMemoryBus
) -> None:
    request = place_order(bus, "o-1")
    other = place_order(bus, "o-2")
    order, other_order = bus.sent("orders")
    bus.publish("shipping", {"type": "PrepareShipping", "id": "o-1", "qty": 3})  # its own trace
    # the same body twice, carried in each request's trace
    bus.enqueue("shipping", {"type": "PrepareShipping", "id": "o-1"}, dict(order.headers), None)
    bus.enqueue(
        "shipping", {"type": "PrepareShipping", "id": "o-1"}, dict(other_order.headers), None
    )
    with pytest.raises(AssertionError) as raised:
        bus.assert_sent_once("shipping", {"type": "PrepareShipping", "id": "o-2"}, trace_id=other)
    shipped = bus.sent("shipping")
    assert str(raised.value).splitlines() == [
        "expected exactly one message to 'shipping' with body "
        f"{{'type': 'PrepareShipping', 'id': 'o-2'}} in trace {other:032x}; "
        "found 0 among 3 sent there",
        f"  1. {{'type': 'PrepareShipping', 'id': 'o-1', 'qty': 3}} "
        f"(trace {shipped[0].trace_id:032x})",
        "     body differs (- expected, + sent):",
        "       - {'id': 'o-2', 'type': 'PrepareShipping'}",
        "       + {'id': 'o-1', 'qty': 3, 'type': 'PrepareShipping'}",
        f"  2. {{'type': 'PrepareShipping', 'id': 'o-1'}} (trace {request:032x})",
        "     body differs (- expected, + sent):",
        "       - {'id': 'o-2', 'type': 'PrepareShipping'}",
        "       + {'id': 'o-1', 'type': 'PrepareShipping'}",
        f"  3. {{'type': 'PrepareShipping', 'id': 'o-1'}} (trace {other:032x})",
        "     body differs (- expected, + sent):",
        "       - {'id': 'o-2', 'type': 'PrepareShipping'}",
        "       + {'id': 'o-1', 'type': 'PrepareShipping'}",
    ]
    with pytest.raises(AssertionError) as twice:
        bus.assert_sent_once("shipping", {"type": "PrepareShipping", "id": "o-1"})
    assert "found 2 among 3 sent there" in str(twice.value)
    assert str(twice.value).count("     matches") == 2
    with pytest.raises(AssertionError) as elsewhere:
        bus.assert_sent_once(
            "shipping", {"type": "PrepareShipping", "id": "o-1"}, trace_id=request + 1
        )
    assert str(elsewhere.value).count("same body, but not in the expected trace") == 2
