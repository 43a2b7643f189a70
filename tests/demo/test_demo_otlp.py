"""``obskit demo --exporter otlp``: spans reach a collector as one resource per service."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

Received = list[tuple[str, bytes]]


@pytest.fixture
def collector() -> Iterator[tuple[str, Received]]:
    received: Received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.append((self.path, body))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


def test_otlp_export_groups_spans_by_service(collector: tuple[str, Received]) -> None:
    endpoint, received = collector
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    result = subprocess.run(
        [sys.executable, "-m", "obskit.cli", "demo", "--exporter", "otlp", "--endpoint", endpoint],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    spans_by_service: dict[str, int] = {}
    logs = 0
    for path, body in received:
        if path == "/v1/traces":
            request = ExportTraceServiceRequest.FromString(body)
            for block in request.resource_spans:
                resource = {a.key: a.value.string_value for a in block.resource.attributes}
                count = sum(len(scope.spans) for scope in block.scope_spans)
                name = resource["service.name"]
                spans_by_service[name] = spans_by_service.get(name, 0) + count
        elif path == "/v1/logs":
            logs += sum(
                len(scope.log_records)
                for block in ExportLogsServiceRequest.FromString(body).resource_logs
                for scope in block.scope_logs
            )
    assert set(spans_by_service) == {"shop-api", "inventory", "shipping"}
    assert sum(spans_by_service.values()) == 41
    assert logs == 20  # 18 from the shop, 2 outcome lines from the consumers
    assert "/v1/metrics" in {path for path, _ in received}
