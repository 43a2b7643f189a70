"""Behaviours the mutation review found untested: a custom propagator, enum values in the
runtime validator, batch destinations (no-SDK interrupts: tests/test_cancellation.py; the
redaction depth limit: tests/test_sensitive.py; debug/critical-only files: tests/lint)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.propagators.textmap import (
    CarrierT,
    Getter,
    Setter,
    TextMapPropagator,
    default_getter,
    default_setter,
)
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

import obskit
from obskit._state import Settings, update_settings
from obskit.conventions import Level, RulesConfig, default_registry
from obskit.logging import ConventionError, configure_logging
from obskit.testing import Captured
from tests.support.subprocess_run import run_python


class RequestIdPropagator(TextMapPropagator):
    """A house format: ``x-trace: <trace id hex>/<span id hex>``."""

    def extract(
        self,
        carrier: CarrierT,
        context: Context | None = None,
        getter: Getter[CarrierT] = default_getter,
    ) -> Context:
        values = getter.get(carrier, "x-trace")
        if not values:
            return context or Context()
        trace_id, span_id = values[0].split("/")
        span = NonRecordingSpan(
            SpanContext(int(trace_id, 16), int(span_id, 16), True, TraceFlags(1))
        )
        return trace.set_span_in_context(span, context)

    def inject(
        self,
        carrier: CarrierT,
        context: Context | None = None,
        setter: Setter[CarrierT] = default_setter,
    ) -> None:
        span_context = trace.get_current_span(context).get_span_context()
        if span_context.is_valid:
            setter.set(
                carrier, "x-trace", f"{span_context.trace_id:032x}/{span_context.span_id:016x}"
            )

    @property
    def fields(self) -> set[str]:
        return {"x-trace"}


@pytest.fixture
def house_propagator() -> Iterator[None]:
    previous = propagate.get_global_textmap()
    propagate.set_global_textmap(RequestIdPropagator())
    yield
    propagate.set_global_textmap(previous)


def test_a_custom_propagator_carries_the_trace_through_a_consumer(
    house_propagator: None, telemetry: Captured
) -> None:
    sent: list[dict[str, str]] = []

    @obskit.traced.consumer("orders", system="rabbitmq")
    def handle(message: dict[str, Any]) -> None:
        with obskit.publishing("shipping", system="rabbitmq") as headers:
            sent.append(dict(headers))

    handle({"headers": {"x-trace": f"{'a' * 32}/{'b' * 16}"}})
    consumer = telemetry.span("process orders")
    assert consumer.context.trace_id == int("a" * 32, 16)
    assert consumer.parent is not None and consumer.parent.span_id == int("b" * 16, 16)
    producer = telemetry.span("send shipping")
    assert sent[0]["x-trace"] == f"{'a' * 32}/{producer.context.span_id:016x}"
    assert "traceparent" not in sent[0]


def test_otel_propagators_from_the_environment_are_honoured() -> None:
    out = run_python(
        """
        import json, obskit
        from opentelemetry import baggage, context
        obskit.configure("svc", exporter="none")
        token = context.attach(baggage.set_baggage("tenant", "acme"))
        with obskit.publishing("q", system="rabbitmq") as headers:
            sent = dict(headers)
        parent = "00-" + "1" * 32 + "-" + "2" * 16 + "-01"
        incoming = {"baggage": "tenant=acme", "traceparent": parent}
        extracted = obskit.extract(incoming)
        print(json.dumps({
            "sent": sorted(sent),
            "baggage": dict(baggage.get_all(extracted)),
            "trace": obskit.inject({}, extracted),
        }))
        """,
        env={"OTEL_PROPAGATORS": "baggage"},
    )["result"]
    # baggage only: no traceparent goes out, none is read in
    assert out == {
        "sent": ["baggage", "obskit-sent-at"],
        "baggage": {"tenant": "acme"},
        "trace": {"baggage": "tenant=acme"},
    }


def test_enum_values_are_judged_per_value_in_the_runtime_validator() -> None:
    registry = default_registry().with_config(
        RulesConfig(
            levels={"undefined_enum_variant": Level.VIOLATION}, ignore=frozenset({"not_stable"})
        )
    )
    update_settings(Settings(mode="warn", registry=registry))
    stream = io.StringIO()
    configure_logging(stream=stream, format="json", timestamps=False)
    log = obskit.get_logger("x")
    for value in ("bogus", "business", "bogus", "other", "transient"):
        log.info("outcome", obskit_error_kind=value)
    findings = [
        (event["obskit_convention_finding_code"], event.get("obskit_convention_finding_name"))
        for event in map(json.loads, stream.getvalue().splitlines())
        if event["event"] == "obskit.convention.finding"
    ]
    assert findings == [("undefined_enum_variant", "obskit_error_kind")]  # one distinct problem

    update_settings(Settings(mode="strict", registry=registry))
    log.info("outcome", obskit_error_kind="poison")
    with pytest.raises(ConventionError, match="undefined_enum_variant"):
        log.info("outcome", obskit_error_kind="nonsense")


def test_batch_destinations_static_and_dynamic(telemetry: Captured) -> None:
    @obskit.traced.batch_consumer("orders", system="kafka")
    def static(batch: list[dict[str, Any]]) -> None:
        return None

    def topic(batch: list[dict[str, Any]]) -> str:
        return str(batch[0]["topic"])

    topic.template = "tenant.{id}.orders"  # type: ignore[attr-defined]

    @obskit.traced.batch_consumer(topic, system="kafka")
    def dynamic(batch: list[dict[str, Any]]) -> None:
        return None

    static([{"headers": {}}, {"headers": {}}])
    dynamic([{"headers": {}, "topic": "tenant.7.orders"}])
    attributes = dict(telemetry.span("process orders").attributes or {})
    assert attributes["messaging.destination.name"] == "orders"
    assert attributes["messaging.batch.message_count"] == 2
    attributes = dict(telemetry.span("process tenant.{id}.orders").attributes or {})
    assert attributes["messaging.destination.name"] == "tenant.7.orders"
    assert attributes["messaging.destination.template"] == "tenant.{id}.orders"
    assert attributes["messaging.batch.message_count"] == 1
