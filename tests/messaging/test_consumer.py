"""@traced.consumer, @traced.batch_consumer and publishing(): spans, links, metrics, outcomes."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import types
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pika
import pytest
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode

import obskit
from obskit.errors import BusinessRuleViolation, ErrorPolicy, PoisonMessage, TransientError
from obskit.testing import BusMessage, Captured, InMemoryBus, assert_linked, assert_parent

UNSAMPLED = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
SAMPLED = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def _publish(destination: str = "orders", **kwargs: Any) -> dict[str, str]:
    with obskit.publishing(destination, system="rabbitmq", **kwargs) as headers:
        return dict(headers)


def test_consumer_span_is_the_child_of_the_producer_and_links_it(telemetry: Captured) -> None:
    @obskit.traced.consumer("orders", system="rabbitmq")
    def on_order(message: dict[str, Any]) -> str:
        return "ok"

    headers = _publish()
    assert on_order({"headers": headers, "body": b"12345", "id": "m-1"}) == "ok"
    producer = telemetry.span("send orders", SpanKind.PRODUCER)
    consumer = telemetry.span("process orders", SpanKind.CONSUMER)
    assert_parent(producer, consumer)
    assert_linked(consumer, producer)
    attributes = dict(consumer.attributes or {})
    assert attributes.pop("obskit.message.age") >= 0
    assert attributes == {
        "messaging.system": "rabbitmq",
        "messaging.operation.type": "process",
        "messaging.operation.name": "process",
        "messaging.destination.name": "orders",
        "messaging.message.id": "m-1",
        "messaging.message.body.size": 5,
    }
    assert dict(producer.attributes or {}) == {
        "messaging.system": "rabbitmq",
        "messaging.operation.type": "send",
        "messaging.operation.name": "send",
        "messaging.destination.name": "orders",
    }


def test_message_found_on_objects_by_keyword_and_by_position(telemetry: Captured) -> None:
    headers = _publish()

    @obskit.traced.consumer("a", system="nats")
    def by_object(msg: Any) -> None: ...

    @obskit.traced.consumer("b", system="nats", message="payload")
    def by_keyword(other: int, *, payload: Any) -> None: ...

    @obskit.traced.consumer("c", system="nats", message=1)
    def by_position(other: int, msg: Any) -> None: ...

    @obskit.traced.consumer("d", system="nats", headers=lambda m: m[1])
    def by_callable(msg: tuple[str, dict[str, str]]) -> None: ...

    by_object(SimpleNamespace(headers=headers, message_id="x-1", body=b"ab"))
    by_keyword(1, payload={"headers": headers})
    by_position(1, {"headers": headers})
    by_callable(("body", headers))
    producer = telemetry.span("send orders")
    for name in ("process a", "process b", "process c", "process d"):
        assert_parent(producer, telemetry.span(name))
    assert telemetry.span("process a").attributes["messaging.message.id"] == "x-1"


def test_pika_callback_signature(telemetry: Captured) -> None:
    headers = _publish()

    @obskit.traced.consumer("orders", system="rabbitmq")
    def on_message(channel: Any, method: Any, properties: Any, body: bytes) -> None: ...

    method = pika.spec.Basic.Deliver(
        consumer_tag="c", delivery_tag=7, redelivered=True, exchange="shop", routing_key="orders"
    )
    properties = pika.BasicProperties(headers=headers, message_id="m-7", correlation_id="c-1")
    on_message(None, method, properties, b"{}")
    span = telemetry.span("process orders")
    assert_parent(telemetry.span("send orders"), span)
    assert span.attributes["messaging.rabbitmq.destination.routing_key"] == "orders"
    assert span.attributes["messaging.rabbitmq.message.delivery_tag"] == 7
    assert span.attributes["messaging.message.conversation_id"] == "c-1"
    assert span.attributes["obskit.message.redelivered"] is True
    assert span.attributes["obskit.message.attempt"] == 2


@contextlib.contextmanager
def attributes_at_start() -> Iterator[list[dict[str, Any]]]:
    """The attributes each span has when it starts, as samplers and ``on_start`` see them."""
    from opentelemetry.sdk.trace import SpanProcessor

    from obskit import _setup

    at_start: list[dict[str, Any]] = []

    class AtStart(SpanProcessor):
        def on_start(self, span: Any, parent_context: Any = None) -> None:
            at_start.append(dict(span.attributes or {}))

    fanout, _ = _setup.attach_sinks()
    processor = AtStart()
    fanout.targets.add(processor)
    try:
        yield at_start
    finally:
        fanout.targets.remove(processor)


def test_a_delivery_span_starts_with_its_age_attempt_and_redelivery(telemetry: Captured) -> None:
    """Samplers and ``on_start`` processors see them, and the SDK checks them once (no
    ``set_attribute`` after the start)."""
    with attributes_at_start() as at_start:

        @obskit.traced.consumer("orders", system="rabbitmq")
        def on_message(channel: Any, method: Any, properties: Any, body: bytes) -> None: ...

        method = pika.spec.Basic.Deliver(delivery_tag=7, redelivered=True, routing_key="orders")
        sent = int(time.time()) - 5
        on_message(None, method, pika.BasicProperties(headers={}, timestamp=sent), b"{}")
    [started] = at_start
    assert started["obskit.message.redelivered"] is True
    assert started["obskit.message.attempt"] == 2
    assert started["obskit.message.age"] >= 5
    assert dict(telemetry.span("process orders").attributes or {}) == started


def test_duplicates_order_and_the_sent_time_are_start_attributes_too(telemetry: Captured) -> None:
    """The duplicate window, the ordering check and the ``obskit-sent-at`` age are decided
    before the span starts; only their events come after."""
    with attributes_at_start() as at_start:

        @obskit.traced.consumer(
            "orders", system="rabbitmq", sequence=lambda m: (m["key"], m["number"])
        )
        def on_message(message: dict[str, Any]) -> None: ...

        sent = str(time.time_ns() - 3_000_000_000)
        headers = {"traceparent": SAMPLED, "obskit-sent-at": sent}
        on_message({"headers": headers, "id": "m-1", "key": "k", "number": 2})
        on_message({"headers": headers, "id": "m-1", "key": "k", "number": 1})
    first, second = at_start
    assert 3 <= first["obskit.message.age"] < 60
    assert "obskit.message.duplicate" not in first
    assert second["obskit.message.duplicate"] is True
    assert second["obskit.message.out_of_order"] is True
    assert second["obskit.message.overtaken_by"] == 2
    spans = telemetry.find_spans("process orders")
    assert [dict(s.attributes or {}) for s in spans] == at_start
    assert [e.name for e in spans[1].events] == [
        "obskit.message.duplicate",
        "obskit.message.out_of_order",
    ]
    assert spans[1].parent is not None and spans[1].parent.span_id == 0x00F067AA0BA902B7


def test_dynamic_destination_uses_the_template(telemetry: Captured) -> None:
    def tenant_queue(message: dict[str, Any]) -> str:
        return f"orders.{message['tenant']}"

    tenant_queue.template = "orders.{tenant}"  # type: ignore[attr-defined]

    @obskit.traced.consumer(tenant_queue, system="rabbitmq")
    def on_order(message: dict[str, Any]) -> None: ...

    on_order({"headers": {}, "tenant": "acme"})
    span = telemetry.span("process orders.{tenant}")
    assert span.attributes["messaging.destination.template"] == "orders.{tenant}"
    assert span.attributes["messaging.destination.name"] == "orders.acme"


def test_outcomes_follow_the_error_policy(telemetry: Captured) -> None:
    calls: list[str] = []

    @obskit.traced.consumer("orders", system="rabbitmq")
    def handler(message: dict[str, Any]) -> str:
        calls.append(message["kind"])
        raise {
            "business": BusinessRuleViolation("stock would go negative"),
            "transient": TransientError("timeout"),
            "poison": PoisonMessage("undecodable"),
            "unexpected": RuntimeError("bug"),
        }[message["kind"]]

    assert handler({"kind": "business", "headers": {}}) is None  # recorded, not re-raised
    for kind, exc in (
        ("transient", TransientError),
        ("poison", PoisonMessage),
        ("unexpected", RuntimeError),
    ):
        with pytest.raises(exc):
            handler({"kind": kind, "headers": {}})
    spans = telemetry.find_spans("process orders")
    kinds = [s.attributes["obskit.error.kind"] for s in spans]
    assert kinds == ["business", "transient", "poison", "unexpected"]
    assert [s.status.status_code for s in spans] == [
        StatusCode.UNSET,
        StatusCode.ERROR,
        StatusCode.ERROR,
        StatusCode.ERROR,
    ]
    assert [s.attributes["error.type"] for s in spans] == [
        "obskit.errors.BusinessRuleViolation",
        "obskit.errors.TransientError",
        "obskit.errors.PoisonMessage",
        "RuntimeError",
    ]
    durations = telemetry.metric_points("messaging.process.duration")
    assert sorted(attrs.get("error.type", "") for attrs, _ in durations) == sorted(
        s.attributes["error.type"] for s in spans
    )
    assert all(point.count == 1 for _, point in durations)
    consumed = telemetry.metric_points("messaging.client.consumed.messages")
    assert sum(point.value for _, point in consumed) == 4


def test_policy_per_decorator_and_from_configure(telemetry: Captured) -> None:
    class OutOfStock(Exception): ...

    policy = ErrorPolicy.extend(business=[OutOfStock])

    @obskit.traced.consumer("orders", system="rabbitmq", errors=policy)
    def handler(message: Any) -> None:
        raise OutOfStock()

    handler({"headers": {}})
    assert telemetry.span("process orders").attributes["obskit.error.kind"] == "business"


def test_subclasses_match_the_most_specific_kind() -> None:
    class Base(Exception): ...

    class Specific(Base): ...

    policy = ErrorPolicy.extend(transient=[Base], poison=[Specific])
    assert policy.classify(Specific()).value == "poison"
    assert policy.classify(Base()).value == "transient"
    assert policy.classify(ConnectionResetError()).value == "transient"
    assert policy.classify(KeyError()).value == "unexpected"


def test_successful_duration_metric_has_no_error_type(telemetry: Captured) -> None:
    @obskit.traced.consumer("orders", system="kafka")
    def handler(message: Any) -> None: ...

    handler({"headers": {}})
    [(attributes, point)] = telemetry.metric_points("messaging.process.duration")
    assert attributes == {
        "messaging.system": "kafka",
        "messaging.operation.name": "process",
        "messaging.destination.name": "orders",
    }
    assert point.count == 1 and point.sum > 0
    [(counted, consumed)] = telemetry.metric_points("messaging.client.consumed.messages")
    assert counted == attributes and consumed.value == 1


def test_batch_consumer_links_every_message(telemetry: Captured) -> None:
    batch = [{"headers": _publish(f"q{i}")} for i in range(3)]

    @obskit.traced.batch_consumer("orders", system="kafka")
    def handle_batch(messages: list[dict[str, Any]]) -> int:
        return len(messages)

    assert handle_batch(batch) == 3
    span = telemetry.span("process orders")
    assert span.attributes["messaging.batch.message_count"] == 3
    for i in range(3):
        assert_linked(span, telemetry.span(f"send q{i}"))
    assert span.parent is None  # a batch has many parents: it links them instead


def test_a_broken_adapter_never_breaks_the_handler(telemetry: Captured) -> None:
    @obskit.traced.consumer("orders", system="rabbitmq", headers=lambda m: 1 / 0)
    def handler(message: Any) -> str:
        return "still ran"

    assert handler({"headers": {}}) == "still ran"
    assert telemetry.span("process orders").parent is None


def test_context_does_not_survive_a_handler(telemetry: Captured) -> None:
    @obskit.traced.consumer("orders", system="rabbitmq")
    def handler(message: Any) -> None:
        assert trace.get_current_span().get_span_context().is_valid

    handler({"headers": _publish()})
    assert not trace.get_current_span().get_span_context().is_valid


@pytest.mark.parametrize(
    "count",
    [1500, pytest.param(20_000, marks=pytest.mark.slow)],
    ids=["bounded", "soak"],
)
def test_concurrent_handlers_each_see_only_their_own_context(
    telemetry: Captured, count: int
) -> None:
    seen: dict[str, int] = {}
    lock = threading.Lock()

    @obskit.traced.consumer("orders", system="rabbitmq")
    def handler(message: dict[str, Any]) -> None:
        trace_id = trace.get_current_span().get_span_context().trace_id
        with lock:
            seen[message["id"]] = trace_id

    @obskit.traced.consumer("orders", system="rabbitmq")
    async def async_handler(message: dict[str, Any]) -> None:
        await asyncio.sleep(0)
        trace_id = trace.get_current_span().get_span_context().trace_id
        with lock:
            seen[message["id"]] = trace_id

    messages = [{"headers": _publish(), "id": f"t{i}"} for i in range(count)]
    expected = {
        m["id"]: trace.get_current_span(obskit.extract(m["headers"])).get_span_context().trace_id
        for m in messages
    }
    threads = [
        threading.Thread(target=lambda chunk=messages[i::8]: [handler(m) for m in chunk])
        for i in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    async def run_all() -> None:
        await asyncio.gather(*(async_handler({**m, "id": "a" + m["id"]}) for m in messages))

    asyncio.run(run_all())
    assert {k: v for k, v in seen.items() if not k.startswith("a")} == expected
    assert {k[1:]: v for k, v in seen.items() if k.startswith("a")} == expected


def test_publishing_records_failures_and_reraises(telemetry: Captured) -> None:
    with pytest.raises(ConnectionError), obskit.publishing("orders", system="rabbitmq"):
        raise ConnectionError("broker gone")
    span = telemetry.span("send orders")
    assert span.status.status_code == StatusCode.ERROR
    assert span.attributes["obskit.error.kind"] == "transient"
    [(attributes, point)] = telemetry.metric_points("messaging.client.sent.messages")
    assert attributes["error.type"] == "ConnectionError" and point.value == 1


def test_publishing_into_kafka_headers(telemetry: Captured) -> None:
    kafka_headers: list[tuple[str, bytes]] = [("traceparent", b"stale")]
    with obskit.publishing("orders", system="kafka", headers=kafka_headers) as carrier:
        assert carrier is kafka_headers
    names = [k for k, _ in kafka_headers]
    assert names.count("traceparent") == 1
    span = telemetry.span("send orders")
    assert dict(kafka_headers)["traceparent"].decode().split("-")[2] == (
        f"{span.context.span_id:016x}"
    )


def test_producer_decorator(telemetry: Captured) -> None:
    @obskit.traced.producer("shipping", system="nats")
    def send(payload: str) -> dict[str, str]:
        return obskit.inject({})

    headers = send("x")
    span = telemetry.span("send shipping", SpanKind.PRODUCER)
    assert headers["traceparent"].split("-")[2] == f"{span.context.span_id:016x}"


def test_each_failed_message_is_logged_once_at_its_kinds_level(telemetry: Captured) -> None:
    @obskit.traced.consumer("orders", system="rabbitmq")
    def handler(message: dict[str, Any]) -> None:
        raise message["error"]

    handler({"headers": {}, "error": BusinessRuleViolation("no stock")})
    with pytest.raises(PoisonMessage):
        handler({"headers": {}, "error": PoisonMessage("bad json")})
    records = [r.log_record for r in telemetry.logs]
    assert [(r.body, r.severity_text) for r in records] == [
        ("message_refused", "WARNING"),
        ("message_failed", "ERROR"),
    ]
    refused, failed = telemetry.find_spans("process orders")
    assert records[0].span_id == refused.context.span_id  # the line belongs to its span
    assert records[1].span_id == failed.context.span_id
    assert dict(records[0].attributes or {}) == {
        "error.type": "obskit.errors.BusinessRuleViolation",
        "obskit.error.kind": "business",
        "messaging.destination.name": "orders",
        "exception.message": "no stock",
    }


def test_failures_under_an_unsampled_parent_keep_the_policy(telemetry: Captured) -> None:
    @obskit.traced.consumer("orders", system="rabbitmq")
    def handler(message: dict[str, Any]) -> None:
        raise BusinessRuleViolation("no stock")

    assert handler({"headers": {"traceparent": UNSAMPLED}}) is None  # not an AttributeError
    with (
        pytest.raises(ValueError, match="bad payload"),
        obskit.publishing("orders", system="rabbitmq", headers={"traceparent": UNSAMPLED}),
    ):
        raise ValueError("bad payload")
    [(attributes, _)] = telemetry.metric_points("messaging.process.duration")
    assert attributes["error.type"] == "obskit.errors.BusinessRuleViolation"


def test_a_publish_only_service_exports_its_sent_count(telemetry: Captured) -> None:
    InMemoryBus().publish("billing", {"amount": 1})
    [(attributes, point)] = telemetry.metric_points("messaging.client.sent.messages")
    assert attributes["messaging.destination.name"] == "billing" and point.value == 1


def test_a_batch_counts_every_message(telemetry: Captured) -> None:
    @obskit.traced.batch_consumer("orders", system="kafka")
    def handle(batch: list[dict[str, Any]]) -> None: ...

    handle([{"headers": {}} for _ in range(10)])
    [(_, point)] = telemetry.metric_points("messaging.client.consumed.messages")
    assert point.value == 10


def test_fan_out_to_two_consumers_is_not_a_duplicate(telemetry: Captured) -> None:
    bus = InMemoryBus()

    @obskit.traced.consumer("orders", system="obskit.memory", consumer_group="billing")
    def billing(message: BusMessage) -> None: ...

    @obskit.traced.consumer("orders", system="obskit.memory", consumer_group="shipping")
    def shipping(message: BusMessage) -> None: ...

    bus.subscribe("orders", billing)
    bus.subscribe("orders", shipping)
    bus.publish("orders", {"id": 1})
    bus.drain()
    spans = telemetry.find_spans("process orders")
    assert len(spans) == 2
    assert all("obskit.message.duplicate" not in (s.attributes or {}) for s in spans)


def test_interrupts_and_cancellation_are_never_swallowed(telemetry: Captured) -> None:
    ack_everything = ErrorPolicy(reraise=frozenset())

    @obskit.traced.consumer("orders", system="rabbitmq", errors=ack_everything)
    def handler(message: dict[str, Any]) -> None:
        raise KeyboardInterrupt

    @obskit.traced.consumer("orders", system="rabbitmq", errors=ack_everything)
    async def slow(message: dict[str, Any]) -> None:
        await asyncio.sleep(10)

    with pytest.raises(KeyboardInterrupt):
        handler({"headers": {}})

    async def cancel() -> bool:
        task = asyncio.ensure_future(slow({"headers": {}}))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return task.cancelled()

    assert asyncio.run(cancel()) is True


def test_publishing_into_a_carrier_that_refuses_headers(telemetry: Captured) -> None:
    read_only = types.MappingProxyType({})
    with obskit.publishing("orders", system="rabbitmq", headers=read_only) as carrier:
        assert carrier is read_only
    assert telemetry.span("send orders").name == "send orders"


def test_tuple_header_values_and_negative_selectors(telemetry: Captured) -> None:
    context = obskit.extract({"traceparent": (SAMPLED,)})
    assert obskit.inject({}, context) == {"traceparent": SAMPLED}

    @obskit.traced.consumer("orders", system="rabbitmq", message=-5)
    def handler(a: int, b: int) -> str:
        return "ran"

    assert handler(1, 2) == "ran"
