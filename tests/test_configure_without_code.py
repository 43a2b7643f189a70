"""Configuration without code changes (``OBSKIT_*``), JSON lines that say where they come from,
and chosen baggage on every span and log line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from opentelemetry import baggage, trace
from opentelemetry import context as context_api

import obskit
from obskit.logging import ConventionError, configure_logging
from obskit.testing import Telemetry

REGISTRY = """
groups:
  - id: registry.acme
    type: attribute_group
    brief: Acme's names.
    attributes:
      - id: acme.tenant.id
        type: string
        stability: development
        brief: The tenant.
        examples: ["t-1"]
      - id: acme.card.number
        type: string
        stability: development
        brief: A card number.
        examples: ["4111"]
        annotations:
          obskit:
            sensitive: true
"""


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]


def test_obskit_mode_applies_and_an_argument_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBSKIT_MODE", "strict")
    obskit.configure(service_name="orders", exporter="none")
    with pytest.raises(ConventionError):
        obskit.get_logger("t").info("order_placed", orderID="o-1")
    obskit.reset()
    obskit.configure(service_name="orders", exporter="none", mode="off")
    obskit.get_logger("t").info("order_placed", orderID="o-1")  # off: nothing raises


def test_a_bad_obskit_mode_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBSKIT_MODE", "loud")
    with pytest.raises(ValueError, match="OBSKIT_MODE must be one of"):
        obskit.configure(service_name="orders", exporter="none")


def test_obskit_conventions_loads_the_registry(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "acme.yaml").write_text(REGISTRY)
    monkeypatch.setenv("OBSKIT_CONVENTIONS", str(tmp_path))
    obskit.configure(service_name="orders", exporter="none")
    stream = io.StringIO()
    configure_logging(stream=stream, format="json")
    obskit.get_logger("t").info("card_seen", acme_card_number="4242-0000", acme_tenant_id="t-1")
    [line] = _lines(stream)
    assert line["acme_card_number"] == "[REDACTED]"  # sensitive in the registry from the env
    assert line["acme_tenant_id"] == "t-1"


def test_json_lines_carry_the_service_and_its_environment() -> None:
    obskit.configure(service_name="billing", environment="production", exporter="none")
    stream = io.StringIO()
    configure_logging(stream=stream, format="json")
    obskit.get_logger("t").info("invoice_sent")
    import logging

    logging.getLogger("third.party").warning("a stdlib record")
    lines = _lines(stream)
    assert len(lines) == 2
    for line in lines:
        assert line["service.name"] == "billing"
        assert line["deployment.environment.name"] == "production"


def test_chosen_baggage_reaches_every_span_and_log_line(telemetry: Telemetry) -> None:
    obskit.configure(
        service_name="orders",
        exporter="none",
        baggage_attributes=["app.tenant.id", "app.session.password"],
    )
    stream = io.StringIO()
    configure_logging(stream=stream, format="json")

    @obskit.traced.consumer("orders", system="rabbitmq")
    def on_order(message: dict[str, object]) -> None:
        obskit.get_logger("t").info("order_received")
        with trace.get_tracer("a.library").start_as_current_span("library call"):
            pass

    headers = {
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "baggage": "app.tenant.id=t-42,app.session.password=hunter2,other=x",
    }
    on_order({"headers": headers, "body": b"{}"})
    spans = {span.name: dict(span.attributes or {}) for span in telemetry.spans}
    for name in ("process orders", "library call"):
        assert spans[name]["app.tenant.id"] == "t-42", name
        assert spans[name]["app.session.password"] == "[REDACTED]", name
        assert "other" not in spans[name]
    [line] = [line for line in _lines(stream) if line["event"] == "order_received"]
    assert line["app_tenant_id"] == "t-42"
    assert line["app_session_password"] == "[REDACTED]"
    assert "other" not in line


def test_no_baggage_is_copied_unless_chosen(telemetry: Telemetry) -> None:
    obskit.configure(service_name="orders", exporter="none")
    token = context_api.attach(baggage.set_baggage("app.tenant.id", "t-42"))
    try:
        obskit.traced(lambda: None)()
    finally:
        context_api.detach(token)
    [span] = telemetry.spans
    assert "app.tenant.id" not in (span.attributes or {})


def test_baggage_attributes_must_be_strings() -> None:
    with pytest.raises(TypeError, match="baggage_attributes"):
        obskit.configure(service_name="orders", exporter="none", baggage_attributes=[1])  # type: ignore[list-item]
