"""``capture()`` isolation: nested captures, reads and closed captures do not steal metrics."""

from __future__ import annotations

import threading
from typing import Any

import obskit
from obskit.testing import BusMessage, Captured, InMemoryBus, capture

CONSUMED = "messaging.client.consumed.messages"


def _consumed(telemetry: Captured) -> int:
    return sum(point.value for _, point in telemetry.metric_points(CONSUMED))


def _handler() -> Any:
    @obskit.traced.consumer("capture-orders", system="rabbitmq")
    def handler(message: Any) -> None: ...

    return handler


def test_an_inner_capture_does_not_take_the_outer_captures_metrics() -> None:
    handler = _handler()
    with capture() as outer:
        handler({"headers": {}})
        with capture() as inner:
            handler({"headers": {}})
            assert _consumed(inner) == 1
        handler({"headers": {}})
        assert _consumed(outer) == 3
        assert _consumed(inner) == 1
    assert _consumed(outer) == 3


def test_reading_metrics_in_one_capture_leaves_them_for_the_others() -> None:
    handler = _handler()
    with capture() as outer:
        handler({"headers": {}})
        assert _consumed(outer) == 1
        with capture() as inner:
            handler({"headers": {}})
            assert _consumed(outer) == 2  # read while the inner capture is open
            handler({"headers": {}})
            assert _consumed(inner) == 2
            assert _consumed(outer) == 3
        assert _consumed(inner) == 2
        assert _consumed(outer) == 3


def test_clearing_an_inner_capture_keeps_the_outer_metrics() -> None:
    handler = _handler()
    with capture() as outer:
        with capture() as inner:
            handler({"headers": {}})
            inner.clear()
            assert _consumed(inner) == 0
            handler({"headers": {}})
            assert _consumed(inner) == 1
        assert _consumed(outer) == 2


def test_a_closed_capture_keeps_its_metrics_and_gets_no_later_ones() -> None:
    handler = _handler()
    with capture() as first:
        handler({"headers": {}})
    handler({"headers": {}})  # outside every capture
    assert _consumed(first) == 1
    with capture() as second:
        handler({"headers": {}})
        handler({"headers": {}})
    assert _consumed(first) == 1
    assert _consumed(second) == 2
    assert len(first.find_spans("process capture-orders")) == 1


def test_metrics_from_before_a_capture_are_not_in_it() -> None:
    handler = _handler()
    handler({"headers": {}})
    with capture() as telemetry:
        handler({"headers": {}})
    assert _consumed(telemetry) == 1


def test_concurrent_reads_lose_no_points() -> None:
    handler = _handler()
    with capture() as outer, capture() as inner:

        def work() -> None:
            for _ in range(50):
                handler({"headers": {}})
                _ = inner.metrics

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert _consumed(inner) == 200
    assert _consumed(outer) == 200


def test_an_inner_capture_keeps_the_outer_sequence_window() -> None:
    bus = InMemoryBus()

    @obskit.traced.consumer(
        "capture-stock", system="obskit.memory", sequence=lambda m: (m.body["sku"], m.body["seq"])
    )
    def on_stock(message: BusMessage) -> None: ...

    bus.subscribe("capture-stock", on_stock)
    with capture() as outer:
        bus.publish("capture-stock", {"sku": "A", "seq": 5})
        bus.drain()
        with capture() as inner:
            bus.publish("capture-stock", {"sku": "B", "seq": 1})
            bus.drain()
        bus.publish("capture-stock", {"sku": "A", "seq": 3})  # older than 5: out of order
        bus.drain()
    spans = outer.find_spans("process capture-stock")
    assert [s.attributes.get("obskit.message.out_of_order", False) for s in spans] == [
        False,
        False,
        True,
    ]
    assert len(inner.find_spans("process capture-stock")) == 1


def test_the_outermost_capture_starts_with_fresh_windows() -> None:
    bus = InMemoryBus()

    @obskit.traced.consumer(
        "capture-fresh", system="obskit.memory", sequence=lambda m: (m.body["sku"], m.body["seq"])
    )
    def on_stock(message: BusMessage) -> None: ...

    bus.subscribe("capture-fresh", on_stock)
    with capture():
        bus.publish("capture-fresh", {"sku": "A", "seq": 5})
        bus.drain()
    with capture() as later:
        bus.publish("capture-fresh", {"sku": "A", "seq": 3})
        bus.drain()
    [span] = later.find_spans("process capture-fresh")
    assert "obskit.message.out_of_order" not in span.attributes
