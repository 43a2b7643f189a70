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
import functools
import gc
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks._timing import install_sdk, machine, per_call_us

PARENT = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


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
        start = time.process_time()
        for _ in range(count):
            await app(_scope(), receive, send)
        return time.process_time() - start

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


# -- requests ----------------------------------------------------------------------------------


def _mock_session(floor: bool = False) -> Any:
    """A ``requests.Session`` whose adapter answers 200 in-process (no socket); with ``floor``
    the adapter makes the floor's SDK calls around it."""
    import requests
    from requests.adapters import HTTPAdapter

    class Mock(HTTPAdapter):
        def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
            response = requests.Response()
            response.status_code = 200
            response._content = b"ok"
            response.request = request
            response.url = request.url
            return response

    class Floor(Mock):
        def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
            return _floor_around(request.headers, lambda: Mock.send(self, request))

    session = requests.Session()
    session.mount("http://", Floor() if floor else Mock())
    return session


def requests_call(session: Any) -> Callable[[], object]:
    def call() -> None:
        session.get("http://api.test/items/42?page=2")

    return call


# -- floor -------------------------------------------------------------------------------------
# The least any instrumentation recording obskit's telemetry must do with this SDK: parse the
# incoming traceparent, start the span with the same attributes (values precomputed), attach its
# context around the app, set status code and route, rename, end, record the same histogram
# point. No option handling, no redaction, no error policy: not an instrumentation, a bound.

_SERVER_ATTRIBUTES: dict[str, Any] = {
    "http.request.method": "GET",
    "url.path": "/items/42",
    "url.scheme": "http",
    "url.query": "page=2&token=REDACTED",
    "server.address": "shop.test",
    "server.port": 8080,
    "client.address": "127.0.0.1",
    "user_agent.original": "bench/1.0",
    "network.protocol.version": "1.1",
}
_SERVER_METRIC: dict[str, Any] = {
    "http.request.method": "GET",
    "url.scheme": "http",
    "network.protocol.version": "1.1",
}


def _floor_start(traceparent: str) -> tuple[Any, Any]:
    from opentelemetry import trace
    from opentelemetry.context import Context

    from obskit import _traceparent
    from obskit._providers import sdk_tracer

    span_context = _traceparent.parse_traceparent([traceparent])
    assert span_context is not None
    parent = trace.set_span_in_context(trace.NonRecordingSpan(span_context), Context())
    tracer: Any = sdk_tracer()
    span = tracer.start_span("GET", parent, trace.SpanKind.SERVER, dict(_SERVER_ATTRIBUTES))
    return span, trace.set_span_in_context(span, parent)


def _floor_end(span: Any, start: float, route: str, status: int) -> None:
    from obskit._providers import instruments

    span.set_attributes({"http.route": route, "http.response.status_code": status})
    span.update_name(f"GET {route}")
    span.end()
    metric: dict[str, Any] = {
        **_SERVER_METRIC,
        "http.route": route,
        "http.response.status_code": status,
    }
    instruments().http_server_duration.record(time.perf_counter() - start, metric)


class FloorASGI:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        from opentelemetry import context

        start = time.perf_counter()
        span, ctx = _floor_start(PARENT.decode())
        status = [0]

        async def send_status(message: Any) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        token = context.attach(ctx)
        try:
            await self.app(scope, receive, send_status)
        finally:
            context.detach(token)
        _floor_end(span, start, scope["route"].path, status[0])


class FloorWSGI:
    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: Any, start_response: Any) -> Any:
        from opentelemetry import context

        start = time.perf_counter()
        span, ctx = _floor_start(environ["HTTP_TRACEPARENT"])
        status = [0]

        def start_status(line: str, headers: Any, exc_info: Any = None) -> Any:
            status[0] = int(line[:3])
            return start_response(line, headers)

        token = context.attach(ctx)
        try:
            body = self.app(environ, start_status)
        finally:
            context.detach(token)
        yield from body
        close = getattr(body, "close", None)
        if close is not None:
            close()
        _floor_end(span, start, environ["obskit.http.route"], status[0])


def _floor_around(headers: Any, send: Callable[[], Any]) -> Any:
    """A client call's floor: start the span, inject, send, status, end, record the duration."""
    from opentelemetry import trace

    from obskit import _traceparent
    from obskit._providers import instruments, sdk_tracer

    start = time.perf_counter()
    tracer: Any = sdk_tracer()
    attributes = {
        "http.request.method": "GET",
        "url.full": "http://api.test/items/42?page=2",
        "server.address": "api.test",
        "server.port": 80,
    }
    span = tracer.start_span("GET", None, trace.SpanKind.CLIENT, attributes)
    headers["traceparent"] = _traceparent.format_traceparent(span.get_span_context())
    response = send()
    span.set_attributes({"http.response.status_code": response.status_code})
    span.end()
    metric: dict[str, Any] = {
        "http.request.method": "GET",
        "server.address": "api.test",
        "url.scheme": "http",
        "server.port": 80,
        "http.response.status_code": response.status_code,
    }
    instruments().http_client_duration.record(time.perf_counter() - start, metric)
    return response


def _floor_client(client: Any) -> Any:
    import httpx

    class Transport(httpx.BaseTransport):
        def __init__(self, transport: httpx.BaseTransport) -> None:
            self.transport = transport

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            send = functools.partial(self.transport.handle_request, request)
            response: httpx.Response = _floor_around(request.headers, send)
            return response

    client._transport = Transport(client._transport)
    return client


# -- run ---------------------------------------------------------------------------------------


def measure(number: int, floor: bool = False, repeat: int = 7) -> dict[str, dict[str, float]]:
    install_sdk()
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware as ContribASGI
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware as ContribWSGI
    from starlette.middleware import Middleware

    from obskit.http import ASGIMiddleware, WSGIMiddleware, instrument_httpx, instrument_requests

    asgi = {
        "bare": _starlette([]),
        "obskit": _starlette([Middleware(ASGIMiddleware)]),
        "contrib": _starlette([Middleware(ContribASGI)]),
    }
    bare, ours, contrib = _flask(), _flask(), _flask()
    ours.wsgi_app = WSGIMiddleware(ours.wsgi_app)
    contrib.wsgi_app = ContribWSGI(contrib.wsgi_app)
    wsgi = {"bare": bare, "obskit": ours, "contrib": contrib}
    plain, ours_client, contrib_client = _mock_client(), _mock_client(), _mock_client()
    instrument_httpx(ours_client)
    HTTPXClientInstrumentor.instrument_client(contrib_client)
    clients = {"bare": plain, "obskit": ours_client, "contrib": contrib_client}
    if floor:
        asgi["floor"] = _starlette([Middleware(FloorASGI)])
        least = _flask()
        least.wsgi_app = FloorWSGI(least.wsgi_app)
        wsgi["floor"] = least
        clients["floor"] = _floor_client(_mock_client())
    sessions = {"bare": _mock_session(), "obskit": instrument_requests(_mock_session())}
    if floor:
        sessions["floor"] = _mock_session(floor=True)
    calls: dict[tuple[str, str], Callable[[], float]] = {}
    for name, app in asgi.items():
        calls["asgi", name] = functools.partial(asgi_us, app, number, repeat=1)
    for name, app in wsgi.items():
        calls["wsgi", name] = functools.partial(
            per_call_us, wsgi_call(app), number=number, repeat=1
        )
    for name, client in clients.items():
        calls["httpx", name] = functools.partial(
            per_call_us, httpx_call(client), number=number, repeat=1
        )
    for name, session in sessions.items():
        calls["requests", name] = functools.partial(
            per_call_us, requests_call(session), number=number, repeat=1
        )
    results: dict[str, dict[str, float]] = {"asgi": {}, "wsgi": {}, "httpx": {}, "requests": {}}
    for _ in range(repeat):  # interleaved: a busy moment on the machine hits every variant
        for (kind, name), call in calls.items():
            figure = call()
            results[kind][name] = min(results[kind].get(name, figure), figure)
    return results


def report(results: dict[str, dict[str, float]]) -> str:
    lines = [f"machine: {machine()}", ""]
    floor = all("floor" in figures for figures in results.values())
    header = f"{'':8}{'bare µs':>10}{'obskit +µs':>12}{'contrib +µs':>13}{'ratio':>8}"
    lines.append(
        header + (f"{'floor +µs':>11}{'floor ratio':>13}{'obskit/floor':>14}" if floor else "")
    )
    for name, figures in results.items():
        ours = figures["obskit"] - figures["bare"]
        # the contrib requests instrumentation patches every session: not in the same process
        theirs = figures.get("contrib", float("nan")) - figures["bare"]
        ratio = ours / theirs if theirs > 0 else float("nan")
        line = f"{name:9}{figures['bare']:>9.1f}{ours:>12.1f}{theirs:>13.1f}{ratio:>8.2f}"
        if floor:
            least = figures["floor"] - figures["bare"]
            line += f"{least:>11.1f}{least / theirs if theirs > 0 else float('nan'):>13.2f}"
            line += f"{ours / least if least > 0 else float('nan'):>14.2f}"
        lines.append(line)
    lines.append("")
    lines.append("ratio = obskit's added µs / contrib's added µs (target: <= 0.33)")
    if floor:
        lines.append(
            "floor = the unavoidable SDK calls alone (extract, start_span with the same "
            "attributes, attach, set_attributes, end, record), hand-written, no obskit logic; "
            "obskit/floor target: <= 1.1"
        )
    lines.append(
        "µs are the process's CPU time per request (time.process_time), best of the "
        "interleaved rounds"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--number", type=int, default=5_000, help="requests per timed run")
    parser.add_argument("--repeat", type=int, default=7, help="interleaved rounds")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    parser.add_argument(
        "--floor", action="store_true", help="also time the bare SDK calls (the lower bound)"
    )
    args = parser.parse_args(argv)
    results = measure(args.number, floor=args.floor, repeat=args.repeat)
    print(json.dumps(results, indent=2) if args.json else report(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
