"""A real OTLP receiver (gRPC and HTTP/protobuf) built from ``opentelemetry-proto``.

It stands in for an OpenTelemetry Collector: the exporters under test talk to it over real
loopback sockets, and the tests read back the decoded protobuf requests.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc


@dataclass
class Received:
    traces: list[trace_service_pb2.ExportTraceServiceRequest] = field(default_factory=list)
    logs: list[logs_service_pb2.ExportLogsServiceRequest] = field(default_factory=list)
    metrics: list[metrics_service_pb2.ExportMetricsServiceRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def spans(self) -> list[tuple[dict[str, Any], Any]]:
        """``(resource attributes, span)`` for every received span."""
        out = []
        with self.lock:
            for request in self.traces:
                for resource_spans in request.resource_spans:
                    resource = attributes(resource_spans.resource.attributes)
                    for scope_spans in resource_spans.scope_spans:
                        out.extend((resource, span) for span in scope_spans.spans)
        return out

    def log_records(self) -> list[Any]:
        with self.lock:
            return [
                record
                for request in self.logs
                for resource_logs in request.resource_logs
                for scope_logs in resource_logs.scope_logs
                for record in scope_logs.log_records
            ]

    def metric_names(self) -> set[str]:
        with self.lock:
            return {
                metric.name
                for request in self.metrics
                for resource_metrics in request.resource_metrics
                for scope_metrics in resource_metrics.scope_metrics
                for metric in scope_metrics.metrics
            }


def attributes(key_values: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kv in key_values:
        which = kv.value.WhichOneof("value")
        out[kv.key] = getattr(kv.value, which) if which else None
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Trace(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, received: Received, delay: float = 0.0) -> None:
        self.received = received
        self.delay = delay

    def Export(self, request: Any, context: Any) -> Any:
        time.sleep(self.delay)
        with self.received.lock:
            self.received.traces.append(request)
        return trace_service_pb2.ExportTraceServiceResponse()


class _Logs(logs_service_pb2_grpc.LogsServiceServicer):
    def __init__(self, received: Received, delay: float = 0.0) -> None:
        self.received = received
        self.delay = delay

    def Export(self, request: Any, context: Any) -> Any:
        time.sleep(self.delay)
        with self.received.lock:
            self.received.logs.append(request)
        return logs_service_pb2.ExportLogsServiceResponse()


class _Metrics(metrics_service_pb2_grpc.MetricsServiceServicer):
    def __init__(self, received: Received, delay: float = 0.0) -> None:
        self.received = received
        self.delay = delay

    def Export(self, request: Any, context: Any) -> Any:
        time.sleep(self.delay)
        with self.received.lock:
            self.received.metrics.append(request)
        return metrics_service_pb2.ExportMetricsServiceResponse()


@contextmanager
def grpc_receiver(delay: float = 0.0, port: int = 0) -> Iterator[tuple[str, Received]]:
    """A gRPC OTLP receiver on loopback; yields ``(endpoint, received)``.

    ``delay`` makes it a slow collector: each export waits that long before it is answered.
    """
    received = Received()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(_Trace(received, delay), server)
    logs_service_pb2_grpc.add_LogsServiceServicer_to_server(_Logs(received, delay), server)
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(_Metrics(received, delay), server)
    port = server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    try:
        yield f"http://127.0.0.1:{port}", received
    finally:
        server.stop(grace=None)


_HTTP_ROUTES = {
    "/v1/traces": (
        "traces",
        trace_service_pb2.ExportTraceServiceRequest,
        trace_service_pb2.ExportTraceServiceResponse,
    ),
    "/v1/logs": (
        "logs",
        logs_service_pb2.ExportLogsServiceRequest,
        logs_service_pb2.ExportLogsServiceResponse,
    ),
    "/v1/metrics": (
        "metrics",
        metrics_service_pb2.ExportMetricsServiceRequest,
        metrics_service_pb2.ExportMetricsServiceResponse,
    ),
}


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up waiting (an exporter's deadline) is expected, not an error."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextmanager
def http_receiver(delay: float = 0.0, port: int = 0) -> Iterator[tuple[str, Received]]:
    """An HTTP/protobuf OTLP receiver on loopback; yields ``(base endpoint, received)``.

    ``delay`` makes it a slow collector: each request waits that long before it is read.
    """
    received = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if delay:
                time.sleep(delay)
            route = _HTTP_ROUTES.get(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if route is None or self.headers.get("Content-Type") != "application/x-protobuf":
                self.send_response(404)
                self.end_headers()
                return
            kind, request_type, response_type = route
            request = request_type()
            if self.headers.get("Content-Encoding") == "gzip":
                import gzip

                body = gzip.decompress(body)
            request.ParseFromString(body)
            with received.lock:
                getattr(received, kind).append(request)
            payload = response_type().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            return None

    server = _Server(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()
