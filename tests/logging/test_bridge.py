"""The OTel log bridge: records linked to the span, canonical dotted names, redacted values."""

from __future__ import annotations

from collections.abc import Callable

from opentelemetry import trace
from opentelemetry._logs import SeverityNumber

from obskit.conventions import Registry
from obskit.logging import OTelLogBridge, get_logger
from obskit.testing import capture
from tests.logging.conftest import Output
from tests.support.subprocess_run import run_python


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


_COUNT_EMITS = """
    import io, json, obskit
    from opentelemetry.sdk._logs import Logger
    from obskit.logging import configure_logging
    from obskit.testing import capture

    emitted = []
    original = Logger.emit
    def counting(self, *args, **kwargs):
        emitted.append(kwargs.get("body"))
        return original(self, *args, **kwargs)
    Logger.emit = counting
    obskit.configure(service_name="quiet", exporter=EXPORTER)
    configure_logging(stream=io.StringIO(), format="json")
    log = obskit.get_logger("orders")
    log.info("before")
    with capture() as tel:
        log.info("captured")
    log.info("after")
    print(json.dumps({"emitted": emitted, "captured": [r.log_record.body for r in tel.logs]}))
"""


def test_nothing_is_bridged_when_no_log_exporter_receives_it() -> None:
    """``exporter="none"``: the bridge emits only while ``capture()`` listens."""
    out = run_python(_COUNT_EMITS.replace("EXPORTER", "'none'"))["result"]
    assert out == {"emitted": ["captured"], "captured": ["captured"]}


def test_every_event_is_bridged_when_a_log_exporter_is_configured() -> None:
    out = run_python(_COUNT_EMITS.replace("EXPORTER", "'memory'"))["result"]
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
