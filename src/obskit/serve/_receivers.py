"""OTLP in: HTTP (protobuf and JSON) and gRPC, for traces, logs and metrics.

Both transports hand the body to :func:`receive`, which parses, queues it for the writer and
answers; a payload that cannot be parsed is the client's error (HTTP 400, gRPC
``INVALID_ARGUMENT``), one over the size limit is refused before it is read (HTTP 413, gRPC
``RESOURCE_EXHAUSTED``), and neither stops the server. gRPC and the protobuf modules are
imported only when a server starts.
"""

from __future__ import annotations

import gzip
import importlib
import json
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any, Final

from obskit.serve._ingest import Ingest
from obskit.serve._otlp_proto import decode_request
from obskit.view import _otlp_json

if TYPE_CHECKING:
    import grpc  # type: ignore[import-untyped, unused-ignore]

__all__ = ["MAX_PAYLOAD", "PayloadError", "grpc_server", "otlp_handler", "receive"]

MAX_PAYLOAD: Final = 16 * 1024 * 1024  # bytes, after decompression too
_PROTOBUF: Final = "application/x-protobuf"


@dataclass(frozen=True)
class _Signal:
    module: str
    request: str
    response: str
    service: str
    rejected: str  # the partial-success field that counts what was refused


SIGNALS: Final = {
    "traces": _Signal(
        "opentelemetry.proto.collector.trace.v1.trace_service_pb2", "ExportTraceServiceRequest",
        "ExportTraceServiceResponse", "opentelemetry.proto.collector.trace.v1.TraceService",
        "rejected_spans",
    ),
    "logs": _Signal(
        "opentelemetry.proto.collector.logs.v1.logs_service_pb2", "ExportLogsServiceRequest",
        "ExportLogsServiceResponse", "opentelemetry.proto.collector.logs.v1.LogsService",
        "rejected_log_records",
    ),
    "metrics": _Signal(
        "opentelemetry.proto.collector.metrics.v1.metrics_service_pb2",
        "ExportMetricsServiceRequest", "ExportMetricsServiceResponse",
        "opentelemetry.proto.collector.metrics.v1.MetricsService", "rejected_data_points",
    ),
}  # fmt: skip


class PayloadError(Exception):
    """The request is the client's mistake; ``too_large`` tells 413 from 400."""

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.too_large = too_large


def _message(signal: _Signal, name: str) -> Any:
    return getattr(importlib.import_module(signal.module), name)


def receive(ingest: Ingest, signal_name: str, body: bytes, *, as_json: bool = False) -> bytes:
    """Parse one export request, hand it to the writer, and return the encoded response."""
    signal = SIGNALS[signal_name]
    if as_json:
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise PayloadError(f"not OTLP/JSON: {exc}") from None
        if not isinstance(document, dict):
            raise PayloadError("not OTLP/JSON: the body is not an object")
        telemetry = _otlp_json.decode([document])
    else:
        from google.protobuf.message import DecodeError  # type: ignore[import-untyped, unused-ignore]

        try:
            request = _message(signal, signal.request).FromString(body)
        except DecodeError as exc:
            raise PayloadError(f"not an OTLP {signal.request}: {exc}") from None
        telemetry = decode_request(signal_name, request)
    valid = [s for s in telemetry.spans if s.trace_id and s.span_id]
    rejected = len(telemetry.spans) - len(valid)
    telemetry.spans = valid
    ingest.put(telemetry)
    response = _message(signal, signal.response)()
    if rejected:
        response.partial_success.error_message = "spans without a valid trace or span id"
        setattr(response.partial_success, signal.rejected, rejected)
    if as_json:
        from google.protobuf.json_format import MessageToJson  # type: ignore[import-untyped, unused-ignore]

        return str(MessageToJson(response)).encode()
    return bytes(response.SerializeToString())


def _inflate(body: bytes, encoding: str, limit: int) -> bytes:
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "deflate"):
        raise PayloadError(f"unsupported Content-Encoding {encoding!r}")
    window = 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS
    inflater = zlib.decompressobj(window)
    try:
        data = inflater.decompress(body, limit + 1)
    except (zlib.error, gzip.BadGzipFile) as exc:
        raise PayloadError(f"bad {encoding} body: {exc}") from None
    if len(data) > limit:
        raise PayloadError("decompressed body over the size limit", too_large=True)
    return data


def _status(message: str, code: int, as_json: bool) -> bytes:
    """A ``google.rpc.Status``, as OTLP/HTTP answers errors (3 INVALID_ARGUMENT, 8 EXHAUSTED)."""
    if as_json:
        return json.dumps({"code": code, "message": message}).encode()
    from google.rpc import status_pb2  # type: ignore[import-untyped, unused-ignore]

    return bytes(status_pb2.Status(code=code, message=message).SerializeToString())


def otlp_handler(ingest: Ingest, max_payload: int = MAX_PAYLOAD) -> type[BaseHTTPRequestHandler]:
    """The request handler class for ``POST /v1/{traces,logs,metrics}``."""

    class OTLPHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: a receiver that logs every export drowns what it receives."""

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if status >= 400:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            signal = self.path.split("?")[0].removeprefix("/v1/")
            kind = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
            as_json = kind == "application/json"
            content_type = "application/json" if as_json else _PROTOBUF
            if signal not in SIGNALS:
                self._answer(404, _status(f"no such path {self.path}", 5, as_json), content_type)
                return
            if kind not in (_PROTOBUF, "application/json"):
                body = _status(f"unsupported Content-Type {kind!r}", 3, as_json)
                self._answer(415, body, content_type)
                return
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                self._answer(411, _status("Content-Length required", 3, as_json), content_type)
                return
            try:
                if length > max_payload:
                    raise PayloadError(f"body over {max_payload} bytes", too_large=True)
                encoding = self.headers.get("Content-Encoding", "").strip().lower()
                body = _inflate(self.rfile.read(length), encoding, max_payload)
                answer = receive(ingest, signal, body, as_json=as_json)
            except PayloadError as exc:
                code = (413, 8) if exc.too_large else (400, 3)
                self._answer(code[0], _status(str(exc), code[1], as_json), content_type)
                return
            self._answer(200, answer, content_type)

    return OTLPHandler


def grpc_server(
    ingest: Ingest, address: str, max_payload: int = MAX_PAYLOAD
) -> tuple[grpc.Server, int]:
    """A started-to-be gRPC server for the three OTLP services; returns it and its port."""
    import grpc  # type: ignore[import-untyped, unused-ignore]

    def handler(signal: str) -> Any:
        def export(body: bytes, context: grpc.ServicerContext) -> bytes:
            try:
                return receive(ingest, signal, body)
            except PayloadError as exc:
                code = (
                    grpc.StatusCode.RESOURCE_EXHAUSTED
                    if exc.too_large
                    else grpc.StatusCode.INVALID_ARGUMENT
                )
                context.abort(code, str(exc))
                raise  # abort raises; this line is for the type checker

        return grpc.unary_unary_rpc_method_handler(export)

    server = grpc.server(
        ThreadPoolExecutor(max_workers=4, thread_name_prefix="obskit-serve-grpc"),
        options=[
            ("grpc.max_receive_message_length", max_payload),
            ("grpc.max_send_message_length", max_payload),
        ],
    )
    server.add_generic_rpc_handlers(
        [
            grpc.method_handlers_generic_handler(signal.service, {"Export": handler(name)})
            for name, signal in SIGNALS.items()
        ]
    )
    port = server.add_insecure_port(address)
    return server, port
