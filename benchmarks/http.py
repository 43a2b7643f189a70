"""Per-request cost of obskit's HTTP instrumentation against the contrib instrumentations.

Everything runs in-process under one SDK ``TracerProvider`` (``BatchSpanProcessor`` into a
discarding exporter) and one ``MeterProvider``: the same Starlette app driven through its ASGI
callable, the same Flask app through its WSGI callable, the same httpx client over
``httpx.MockTransport``; bare, with obskit, and with ``opentelemetry-instrumentation-*``
(default configuration). No network.

Run: ``python -m benchmarks.http`` (``--number`` to change the requests per run).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks._timing import machine, per_call_us

PARENT = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def _install_sdk() -> None:
    from opentelemetry import metrics, trace
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import (
        MetricExporter,
        MetricExportResult,
        PeriodicExportingMetricReader,
    )
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        SpanExporter,
        SpanExportResult,
    )

    class Discard(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    class DiscardMetrics(MetricExporter):
        def export(self, metrics_data: Any, timeout_millis: float = 0, **kw: Any) -> Any:
            return MetricExportResult.SUCCESS

        def force_flush(self, timeout_millis: float = 0) -> bool:
            return True

        def shutdown(self, timeout_millis: float = 0, **kw: Any) -> None:
            return None

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(Discard()))
    trace.set_tracer_provider(provider)
    reader = PeriodicExportingMetricReader(DiscardMetrics(), export_interval_millis=60_000)
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))


# -- ASGI --------------------------------------------------------------------------------------


def _starlette(middleware: list[Any]) -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route

    async def item(request: Request) -> Response:
        return PlainTextResponse(request.path_params["item_id"])

    return Starlette(routes=[Route("/items/{item_id}", item)], middleware=middleware)


def _scope() -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/items/42",
        "raw_path": b"/items/42",
        "query_string": b"page=2&token=abc",
        "root_path": "",
        "headers": [
            (b"host", b"shop.test:8080"),
            (b"user-agent", b"bench/1.0"),
            (b"accept", b"*/*"),
            (b"traceparent", PARENT),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8080),
    }


def asgi_us(app: Any, number: int, repeat: int = 7) -> float:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        return None

    async def run(count: int) -> float:
        start = time.perf_counter()
        for _ in range(count):
            await app(_scope(), receive, send)
        return time.perf_counter() - start

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(run(max(1, number // 10)))
        gc.disable()
        best = min(loop.run_until_complete(run(number)) for _ in range(repeat))
    finally:
        gc.enable()
        loop.close()
    return best / number * 1e6


# -- WSGI --------------------------------------------------------------------------------------


def _flask() -> Any:
    from flask import Flask

    from obskit.http import flask_route

    app = flask_route(Flask("bench"))

    @app.get("/items/<int:item_id>")
    def item(item_id: int) -> str:
        return str(item_id)

    return app


def _environ() -> dict[str, Any]:
    import io

    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/items/42",
        "QUERY_STRING": "page=2&token=abc",
        "SERVER_NAME": "shop.test",
        "SERVER_PORT": "8080",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "shop.test:8080",
        "HTTP_USER_AGENT": "bench/1.0",
        "HTTP_TRACEPARENT": PARENT.decode(),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def wsgi_call(app: Any) -> Callable[[], object]:
    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        return None

    def call() -> None:
        body = app(_environ(), start_response)
        for _ in body:
            pass
        close = getattr(body, "close", None)
        if close is not None:
            close()

    return call


# -- httpx -------------------------------------------------------------------------------------


def httpx_call(client: Any) -> Callable[[], object]:
    def call() -> None:
        client.get("http://api.test/items/42?page=2")

    return call


def _mock_client() -> Any:
    import httpx

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"ok")

    return httpx.Client(transport=httpx.MockTransport(handler))


# -- run ---------------------------------------------------------------------------------------


def measure(number: int) -> dict[str, dict[str, float]]:
    _install_sdk()
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware as ContribASGI
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware as ContribWSGI
    from starlette.middleware import Middleware

    from obskit.http import ASGIMiddleware, WSGIMiddleware, instrument_httpx

    results: dict[str, dict[str, float]] = {}
    results["asgi"] = {
        "bare": asgi_us(_starlette([]), number),
        "obskit": asgi_us(_starlette([Middleware(ASGIMiddleware)]), number),
        "contrib": asgi_us(_starlette([Middleware(ContribASGI)]), number),
    }
    bare, ours, contrib = _flask(), _flask(), _flask()
    ours.wsgi_app = WSGIMiddleware(ours.wsgi_app)
    contrib.wsgi_app = ContribWSGI(contrib.wsgi_app)
    results["wsgi"] = {
        "bare": per_call_us(wsgi_call(bare), number=number),
        "obskit": per_call_us(wsgi_call(ours), number=number),
        "contrib": per_call_us(wsgi_call(contrib), number=number),
    }
    plain, ours_client, contrib_client = _mock_client(), _mock_client(), _mock_client()
    instrument_httpx(ours_client)
    HTTPXClientInstrumentor.instrument_client(contrib_client)
    results["httpx"] = {
        "bare": per_call_us(httpx_call(plain), number=number),
        "obskit": per_call_us(httpx_call(ours_client), number=number),
        "contrib": per_call_us(httpx_call(contrib_client), number=number),
    }
    return results


def report(results: dict[str, dict[str, float]]) -> str:
    lines = [f"machine: {machine()}", ""]
    header = f"{'':8}{'bare µs':>10}{'obskit +µs':>12}{'contrib +µs':>13}{'ratio':>8}"
    lines.append(header)
    for name, figures in results.items():
        ours = figures["obskit"] - figures["bare"]
        theirs = figures["contrib"] - figures["bare"]
        ratio = ours / theirs if theirs > 0 else float("nan")
        lines.append(f"{name:8}{figures['bare']:>10.1f}{ours:>12.1f}{theirs:>13.1f}{ratio:>8.2f}")
    lines.append("")
    lines.append("ratio = obskit's added µs / contrib's added µs (target: <= 0.33)")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--number", type=int, default=5_000, help="requests per timed run")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    args = parser.parse_args(argv)
    results = measure(args.number)
    print(json.dumps(results, indent=2) if args.json else report(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
