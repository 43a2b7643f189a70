"""``obskit check`` says which hop lost the trace: consumer spans without incoming context,
per service and destination."""

from __future__ import annotations

import json
from pathlib import Path

from opentelemetry.trace import SpanKind

import obskit
from obskit.testing import capture
from obskit.view._otlp_json import dumps, encode_spans
from tests.lint.conftest import RunCli

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def telemetry(tmp_path: Path) -> tuple[Path, str]:
    """Real consumer spans: one continued a trace, two on ``shipping`` started their own."""

    @obskit.traced.consumer("orders", system="rabbitmq")
    def orders(message: dict[str, object]) -> None: ...

    @obskit.traced.consumer("shipping", system="rabbitmq")
    def shipping(message: dict[str, object]) -> None: ...

    with capture() as tel:
        orders({"headers": {"traceparent": TRACEPARENT}})
        shipping({"headers": {}})
        shipping({"body": b"no headers at all"})
    spans = tel.find_spans(kind=SpanKind.CONSUMER)
    path = tmp_path / "traces.jsonl"
    path.write_text(dumps([encode_spans(spans)]))
    service = str(spans[0].resource.attributes["service.name"])
    return path, service


def test_check_reports_consumer_spans_without_context(tmp_path: Path, cli: RunCli) -> None:
    path, service = telemetry(tmp_path)
    result = cli("check", path, "--select", "deprecated")
    assert result.out.splitlines()[-3:-1] == [
        "trace context: 2 of 3 consumer spans had no incoming context",
        f"  {service} <- shipping: 2 of 2",
    ]


def test_check_json_lists_every_consumer_hop(tmp_path: Path, cli: RunCli) -> None:
    path, service = telemetry(tmp_path)
    result = cli("check", path, "--select", "deprecated", "--format", "json")
    assert json.loads(result.out)["context"] == [
        {"service": service, "destination": "orders", "consumer_spans": 1, "without_context": 0},
        {"service": service, "destination": "shipping", "consumer_spans": 2, "without_context": 2},
    ]


def test_no_report_when_every_consumer_continued_a_trace(tmp_path: Path, cli: RunCli) -> None:
    @obskit.traced.consumer("orders", system="rabbitmq")
    def orders(message: dict[str, object]) -> None: ...

    with capture() as tel:
        orders({"headers": {"traceparent": TRACEPARENT}})
    path = tmp_path / "traces.jsonl"
    path.write_text(dumps([encode_spans(tel.find_spans(kind=SpanKind.CONSUMER))]))
    assert "trace context" not in cli("check", path, "--select", "deprecated").out
