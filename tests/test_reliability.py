"""A slow or dead collector never blocks or breaks the host: queues stay bounded and every
dropped span is counted."""

from __future__ import annotations

from tests.support.otlp_receiver import http_receiver
from tests.support.subprocess_run import run_python

FLOOD = """
import json, time, obskit
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from obskit import _state
telemetry = obskit.configure(service_name="flood", exporter="otlp", endpoint={endpoint!r})

@obskit.traced.consumer("orders", system="rabbitmq")
def handle(message):
    return message["n"]

results = [handle({{"headers": {{}}, "n": n}}) for n in range({count})]
data = _state.capture_metric_reader().get_metrics_data()
processed = {{}}
for rm in data.resource_metrics:
    for scope in rm.scope_metrics:
        for metric in scope.metrics:
            if metric.name == "otel.sdk.processor.span.processed":
                for point in metric.data.data_points:
                    key = dict(point.attributes).get("error.type", "ok")
                    processed[key] = processed.get(key, 0) + point.value
print(json.dumps({{"handled": len(results), "last": results[-1], "processed": processed}}))
"""


def _flood(endpoint: str, count: int) -> dict[str, object]:
    out = run_python(
        FLOOD.format(endpoint=endpoint, count=count),
        {
            "OTEL_BSP_MAX_QUEUE_SIZE": "256",
            "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "128",
            "OTEL_BSP_EXPORT_TIMEOUT": "1000",
            "OTEL_EXPORTER_OTLP_TIMEOUT": "1",
        },
        timeout=120,
    )
    result: dict[str, object] = out["result"]
    return result


def test_a_slow_collector_drops_and_counts_instead_of_blocking() -> None:
    with http_receiver(delay=2.0) as (endpoint, _received):
        result = _flood(endpoint, 5000)
    assert result["handled"] == 5000 and result["last"] == 4999  # the host never noticed
    processed = result["processed"]
    assert isinstance(processed, dict)
    # the queue holds at most 256 spans: the rest of the flood was dropped, and counted
    assert processed.get("queue_full", 0) >= 5000 - 256 - 128 * 4


def test_a_dead_collector_drops_and_counts_too() -> None:
    result = _flood("http://127.0.0.1:9", 3000)
    assert result["handled"] == 3000
    processed = result["processed"]
    assert isinstance(processed, dict) and sum(processed.values()) > 0
