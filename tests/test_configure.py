"""configure(): providers, exporters over real OTLP sockets, environment, idempotence."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry import _logs, metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import obskit
from obskit._state import STATE
from obskit.testing import capture
from tests.support.otlp_receiver import grpc_receiver, http_receiver


def _run(**arguments: Any) -> dict[str, object]:
    """Configure, send and handle one message, flush, shut down: what a service does."""
    telemetry = obskit.configure(**arguments)

    @obskit.traced.consumer("orders", system="rabbitmq")
    def handle(message: object) -> None:
        _logs.get_logger("test").emit(body="handled")

    with obskit.publishing("orders", system="rabbitmq") as headers:
        pass
    handle({"headers": headers, "body": b"{}"})
    flushed = telemetry.force_flush()
    telemetry.shutdown()
    return {"flushed": flushed, "service": telemetry.service_name}


@pytest.mark.parametrize(
    ("receiver", "protocol"), [(grpc_receiver, "grpc"), (http_receiver, "http/protobuf")]
)
def test_otlp_export_reaches_a_real_receiver(receiver, protocol) -> None:
    with receiver() as (endpoint, received):
        result = _run(
            service_name="orders",
            service_version="1.2.3",
            environment="staging",
            exporter="otlp",
            protocol=protocol,
            endpoint=endpoint,
        )
        assert result == {"flushed": True, "service": "orders"}
        spans = received.spans()
        assert sorted(span.name for _, span in spans) == ["process orders", "send orders"]
        resource = spans[0][0]
        assert resource["service.name"] == "orders"
        assert resource["service.version"] == "1.2.3"
        assert resource["deployment.environment.name"] == "staging"
        assert resource["telemetry.sdk.language"] == "python"
        assert resource["telemetry.sdk.name"] == "opentelemetry"
        by_name = {span.name: span for _, span in spans}
        consumer, producer = by_name["process orders"], by_name["send orders"]
        assert consumer.parent_span_id == producer.span_id
        assert consumer.trace_id == producer.trace_id
        assert [link.span_id for link in consumer.links] == [producer.span_id]
        assert [record.body.string_value for record in received.log_records()] == ["handled"]
        assert received.log_records()[0].span_id == consumer.span_id
        assert {
            "messaging.process.duration",
            "messaging.client.consumed.messages",
            "messaging.client.sent.messages",
        } <= received.metric_names()


def test_standard_environment_variables_are_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    with grpc_receiver() as (endpoint, received):
        monkeypatch.setenv("OTEL_SERVICE_NAME", "from-env")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
        monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "team=checkout")
        result = _run()
        assert result["service"] == "from-env"
        resource = received.spans()[0][0]
        assert resource["service.name"] == "from-env"
        assert resource["team"] == "checkout"


def test_sampler_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "traceidratio")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "0")
    with http_receiver() as (endpoint, received):
        _run(exporter="otlp", endpoint=endpoint)
        assert received.spans() == []
        assert "messaging.client.consumed.messages" in received.metric_names()


def test_a_dead_collector_never_breaks_the_host(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "1")
    result = _run(
        service_name="orders",
        exporter="otlp",
        protocol="http/protobuf",
        endpoint="http://127.0.0.1:9",
    )
    # The handler ran, the service flushed and shut down without raising; the failure was logged.
    assert result["service"] == "orders"
    assert "Failed to export" in caplog.text or "Connection refused" in caplog.text


def test_configure_twice_keeps_the_first_providers_and_says_so() -> None:
    """In process: the pytest plugin's reset gives every test a fresh start."""
    first = obskit.configure(service_name="a", exporter="memory")
    provider = trace.get_tracer_provider()
    with pytest.warns(RuntimeWarning, match="already called for 'a'"):
        second = obskit.configure(service_name="b", exporter="memory", mode="fix")
    assert first is second and trace.get_tracer_provider() is provider
    assert STATE.settings.mode == "fix"


def test_the_memory_exporter() -> None:
    telemetry = obskit.configure(service_name="m", exporter="memory")

    @obskit.traced(name="work")
    def work() -> int:
        return 1

    work()
    assert telemetry.memory is not None
    assert [s.name for s in telemetry.memory.spans.get_finished_spans()] == ["work"]


def test_the_console_exporter_writes_spans_to_stdout(capfd: pytest.CaptureFixture[str]) -> None:
    telemetry = obskit.configure(service_name="c", exporter="console")

    @obskit.traced(name="work")
    def work() -> int:
        return 1

    work()
    telemetry.shutdown()
    out, err = capfd.readouterr()
    assert '"name": "work"' in out and '"name": "work"' not in err


def test_a_host_that_set_up_opentelemetry_itself_gets_obskit_spans() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)  # the plugin puts the API's global back afterwards

    @obskit.traced.consumer("orders", system="kafka")
    def handle(message: object) -> str:
        return "ok"

    handle({"headers": {}})
    assert [(s.name, s.kind.name) for s in exporter.get_finished_spans()] == [
        ("process orders", "CONSUMER")
    ]


def test_invalid_arguments_are_clear_errors() -> None:
    import obskit

    with pytest.raises(ValueError, match="exporter must be one of"):
        obskit.configure(exporter="zipkin")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="mode must be one of"):
        obskit.configure(mode="loud")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=prod", "prod"),
        (None, None, "development"),
        ("OBSKIT_ENVIRONMENT", "staging", "staging"),
    ],
)
def test_environment_comes_from_otel_resource_attributes_when_not_given(
    monkeypatch: pytest.MonkeyPatch, variable: str | None, value: str, expected: str
) -> None:
    for name in ("OTEL_RESOURCE_ATTRIBUTES", "OBSKIT_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    if variable is not None:
        monkeypatch.setenv(variable, value)
    telemetry = obskit.configure(service_name="s", exporter="memory")
    assert telemetry.tracer_provider is not None
    assert telemetry.tracer_provider.resource.attributes["deployment.environment.name"] == expected


def test_capture_beside_a_host_owned_sdk_records_spans_quietly(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    trace.set_tracer_provider(TracerProvider())  # the plugin puts the API's globals back after
    metrics.set_meter_provider(MeterProvider())

    @obskit.traced.consumer("orders", system="kafka")
    def handle(message: object) -> str:
        return "ok"

    with capture() as telemetry:
        handle({"headers": {}})
    assert [s.name for s in telemetry.spans] == ["process orders"]
    assert telemetry.metrics == []  # the host's metrics stay the host's
    assert "MetricReader" not in caplog.text + capsys.readouterr().err
