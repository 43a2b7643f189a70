"""What a consumer span and its log line carry in the less common configurations: a template
from the callable's name, a raising destination, a consumer group, parent=False, selectors at the
edges, user attributes on single and batch spans, a batch under a current span, and the failure
log line for a dynamic destination."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from opentelemetry import context, trace

import obskit
from obskit.errors import PoisonMessage
from obskit.testing import Captured

PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
TRACE_ID = 0x4BF92F3577B34DA6A3CE929D0E0E4736


def test_a_destination_callable_names_the_span_by_its_function_name(telemetry: Captured) -> None:
    def tenant_orders(message: dict[str, Any], *, tenant: str) -> str:
        return f"{tenant}.orders"

    @obskit.traced.consumer(tenant_orders, system="kafka", consumer_group="billing")
    def handle(message: dict[str, Any], *, tenant: str) -> None:
        return None

    handle({"headers": {}}, tenant="acme")
    span = telemetry.span("process tenant_orders")
    attributes = dict(span.attributes or {})
    assert attributes["messaging.destination.name"] == "acme.orders"
    assert attributes["messaging.destination.template"] == "tenant_orders"
    assert attributes["messaging.consumer.group.name"] == "billing"
    assert attributes["messaging.operation.name"] == "process"


def test_a_destination_without_a_name_is_dynamic(telemetry: Captured) -> None:
    class Router:
        def __call__(self, message: dict[str, Any]) -> str:
            return "routed"

    @obskit.traced.consumer(Router(), system="kafka")
    def handle(message: dict[str, Any]) -> None:
        return None

    handle({"headers": {}})
    assert telemetry.span("process dynamic").attributes["messaging.destination.name"] == "routed"


def test_a_raising_destination_is_unknown_with_one_warning(
    telemetry: Captured, caplog: pytest.LogCaptureFixture
) -> None:
    def topic(message: dict[str, Any]) -> str:
        raise LookupError("no topic")

    @obskit.traced.consumer(topic, system="kafka")
    def handle(message: dict[str, Any]) -> str:
        return "handled"

    with caplog.at_level(logging.WARNING, logger="obskit"):
        assert handle({"headers": {}}) == "handled"
        assert handle({"headers": {}}) == "handled"
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.getMessage().endswith("the destination callable raised; using 'unknown'")
    assert "topic" in warning.getMessage()
    names = {
        s.attributes["messaging.destination.name"] for s in telemetry.find_spans("process topic")
    }
    assert names == {"unknown"}


def test_parent_false_starts_a_new_trace_that_links_the_producer(telemetry: Captured) -> None:
    @obskit.traced.consumer("orders", system="rabbitmq", parent=False)
    def handle(message: dict[str, Any]) -> None:
        return None

    handle({"headers": {"traceparent": PARENT}})
    span = telemetry.span("process orders")
    assert span.parent is None and span.context.trace_id != TRACE_ID
    assert [link.context.trace_id for link in span.links] == [TRACE_ID]

    @obskit.traced.consumer("orders", system="rabbitmq")
    def child(message: dict[str, Any]) -> None:
        return None

    telemetry.clear()
    child({"headers": {}})
    assert list(telemetry.span("process orders").links) == []  # no producer, nothing to link


def test_selectors_at_the_edges(telemetry: Captured) -> None:
    seen: list[str] = []

    @obskit.traced.consumer("orders", system="rabbitmq", message=-2)
    def by_position(first: dict[str, Any], second: str) -> None:
        seen.append("position")

    @obskit.traced.consumer("orders", system="rabbitmq", message=5)
    def out_of_range(message: dict[str, Any]) -> None:
        seen.append("out of range")

    @obskit.traced.consumer("orders", system="rabbitmq")
    def by_keyword(*, message: dict[str, Any]) -> None:
        seen.append("keyword")

    by_position({"headers": {"traceparent": PARENT}}, "x")
    out_of_range({"headers": {"traceparent": PARENT}})
    by_keyword(message={"headers": {"traceparent": PARENT}})
    traces = [span.context.trace_id == TRACE_ID for span in telemetry.find_spans("process orders")]
    assert traces == [True, False, True]
    assert seen == ["position", "out of range", "keyword"]


def test_user_attributes_on_single_and_batch_spans(telemetry: Captured) -> None:
    def per_call(message: Any, *, shard: int) -> dict[str, Any]:
        return {"app.shard": shard, "app.size": len(message)}

    @obskit.traced.consumer("orders", system="kafka", attributes=per_call)
    def handle(message: dict[str, Any], *, shard: int) -> None:
        return None

    @obskit.traced.batch_consumer("batches", system="kafka", attributes=per_call)
    def handle_batch(messages: list[dict[str, Any]], *, shard: int) -> None:
        return None

    handle({"headers": {}}, shard=3)
    handle_batch([{"headers": {}}, {"headers": {}}], shard=4)
    single = dict(telemetry.span("process orders").attributes or {})
    batch = dict(telemetry.span("process batches").attributes or {})
    assert (single["app.shard"], single["app.size"]) == (3, 1)
    assert (batch["app.shard"], batch["app.size"]) == (4, 2)


def test_a_batch_is_a_child_of_the_current_span_and_reads_custom_headers(
    telemetry: Captured,
) -> None:
    @obskit.traced.batch_consumer("orders", system="kafka", headers=lambda m: m["meta"])
    def handle_batch(messages: list[dict[str, Any]]) -> None:
        return None

    token = context.attach(obskit.extract({"traceparent": PARENT}))
    try:
        handle_batch([{"meta": {"traceparent": PARENT}}])
    finally:
        context.detach(token)
    span = telemetry.span("process orders")
    assert span.parent is not None and span.parent.span_id == 0x00F067AA0BA902B7
    assert [link.context.trace_id for link in span.links] == [TRACE_ID]
    assert "obskit.context.missing" not in (span.attributes or {})


@pytest.mark.parametrize("batch", ["not a batch", 42, None])
def test_anything_but_a_sequence_is_an_empty_batch(telemetry: Captured, batch: Any) -> None:
    @obskit.traced.batch_consumer("orders", system="kafka")
    def handle_batch(messages: Any) -> Any:
        return messages

    assert handle_batch(batch) == batch
    assert telemetry.span("process orders").attributes["messaging.batch.message_count"] == 0


def test_a_batch_found_by_keyword(telemetry: Captured) -> None:
    @obskit.traced.batch_consumer("orders", system="kafka", message="records")
    def handle_batch(*, records: list[dict[str, Any]]) -> None:
        return None

    handle_batch(records=[{"headers": {}}] * 3)
    assert telemetry.span("process orders").attributes["messaging.batch.message_count"] == 3


def test_a_failed_batch_counts_every_message_with_its_error_type(telemetry: Captured) -> None:
    @obskit.traced.batch_consumer("orders", system="kafka")
    def handle_batch(messages: list[dict[str, Any]]) -> None:
        raise PoisonMessage("undecodable batch")

    with pytest.raises(PoisonMessage):
        handle_batch([{"headers": {}}, {"headers": {}}])
    [(attributes, point)] = telemetry.metric_points("messaging.client.consumed.messages")
    assert attributes["error.type"] == "obskit.errors.PoisonMessage" and point.value == 2
    [(attributes, point)] = telemetry.metric_points("messaging.process.duration")
    assert attributes["error.type"] == "obskit.errors.PoisonMessage"
    assert 0 <= point.sum < 60  # a duration, not a clock reading


def test_the_failure_line_of_a_dynamic_destination_names_its_template(
    telemetry: Captured,
) -> None:
    def topic(message: dict[str, Any]) -> str:
        return "t.1"

    topic.template = "t.{n}"  # type: ignore[attr-defined]

    @obskit.traced.consumer(topic, system="kafka")
    def handle(message: dict[str, Any]) -> None:
        raise PoisonMessage("x" * 300)

    with pytest.raises(PoisonMessage):
        handle({"headers": {}})
    [record] = [r.log_record for r in telemetry.logs]
    attributes = dict(record.attributes or {})
    assert attributes["messaging.destination.name"] == "t.{n}"
    assert attributes["exception.message"] == "x" * 200
    assert record.span_id == telemetry.span("process t.{n}").context.span_id


def test_a_cancelled_message_logs_nothing_and_keeps_the_span_current_context_clean(
    telemetry: Captured,
) -> None:
    @obskit.traced.consumer("orders", system="rabbitmq")
    def handle(message: dict[str, Any]) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        handle({"headers": {"traceparent": PARENT}})
    assert list(telemetry.logs) == []
    assert not trace.get_current_span().get_span_context().is_valid
