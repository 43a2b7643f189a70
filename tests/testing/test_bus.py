"""InMemoryBus: headers like a real broker, redelivery, and "exactly one message was sent"."""

from __future__ import annotations

from typing import Any

import obskit
from obskit.errors import TransientError
from obskit.testing import BusMessage, Captured, InMemoryBus, assert_parent


def test_exactly_one_prepare_shipping_was_sent_in_this_trace(
    telemetry: Captured, bus: InMemoryBus
) -> None:
    @obskit.traced.consumer("orders", system="obskit.memory")
    def on_order(message: BusMessage) -> None:
        bus.publish("shipping", {"type": "PrepareShipping", "order_id": message.body["order_id"]})

    bus.subscribe("orders", on_order)

    @obskit.traced
    def place_order() -> int:
        bus.publish("orders", {"type": "OrderPlaced", "order_id": "o-1"})
        return trace_id()

    def trace_id() -> int:
        from opentelemetry import trace

        return trace.get_current_span().get_span_context().trace_id

    request_trace = place_order()
    assert bus.drain() == 2
    [shipping] = bus.sent("shipping")
    assert shipping.body == {"type": "PrepareShipping", "order_id": "o-1"}
    assert shipping.trace_id == request_trace
    tree = telemetry.trace(request_trace)
    assert tree.render().splitlines() == [
        "test_exactly_one_prepare_shipping_was_sent_in_this_trace.<locals>.place_order [INTERNAL]",
        "  send orders [PRODUCER]",
        "    process orders [CONSUMER]",
        "      send shipping [PRODUCER]",
    ]
    assert_parent(telemetry.span("send orders"), telemetry.span("process orders"))


def test_a_failing_handler_gets_the_message_again(telemetry: Captured, bus: InMemoryBus) -> None:
    attempts: list[int] = []

    @obskit.traced.consumer("payments", system="obskit.memory")
    def flaky(message: BusMessage) -> None:
        attempts.append(message.attempt)
        if message.attempt == 1:
            raise TransientError("gateway timeout")

    bus.subscribe("payments", flaky)
    bus.publish("payments", {"amount": 5})
    bus.drain()
    assert attempts == [1, 2]
    first, second = telemetry.find_spans("process payments")
    assert first.attributes["obskit.error.kind"] == "transient"
    assert second.attributes["obskit.message.attempt"] == 2
    assert second.attributes["obskit.message.redelivered"] is True
    assert "obskit.message.duplicate" not in second.attributes  # a redelivery is no duplicate


def test_dead_letters_after_max_attempts(bus: InMemoryBus) -> None:
    def always_fails(message: Any) -> None:
        raise TransientError("down")

    bus.subscribe("q", always_fails)
    bus.publish("q", b"x")
    bus.drain()
    [(message, error)] = bus.dead_letters
    assert message.attempt == bus.max_attempts and isinstance(error, TransientError)


def test_duplicates_and_out_of_order_are_flagged(telemetry: Captured, bus: InMemoryBus) -> None:
    @obskit.traced.consumer(
        "stock", system="obskit.memory", sequence=lambda m: (m.body["sku"], m.body["seq"])
    )
    def on_stock(message: BusMessage) -> None: ...

    bus.subscribe("stock", on_stock)
    first = bus.publish("stock", {"sku": "A", "seq": 1})
    bus.publish("stock", {"sku": "A", "seq": 3})
    bus.publish("stock", {"sku": "A", "seq": 2})
    bus.deliver(first)  # the broker hands the same message over twice
    bus.drain()
    spans = telemetry.find_spans("process stock")
    assert [s.attributes.get("obskit.message.out_of_order", False) for s in spans] == [
        False,
        False,
        True,
        True,
    ]
    assert [s.attributes.get("obskit.message.duplicate", False) for s in spans] == [
        False,
        False,
        False,
        True,
    ]
    assert [e.name for e in spans[2].events] == ["obskit.message.out_of_order"]


def test_late_message_age_and_clock_skew(telemetry: Captured, bus: InMemoryBus) -> None:
    import time

    @obskit.traced.consumer("late", system="obskit.memory")
    def handler(message: BusMessage) -> None: ...

    bus.subscribe("late", handler)
    late = bus.publish("late", b"x")
    late.headers["obskit-sent-at"] = str(time.time_ns() - 90 * 10**9)
    future = bus.publish("late", b"y")
    future.headers["obskit-sent-at"] = str(time.time_ns() + 60 * 10**9)
    bus.drain()
    old, skewed = telemetry.find_spans("process late")
    assert 90 <= old.attributes["obskit.message.age"] < 100
    assert skewed.attributes["obskit.message.age"] == 0.0
    assert skewed.attributes["obskit.message.clock_skew"] is True
    ages = telemetry.metric_points("obskit.message.age")
    assert sum(point.count for _, point in ages) == 2


def test_capture_can_be_used_many_times() -> None:
    from obskit.testing import capture

    @obskit.traced
    def work() -> None: ...

    for _ in range(3):
        with capture() as telemetry:
            work()
        assert [s.name for s in telemetry.spans] == [
            "test_capture_can_be_used_many_times.<locals>.work"
        ]
    with capture() as outer:
        work()
        with capture() as inner:
            work()
    assert len(outer.spans) == 2 and len(inner.spans) == 1


def test_only_the_handlers_that_failed_get_the_message_again(bus: InMemoryBus) -> None:
    calls: list[tuple[str, int]] = []

    def handler(name: str, fails: bool) -> Any:
        def handle(message: BusMessage) -> None:
            calls.append((name, message.attempt))
            if fails:
                raise TransientError(name)

        return handle

    bus.max_attempts = 2
    bus.subscribe("q", handler("ok", False))
    bus.subscribe("q", handler("bad1", True))
    bus.subscribe("q", handler("bad2", True))
    bus.publish("q", b"x")
    bus.drain()
    assert calls == [("ok", 1), ("bad1", 1), ("bad2", 1), ("bad1", 2), ("bad2", 2)]
    assert len(bus.dead_letters) == 1  # one message, dead-lettered once
