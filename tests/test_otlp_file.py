"""``configure(exporter="file")``: the Collector file exporter's OTLP/JSON lines, rotated by size,
read back by ``obskit view``, ``obskit check`` and ``obskit serve --load``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import obskit
from obskit._otlp_file import FileSink
from obskit.view import load
from tests.serve.conftest import get_json, serve_process


@pytest.fixture
def exported(tmp_path: Path) -> Path:
    """What a service configured with ``exporter="file"`` writes (in process: the pytest
    plugin's reset gives the test its own configuration)."""
    path = tmp_path / "telemetry.jsonl"
    telemetry = obskit.configure(service_name="orders", exporter="file", path=str(path))

    @obskit.traced.consumer("orders", system="rabbitmq", attributes={"app.order.id": "ord-7"})
    def handle(message: object) -> None:
        obskit.get_logger("orders").info("order_received", order_id="ord-7")

    with obskit.publishing("orders", system="rabbitmq") as headers:
        pass
    handle({"headers": headers, "body": b"{}"})
    telemetry.shutdown()
    return path


def test_lines_in_the_collector_file_exporter_format(exported: Path) -> None:
    documents = [json.loads(line) for line in exported.read_text().splitlines()]
    kinds = {next(iter(d)) for d in documents}
    assert kinds == {"resourceSpans", "resourceLogs", "resourceMetrics"}
    [spans_doc] = [d for d in documents if "resourceSpans" in d]
    [block] = spans_doc["resourceSpans"]
    resource = {a["key"]: a["value"] for a in block["resource"]["attributes"]}
    assert resource["service.name"] == {"stringValue": "orders"}
    spans = {s["name"]: s for s in block["scopeSpans"][0]["spans"]}
    consumer, producer = spans["process orders"], spans["send orders"]
    assert consumer["parentSpanId"] == producer["spanId"] and len(producer["spanId"]) == 16
    assert int(consumer["traceId"], 16) and len(consumer["traceId"]) == 32  # hex, not base64
    assert consumer["kind"] == 5 and isinstance(consumer["startTimeUnixNano"], str)  # int64
    assert consumer["links"][0]["spanId"] == producer["spanId"]


def test_view_check_and_serve_read_it(exported: Path) -> None:
    decoded = load(exported)
    [log] = [r for r in decoded.logs if r.body == "order_received"]
    assert log.attributes["order_id"] == "ord-7"
    assert log.span_id == next(s.span_id for s in decoded.spans if s.name == "process orders")

    def obskit(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "obskit.cli", *args], capture_output=True, text=True
        )

    listed = obskit("view", str(exported), "--list")
    assert listed.returncode == 0 and decoded.spans[0].trace_id in listed.stdout
    checked = obskit("check", str(exported))  # the log's unregistered key is a finding
    assert checked.returncode == 1
    assert re.search(
        r"telemetry\.jsonl:\d+:1: \w+ 'order_id' .*\(log 'order_received'\)", checked.stdout
    )
    with serve_process("--db", ":memory:", "--load", str(exported)) as urls:
        [trace] = get_json(f"{urls['ui']}/api/traces?where=app.order.id=ord-7")["traces"]
        assert trace["trace_id"] == decoded.spans[0].trace_id and trace["span_count"] == 2


def test_rotation_by_size_keeps_the_newest_files_whole(tmp_path: Path) -> None:
    sink = FileSink(tmp_path / "spans.jsonl", max_bytes=1_000, backups=2)
    for number in range(40):
        sink.write({"resourceSpans": [], "n": number, "padding": "x" * 100})
    rotated = sink.rotated()
    assert len(rotated) == 2
    assert all(p.stat().st_size <= 1_000 for p in [*rotated, sink.path])
    numbers = [
        json.loads(line)["n"]
        for path in [*rotated, sink.path]
        for line in path.read_text().splitlines()
    ]
    assert numbers == list(range(40 - len(numbers), 40))  # the oldest went, nothing in between


def test_file_needs_a_path() -> None:
    import obskit

    with pytest.raises(ValueError, match="path="):
        obskit.configure(exporter="file")
