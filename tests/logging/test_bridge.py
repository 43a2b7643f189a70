"""The OTel log bridge: records linked to the span, canonical dotted names, redacted values."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry._logs import SeverityNumber
from opentelemetry.sdk._logs import Logger
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor

import obskit
from obskit._losses import losses
from obskit.conventions import Registry
from obskit.logging import OTelLogBridge, configure_logging, get_logger
from obskit.testing import capture
from tests.logging.conftest import Output
from tests.support.otlp_receiver import attributes, http_receiver


def test_events_become_log_records_under_the_current_span(
    out: Output, use_mode: Callable[..., None], shop_registry: Registry
) -> None:
    use_mode("fix", shop_registry)
    with capture() as tel, trace.get_tracer("t").start_as_current_span("work") as span:
        get_logger("shop").warning(
            "order_received", orderId="o-1", customer_email="j@x.io", colour="red"
        )
    records = [r.log_record for r in tel.logs if r.log_record.body == "order_received"]
    assert len(records) == 1
    record = records[0]
    assert record.trace_id == span.get_span_context().trace_id
    assert record.span_id == span.get_span_context().span_id
    assert record.severity_number == SeverityNumber.WARN
    assert record.severity_text == "WARNING"
    assert dict(record.attributes or {}) == {
        "app.order.id": "o-1",
        "app.customer.email": "[REDACTED]",
        "colour": "red",
    }
    assert [
        r.instrumentation_scope.name for r in tel.logs if r.log_record.body == "order_received"
    ] == ["shop"]


def test_without_conventions_a_plain_key_stays_plain(
    out: Output, use_mode: Callable[..., None]
) -> None:
    """No example names in the defaults: ``order_id`` is not the demo's ``app.order.id``."""
    use_mode("fix")
    with capture() as tel:
        get_logger("svc").info("order_received", order_id="o-1")
    (record,) = [r.log_record for r in tel.logs if r.log_record.body == "order_received"]
    assert dict(record.attributes or {}) == {"order_id": "o-1"}


def test_exceptions_become_exception_attributes(out: Output, use_mode: Callable[..., None]) -> None:
    use_mode("off")
    with capture() as tel:
        try:
            raise ValueError("boom")
        except ValueError:
            get_logger().exception("failed")
    (record,) = [r.log_record for r in tel.logs if r.log_record.body == "failed"]
    attributes = dict(record.attributes or {})
    assert record.severity_number == SeverityNumber.ERROR
    assert attributes["exception.type"] == "ValueError"
    assert attributes["exception.message"] == "boom"


def test_the_bridge_maps_log_keys_to_canonical_names(shop_registry: Registry) -> None:
    bridge = OTelLogBridge(shop_registry)
    assert bridge.canonical("order_id") == "app.order.id"
    assert bridge.canonical("oid") == "app.order.id"
    assert bridge.canonical("colour") == "colour"


def _count_emits(monkeypatch: pytest.MonkeyPatch, exporter: Any) -> dict[str, list[Any]]:
    """Which events reached an SDK ``Logger.emit`` around a capture, and which it captured."""
    emitted: list[Any] = []
    original = Logger.emit

    def counting(self: Logger, *args: Any, **kwargs: Any) -> None:
        emitted.append(kwargs.get("body"))
        original(self, *args, **kwargs)

    monkeypatch.setattr(Logger, "emit", counting)
    obskit.configure(service_name="quiet", exporter=exporter)
    configure_logging(stream=io.StringIO(), format="json")
    log = obskit.get_logger("orders")
    log.info("before")
    with capture() as tel:
        log.info("captured")
    log.info("after")
    return {"emitted": emitted, "captured": [r.log_record.body for r in tel.logs]}


def test_nothing_is_bridged_when_no_log_exporter_receives_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``exporter="none"``: the bridge emits only while ``capture()`` listens."""
    out = _count_emits(monkeypatch, "none")
    assert out == {"emitted": ["captured"], "captured": ["captured"]}


def test_every_event_is_bridged_when_a_log_exporter_is_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = _count_emits(monkeypatch, "memory")
    assert out == {"emitted": ["before", "captured", "after"], "captured": ["captured"]}


def test_an_event_name_is_the_records_event_name(
    out: Output, use_mode: Callable[..., None]
) -> None:
    """Semantic conventions 1.40: the event's name in EventName, its details in attributes."""
    use_mode("off")
    with capture() as tel:
        get_logger("shop").info("order_received", server_port=8080)
        get_logger("shop").info("Order received from the web shop")
    named, sentence = [r.log_record for r in tel.logs]
    assert (named.event_name, named.body) == ("order_received", "order_received")
    assert dict(named.attributes or {}) == {"server.port": 8080}
    assert sentence.event_name is None  # a sentence is not a name: only the body


def _exporting(endpoint: str, mode: str = "warn") -> obskit.Telemetry:
    """obskit's own OTLP export to ``endpoint``, JSON lines to nowhere."""
    telemetry = obskit.configure(
        service_name="orders", exporter="otlp", endpoint=endpoint, mode=mode
    )
    configure_logging(stream=io.StringIO(), format="json")
    return telemetry


def test_the_directly_queued_record_is_the_one_logger_emit_builds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """obskit's own export: the bridge builds the record once and queues it, without
    ``Logger.emit``; the collector receives exactly what the SDK's path sends."""
    emitted: list[Any] = []
    original = Logger.emit

    def counting(self: Logger, *args: Any, **kwargs: Any) -> None:
        emitted.append(kwargs.get("body"))
        original(self, *args, **kwargs)

    monkeypatch.setattr(Logger, "emit", counting)
    fields: dict[str, Any] = dict(
        server_port=8080, ratio=0.5, ok=True, tags=["a", "b"], mixed=[1, "x"],
        nested={"k": 1}, password="hunter2", note="card 4111 1111 1111 1111",
    )  # fmt: skip
    with http_receiver() as (endpoint, received):
        telemetry = _exporting(endpoint)
        log = get_logger("shop")
        with trace.get_tracer("t").start_as_current_span("work"):
            log.warning("order_received", **fields)  # obskit's own export only: queued directly
            with capture():
                log.warning("order_received", **fields)  # capture listens: through Logger.emit
            log.info("Order received from the web shop")
        flushed = telemetry.force_flush()
        telemetry.shutdown()
        records = [
            record
            for record in received.log_records()
            if record.body.string_value != "obskit.convention.finding"  # warn mode's reports
        ]
        resources = [
            attributes(resource_logs.resource.attributes)
            for request in received.logs
            for resource_logs in request.resource_logs
        ]
        scopes = {
            scope_logs.scope.name
            for request in received.logs
            for resource_logs in request.resource_logs
            for scope_logs in resource_logs.scope_logs
            if any(record in records for record in scope_logs.log_records)
        }
    assert flushed is True
    assert emitted == ["order_received"]  # one of three through Logger.emit
    direct, through_emit, sentence = records
    assert direct.time_unix_nano <= through_emit.time_unix_nano
    for record in (direct, through_emit):
        record.ClearField("time_unix_nano")
        record.ClearField("observed_time_unix_nano")
    assert direct == through_emit
    assert direct.event_name == "order_received"
    assert direct.severity_text == "WARNING"
    assert len(direct.trace_id) == 16 and direct.span_id == sentence.span_id
    found = attributes(direct.attributes)
    arrays = {key: [v.string_value for v in found.pop(key).values] for key in ("tags", "mixed")}
    assert arrays == {"tags": ["a", "b"], "mixed": ["1", "x"]}
    assert found == {
        "server.port": 8080,
        "ratio": 0.5,
        "ok": True,
        "nested": "{'k': 1}",
        "password": "[REDACTED]",
        "note": "card [REDACTED]",
    }
    assert sentence.event_name == "" and sentence.body.string_value.startswith("Order")
    assert scopes == {"shop"}
    assert all(resource["service.name"] == "orders" for resource in resources)


def test_a_full_export_queue_drops_and_counts_before_building(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_BLRP_MAX_QUEUE_SIZE", "5")
    monkeypatch.setenv("OTEL_BLRP_SCHEDULE_DELAY", "60000")
    with http_receiver() as (endpoint, _):
        _exporting(endpoint, mode="off")
        for n in range(20):
            get_logger("shop").info("order_received", n=n)
        assert losses.total("log") == 15


def test_a_processor_added_to_obskits_provider_gets_the_sdks_records() -> None:
    with http_receiver() as (endpoint, received):
        telemetry = _exporting(endpoint, mode="off")
        log = get_logger("shop")
        log.info("before")
        mine = InMemoryLogRecordExporter()  # type: ignore[no-untyped-call]
        telemetry.logger_provider.add_log_record_processor(SimpleLogRecordProcessor(mine))
        log.info("after", order_id="o-1")
        telemetry.force_flush()
        telemetry.shutdown()
        bodies = [record.body.string_value for record in received.log_records()]
    found = [
        (r.log_record.body, dict(r.log_record.attributes or {})) for r in mine.get_finished_logs()
    ]
    assert found == [("after", {"order_id": "o-1"})]
    assert bodies == ["before", "after"]


def test_a_burst_is_exported_batch_by_batch_not_after_the_schedule_delay(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The export worker is woken whenever a whole batch waits, also when it was still busy
    with the previous ones as the queue passed a batch (it used to sleep out the delay, here
    a minute, while the queue filled up and then dropped)."""
    monkeypatch.setenv("OTEL_BLRP_SCHEDULE_DELAY", "60000")
    monkeypatch.setenv("OTEL_BLRP_MAX_QUEUE_SIZE", "100000")
    with http_receiver() as (endpoint, received):
        _exporting(endpoint, mode="off")
        log = get_logger("shop")
        for n in range(20000):
            log.info("order_received", n=n)
        deadline = time.monotonic() + 10  # a bound on waiting, not a measured threshold
        while len(received.log_records()) < 20000 and time.monotonic() < deadline:
            time.sleep(0.05)
        exported = len(received.log_records())
    assert (exported, losses.total("log")) == (20000, 0)
