"""OTLP in over HTTP and gRPC: good requests stored, bad ones answered by the protocol's rules.

Malformed payloads get HTTP 400 / gRPC INVALID_ARGUMENT, oversized ones HTTP 413 / gRPC
RESOURCE_EXHAUSTED, and the server keeps receiving afterwards.
"""

from __future__ import annotations

import gzip
import http.client
import json
import socket
from collections.abc import Iterator
from typing import Any

import grpc  # type: ignore[import-untyped, unused-ignore]
import pytest
from google.rpc import status_pb2  # type: ignore[import-untyped, unused-ignore]
from opentelemetry.proto.collector.trace.v1 import (  # type: ignore[import-untyped, unused-ignore]
    trace_service_pb2,
)
from opentelemetry.proto.trace.v1 import trace_pb2  # type: ignore[import-untyped, unused-ignore]

from obskit.serve import Server, Store
from tests.serve.conftest import free_port

LIMIT = 64 * 1024
TRACE_METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


@pytest.fixture
def server() -> Iterator[Server]:
    with Server(Store(":memory:"), port=0, otlp_port=0, grpc_port=0, max_payload=LIMIT) as running:
        yield running


def request(trace_byte: int = 1, span_ids: tuple[bytes, ...] = (b"\x01" * 8,)) -> Any:
    spans = [
        trace_pb2.Span(
            trace_id=bytes([trace_byte]) * 16,
            span_id=span_id,
            name="process orders",
            kind=5,
            start_time_unix_nano=1_000,
            end_time_unix_nano=2_000,
        )
        for span_id in span_ids
    ]
    return trace_service_pb2.ExportTraceServiceRequest(
        resource_spans=[trace_pb2.ResourceSpans(scope_spans=[trace_pb2.ScopeSpans(spans=spans)])]
    )


def post(
    server: Server,
    path: str,
    body: bytes,
    content_type: str = "application/x-protobuf",
    **headers: str,
) -> tuple[int, str, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.otlp_port, timeout=30)
    connection.request("POST", path, body, {"Content-Type": content_type, **headers})
    response = connection.getresponse()
    answer = (response.status, response.getheader("Content-Type") or "", response.read())
    connection.close()
    return answer


def stored(server: Server) -> int:
    server.flush()
    return server.store.stats()["spans"]


def test_http_protobuf_json_and_gzip_are_stored(server: Server) -> None:
    status, kind, body = post(server, "/v1/traces", request(1).SerializeToString())
    assert (status, kind) == (200, "application/x-protobuf")
    assert trace_service_pb2.ExportTraceServiceResponse.FromString(body) == (
        trace_service_pb2.ExportTraceServiceResponse()
    )
    document = {
        "resourceSpans": [
            {
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": "22" * 16,
                                "spanId": "22" * 8,
                                "name": "json",
                                "kind": 5,
                                "startTimeUnixNano": "1000",
                                "endTimeUnixNano": "3000",
                            }
                        ]
                    }
                ]
            }
        ]
    }
    assert post(server, "/v1/traces", json.dumps(document).encode(), "application/json")[0] == 200
    zipped = gzip.compress(request(3).SerializeToString())
    assert post(server, "/v1/traces", zipped, **{"Content-Encoding": "gzip"})[0] == 200
    assert stored(server) == 3


def test_http_logs_and_metrics_are_stored(server: Server) -> None:
    logs = {
        "resourceLogs": [
            {
                "scopeLogs": [
                    {
                        "logRecords": [
                            {
                                "timeUnixNano": "5",
                                "severityText": "INFO",
                                "body": {"stringValue": "hello"},
                            }
                        ]
                    }
                ]
            }
        ]
    }
    metrics = {
        "resourceMetrics": [
            {
                "scopeMetrics": [
                    {
                        "metrics": [
                            {
                                "name": "messaging.process.duration",
                                "unit": "s",
                                "histogram": {"dataPoints": [{}]},
                            }
                        ]
                    }
                ]
            }
        ]
    }
    assert post(server, "/v1/logs", json.dumps(logs).encode(), "application/json")[0] == 200
    assert post(server, "/v1/metrics", json.dumps(metrics).encode(), "application/json")[0] == 200
    server.flush()
    stats = server.store.stats()
    assert (stats["logs"], stats["metrics"]) == (1, 1)


def test_spans_without_valid_ids_are_rejected_as_partial_success(server: Server) -> None:
    status, _, body = post(
        server, "/v1/traces", request(1, (b"\x01" * 8, b"bad")).SerializeToString()
    )
    response = trace_service_pb2.ExportTraceServiceResponse.FromString(body)
    assert status == 200 and response.partial_success.rejected_spans == 1
    assert stored(server) == 1


@pytest.mark.parametrize(
    ("body", "content_type", "headers", "expected"),
    [
        (b"\xff\xff\xff\xff", "application/x-protobuf", {}, (400, 3)),
        (b"{not json", "application/json", {}, (400, 3)),
        (b"[1, 2]", "application/json", {}, (400, 3)),
        (b"x" * (LIMIT + 1), "application/x-protobuf", {}, (413, 8)),
        (
            gzip.compress(b"\0" * (LIMIT * 4)),
            "application/x-protobuf",
            {"Content-Encoding": "gzip"},
            (413, 8),
        ),
        (b"not gzip", "application/x-protobuf", {"Content-Encoding": "gzip"}, (400, 3)),
        (b"", "text/plain", {}, (415, 3)),
    ],
)
def test_bad_http_payloads_get_the_protocol_answer_and_the_server_goes_on(
    server: Server,
    body: bytes,
    content_type: str,
    headers: dict[str, str],
    expected: tuple[int, int],
) -> None:
    status, kind, answer = post(server, "/v1/traces", body, content_type, **headers)
    if kind == "application/json":
        code = json.loads(answer)["code"]
    else:
        code = status_pb2.Status.FromString(answer).code
    assert (status, code) == expected
    assert post(server, "/v1/traces", request().SerializeToString())[0] == 200
    assert stored(server) == 1


def test_unknown_paths_are_404(server: Server) -> None:
    assert post(server, "/v1/profiles", b"")[0] == 404


def _grpc_export(server: Server, body: bytes) -> bytes:
    with grpc.insecure_channel(server.grpc_endpoint) as channel:
        export = channel.unary_unary(TRACE_METHOD)
        return bytes(export(body, timeout=30))


def test_grpc_stores_and_refuses_bad_payloads_by_the_protocol(server: Server) -> None:
    answer = _grpc_export(server, request(7).SerializeToString())
    assert (
        trace_service_pb2.ExportTraceServiceResponse.FromString(
            answer
        ).partial_success.rejected_spans
        == 0
    )
    for body, code in (
        (b"\xff\xff\xff\xff", grpc.StatusCode.INVALID_ARGUMENT),
        (b"x" * (LIMIT + 1), grpc.StatusCode.RESOURCE_EXHAUSTED),
    ):
        with pytest.raises(grpc.RpcError) as raised:
            _grpc_export(server, body)
        assert raised.value.code() == code
    _grpc_export(server, request(8).SerializeToString())
    assert stored(server) == 2


@pytest.mark.parametrize("taken", ["port", "otlp_port", "grpc_port"])
def test_a_port_in_use_is_named_and_the_others_are_let_go(taken: str) -> None:
    """Three ports: the error says which one, and the ports taken before it are free again."""
    ports = {"port": free_port(), "otlp_port": free_port(), "grpc_port": free_port()}
    purpose = {"port": "the pages", "otlp_port": "OTLP/HTTP", "grpc_port": "OTLP/gRPC"}[taken]
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", ports[taken]))
        holder.listen()
        with pytest.raises(OSError, match=f"127.0.0.1:{ports[taken]} for {purpose}"):
            Server(Store(":memory:"), **ports).start()
    for port in ports.values():  # nothing is still bound by the failed start
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", port))
